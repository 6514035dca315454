"""Shared test helpers: the test tiers' markers, where MNIST and the
development set are, and running the project's scripts as a user would.

pyproject.toml's pytest settings put the repository root (the design-card
scripts, such as imageprepare.py) and tests/ (these helpers, synth.py,
fuzzcases.py) on the import path; the package `digits` is installed
(`pip install -r requirements.txt`) or found at the root.

The quick tier, `python -m pytest -q -m quick tests`, runs the tests that
need neither TensorFlow nor subprocesses nor model checkpoints (about a minute).
"""
import contextlib
import os
import signal
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), 'shared')
DEV_SET = os.path.join(SHARED, 'handwriting-dev')


def mnist_dir():
    """The one place the tests look for MNIST (absolute, or None): ../shared/mnist,
    then where the scripts look ($MNIST_DATA_DIR, ./MNIST_data; digits.data.find_dir)."""
    from digits.data import find_dir
    found = find_dir(os.path.join(SHARED, 'mnist'))
    return os.path.abspath(found) if found else None


needs_mnist = pytest.mark.skipif(
    mnist_dir() is None,
    reason='MNIST files not found in $MNIST_DATA_DIR, ../shared/mnist or ./MNIST_data')


def load_classifier(model_number, model_path):
    """digits.model.Classifier(model_number, model_path), with TensorFlow's
    settings made first as the prediction scripts and digits.Reader make
    them (session.quiet_tensorflow: oneDNN off unless the environment says)."""
    from digits import session
    session.quiet_tensorflow()
    from digits.model import Classifier
    return Classifier(model_number, model_path)


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
