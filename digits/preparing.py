"""Pictures -> their candidate digits, many at a time, in worker processes while TensorFlow loads.

No TensorFlow here: the workers are forked before it is imported, so they
stay light and its import overlaps their work.
"""
import functools
import multiprocessing
import os
import signal
import threading

from .decode import ImageError, as_image
from .pieces import digit_candidates


FEW = 16   # pictures below which worker processes are not worth starting
PATIENCE = 5   # seconds the workers get to stop before they are killed


def prepare_one(path, single=False, separators=False):
    """pieces.digit_candidates' entries for one picture (a path, Pillow image
    or array), or its error message (a str, naming the file)."""
    try:
        return digit_candidates(as_image(path), single, separators)
    except ImageError as e:
        message = str(e)
        if not isinstance(path, (str, os.PathLike)) or message.startswith(os.fspath(path)):
            return message
        return f'{os.fspath(path)}: {message}'


def prepare(paths, single, separators=False):
    """prepare_one for every path, in order."""
    return [prepare_one(path, single, separators) for path in paths]


def start_workers(count):
    """Worker processes, one per core, to prepare `count` pictures (None
    for a few pictures, not worth them). Forked before TensorFlow is
    imported, so the workers stay light and the import overlaps their work."""
    if count < FEW or (os.cpu_count() or 1) < 2:
        return None
    # The workers yield to the main process, so TensorFlow's import, which
    # everything waits for, runs at full speed while they share the rest.
    return multiprocessing.get_context('fork').Pool(os.cpu_count(), initializer=start_worker)


def stop_workers(pool):
    """Stop the workers. Pool.terminate can hang for good when a worker is
    halfway through sending a large result as the pool stops (Ctrl-C while
    pictures are being prepared, on a busy machine), so it gets PATIENCE
    seconds, then the workers are killed and the process may exit."""
    stopping = threading.Thread(target=pool.terminate, daemon=True)
    stopping.start()
    stopping.join(PATIENCE)
    if stopping.is_alive():
        for worker in multiprocessing.active_children():
            worker.kill()


def start_worker():
    """A worker yields the CPU to the main process (nice 10) and leaves
    Ctrl-C to it: the main process stops them all."""
    os.nice(10)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def prepare_in_background(pool, paths, single, separators=False):
    """prepare_one for every path, by the workers: an iterator, in order."""
    return pool.imap(functools.partial(prepare_one, single=single, separators=separators), paths,
                     chunksize=max(1, min(64, len(paths) // (4 * os.cpu_count()))))
