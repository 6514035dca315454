"""Killing a training run at any moment leaves a whole model on disk.

checkpoint.save_model writes a new model under a new prefix and only then
switches the folder's `checkpoint` state file, so SIGKILL at any instant --
while TensorFlow imports, while it trains, in the middle of the save -- must
leave either the model that was there before or the new one, complete.

The test trains a small model 1 into a folder (the 'old' model), then starts
new runs into the same folder, each with another --seed, and SIGKILLs each one
after a random delay spread over a whole run, final save included (delays
uniform in [0, 1.1 x the measured duration of a full run], seeded). After each
kill, predict_1.py must restore the folder and give exactly the probabilities
of the old model or of the model the killed run was writing. Training is
deterministic for a given seed (checked below), so each seed's model is known
in advance from a full run into a separate folder.

As uniform delays seldom land in the save itself, which takes milliseconds,
KILL_TEST_TARGETED (default 5) more kills come within SAVE_WINDOW after the run
prints its last step, just before it saves.

Takes about five minutes (each run is mostly TensorFlow starting).
KILL_TEST_ROUNDS sets the number of uniform kills (default 20).
"""
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

import conftest
from conftest import user_env

ROOT = Path(__file__).resolve().parent.parent
MNIST_FILES = ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
               't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')
ROUNDS = int(os.environ.get('KILL_TEST_ROUNDS', '20'))
# Uniform delays seldom land in the save itself (tens of milliseconds), so a
# few more kills come SAVE_WINDOW-uniform after the run prints its last step,
# which it does just before saving.
TARGETED = int(os.environ.get('KILL_TEST_TARGETED', '5'))
SAVE_WINDOW = 0.1
STEPS = 100
SEEDS = (0, 1, 2)        # each run's seed differs from the model on disk's and the last run's
RANDOM_SEED = 20240613


@pytest.fixture(scope='module')
def mnist_dir():
    d = conftest.mnist_dir()
    if d is None:
        pytest.skip('MNIST files not found in $MNIST_DATA_DIR, ../shared/mnist or ./MNIST_data')
    return d


def start_training(model, seed, data, log):
    return subprocess.Popen([sys.executable, 'create_model_1.py', '--steps', str(STEPS),
                             '--head-pictures', '200', '--seed', str(seed), '--model', str(model), '--data-dir', data],
                            cwd=ROOT, env=user_env(), stdout=log, stderr=subprocess.STDOUT)


def train_to_end(model, seed, data, log_path):
    with open(log_path, 'w') as log:
        start = time.monotonic()
        rc = start_training(model, seed, data, log).wait(timeout=600)
        duration = time.monotonic() - start
    assert rc == 0, f'training seed {seed} failed:\n{Path(log_path).read_text()}'
    return duration


def wait_for_line(proc, log_path, text, timeout=600):
    """Return as soon as the run's log holds `text` (or the run has ended)."""
    end = time.monotonic() + timeout
    while text not in log_path.read_text() and proc.poll() is None:
        assert time.monotonic() < end, f'{text!r} never appeared in {log_path}'
        time.sleep(0.002)


