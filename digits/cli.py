"""What both commands share: exit codes, one-line errors, and a clean stop on Ctrl-C or a closed output."""
import os
import sys

from PIL import Image

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED = 1, 2, 130, 141
MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'models')


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


def default_model(number):
    """models/model_N (or models/NAME, for a name) beside the scripts, as a path
    relative to the current folder when it can be (so messages show the path a user would type)."""
    path = os.path.join(MODELS, number if isinstance(number, str) else f'model_{number}')
    try:
        return os.path.relpath(path)
    except ValueError:   # another drive (Windows)
        return path


def picture_to_write(path):
    """An argparse type: a file name Pillow can write a picture to (by its extension)."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in Image.registered_extensions():
        raise ValueError(f'{path}: give a picture file name, such as misses.png')
    return path


def writable_folder(path):
    """Create the folder `path` if need be; Failure unless it is a folder we can write in."""
    try:
        os.makedirs(path or '.', exist_ok=True)
    except OSError as e:
        raise Failure(f'{path}: cannot create this folder ({e.strerror})') from None
    if not os.access(path or '.', os.W_OK):
        raise Failure(f'{path}: cannot write in this folder')


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
