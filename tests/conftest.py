"""Shared test helpers: the repository root on sys.path, where MNIST and the
development set are, and running the project's scripts as a user would."""
import contextlib
import os
import signal
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests'))
SHARED = os.path.join(os.path.dirname(ROOT), 'shared')
DEV_SET = os.path.join(SHARED, 'handwriting-dev')


def mnist_dir():
    import mnist_data
    return mnist_data.find_dir(os.path.join(SHARED, 'mnist'))


needs_mnist = pytest.mark.skipif(
    mnist_dir() is None,
    reason='MNIST files not found in $MNIST_DATA_DIR, ../shared/mnist or ./MNIST_data')


def user_env(**extra):
    """The environment for running a script as a user would: without the
    TensorFlow settings that this test process, or a developer, may have put
    in it (the scripts' own defaults are what is under test), plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if k not in ('TF_CPP_MIN_LOG_LEVEL', 'TF_ENABLE_ONEDNN_OPTS', 'PYTHONWARNINGS')}
    env.update(extra)
    return env


@contextlib.contextmanager
def ctrl_c_reaches_children():
    """Children started in the block take Ctrl-C (SIGINT) as they would from
    a terminal, even when the tests run as a background job, which a shell
    starts with SIGINT ignored: an ignored signal is inherited (and Python
    then leaves it ignored), a handled one is reset to the default."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(script, *args, timeout=300):
    """Run one of the project's scripts in a fresh process, as a user would."""
    env = user_env()
    if mnist_dir():
        env['MNIST_DATA_DIR'] = os.path.abspath(mnist_dir())
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env)
