"""What both commands share: exit codes, one-line errors, and a clean stop on Ctrl-C or a closed output."""
import os
import sys

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED = 1, 2, 130, 141


class Failure(Exception):
    """What went wrong, in one line for the user (exit 1)."""


def run(command, *args):
    """Exit with `command(*args)`'s exit status. Ctrl-C stops with one line
    (exit 130), not a traceback; when the reader of our output goes away
    (`| head`), stop quietly as a shell tool would (exit 141, as if killed
    by SIGPIPE); a Failure is one line on stderr (exit 1). Output is flushed
    here, however the run ends (--help too), so that a closed pipe is found
    here and not at exit."""
    try:
        try:
            status = command(*args)
        finally:
            if sys.stdout:      # None when started with stdout closed
                sys.stdout.flush()
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        write_nowhere(1, 2)     # stderr may be the same pipe (2>&1)
        sys.exit(EXIT_PIPE_CLOSED)
    except Failure as e:
        fail(e)
    sys.exit(status)


def write_nowhere(*fds):
    """Send what is still to be written to these file descriptors (1: stdout,
    2: stderr) nowhere, once their reader has gone, rather than fail again
    when Python flushes them at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in fds:
        os.dup2(devnull, fd)
    os.close(devnull)


def fail(error):
    """Say what went wrong in one line and exit 1; also when no one reads
    stderr any more (`2>&1 | head`), rather than fail again saying so."""
    try:
        print(f'error: {error}', file=sys.stderr)
        sys.stderr.flush()
    except BrokenPipeError:
        write_nowhere(2)
    sys.exit(EXIT_FAILED)