def predictions(model, digits):
    """predict_1.py --json on the digit pictures: the probabilities, as printed."""
    r = subprocess.run([sys.executable, 'predict_1.py', '--json', '--single', '--model', str(model),
                        *map(str, digits)], cwd=ROOT, env=user_env(),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and 'Traceback' not in r.stderr, (
        f'the model in {model} does not restore (exit {r.returncode}):\n{r.stderr}\n'
        f'folder holds: {sorted(p.name for p in Path(model).iterdir())}')
    return tuple(tuple(tuple(d['probabilities']) for d in json.loads(line)['digits'])
                 for line in r.stdout.splitlines())


def draw_digits(folder):
    shapes = {
        '7': [[(45, 40), (155, 40), (95, 170)]],
        '4': [[(130, 170), (130, 30), (45, 125), (165, 125)]],
        '1': [[(110, 30), (95, 170)]],
        '0': [[(100, 30), (55, 60), (45, 110), (60, 155), (100, 172), (140, 155), (155, 110),
               (145, 60), (100, 30)]],
    }
    paths = []
    for name, lines in shapes.items():
        img = Image.new('L', (200, 200), 255)
        d = ImageDraw.Draw(img)
        for line in lines:
            d.line(line, fill=0, width=18, joint='curve')
        path = folder / f'{name}.png'
        img.save(path)
        paths.append(path)
    return paths


def test_sigkill_during_training_leaves_old_or_new_model(mnist_dir, tmp_path):
    digits = draw_digits(tmp_path)
    model = tmp_path / 'model_1'
    logs = tmp_path / 'logs'
    logs.mkdir()

    # The old model, and the duration of one full run (the kills are spread over it).
    duration = train_to_end(model, SEEDS[0], mnist_dir, logs / 'old.log')
    known = {SEEDS[0]: predictions(model, digits)}
    # What every other seed trains to, each in its own folder.
    for seed in SEEDS[1:]:
        train_to_end(tmp_path / f'ref_{seed}', seed, mnist_dir, logs / f'ref_{seed}.log')
        known[seed] = predictions(tmp_path / f'ref_{seed}', digits)
    assert len(set(known.values())) == len(SEEDS), 'different seeds gave the same model'
    # Training must be deterministic for the comparison to mean anything.
    train_to_end(tmp_path / 'again', SEEDS[0], mnist_dir, logs / 'again.log')
    assert predictions(tmp_path / 'again', digits) == known[SEEDS[0]], \
        'training the same seed twice gave different models; this test needs determinism'

    rng = random.Random(RANDOM_SEED)
    on_disk, last_seed = SEEDS[0], SEEDS[0]
    outcomes = []
    for i in range(ROUNDS + TARGETED):
        seed = rng.choice([s for s in SEEDS if s not in (on_disk, last_seed)] or
                          [s for s in SEEDS if s != on_disk])
        targeted = i >= ROUNDS
        delay = rng.uniform(0, SAVE_WINDOW if targeted else 1.1 * duration)
        log_path = logs / f'run_{i}_seed_{seed}.log'
        with open(log_path, 'w') as log:
            proc = start_training(model, seed, mnist_dir, log)
            try:
                if targeted:                      # the clock starts at the last step's line
                    wait_for_line(proc, log_path, f'step {STEPS}/{STEPS} ')
                rc = proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.kill()                       # SIGKILL: no handler, no clean-up
                proc.wait()
                rc = None
        assert rc in (None, 0), f'run {i} (seed {seed}) failed by itself:\n{log_path.read_text()}'

        found = predictions(model, digits)
        when = f'{delay:.3f}s after the last step' if targeted else f'{delay:.2f}s of a {duration:.2f}s run'
        context = (f'round {i}: seed {seed}, killed {when}; '
                   f'folder holds {sorted(p.name for p in model.iterdir())}')
        if rc == 0:
            assert found == known[seed], f'a completed run did not leave its own model; {context}'
            outcome = 'completed'
        elif found == known[on_disk]:
            outcome = 'killed, old model kept'
        elif found == known[seed]:
            outcome = 'killed, new model in place'
        else:
            pytest.fail(f'the model on disk is neither the old one (seed {on_disk}) nor the new '
                        f'one (seed {seed}); {context}')
        if found == known[seed]:
            on_disk = seed                        # it is the old model of the next round
        last_seed = seed
        outcomes.append(outcome)
        print(f'{i:2d}  seed {seed}  {"after last step " if targeted else ""}delay {delay:6.3f}s  {outcome}')

    # One more run to the end: it replaces whatever the kills left.
    seed = next(s for s in SEEDS if s != on_disk)
    train_to_end(model, seed, mnist_dir, logs / 'final.log')
    assert predictions(model, digits) == known[seed]
    print({o: outcomes.count(o) for o in sorted(set(outcomes))},
          'final folder:', sorted(p.name for p in model.iterdir()))
