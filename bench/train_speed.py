"""Time to 99.2% MNIST test accuracy: the experts' tutorial recipe against our
defaults for model 2, trained one after the other in the same run.

    python bench/train_speed.py [--data-dir DIR] [--skip-tutorial]

Tutorial recipe: batch 50, Adam at a constant 1e-4, dropout 0.5, no
augmentation, up to 20,000 steps (stopped once it passes 99.2%). Ours: the
defaults of create_model_2.py. Test accuracy is measured at every evaluation
(once an epoch); the time spent measuring it is left out of the wall time.
"""
import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import train  # noqa: E402
from create_model_2 import DEFAULTS  # noqa: E402

TARGET = 0.992
TUTORIAL = ['--batch-size', '50', '--steps', '20000', '--learning-rate', '1e-4',
            '--schedule', 'constant', '--warmup', '0', '--dropout', '0.5',
            '--label-smoothing', '0', '--no-augment']


def timed_run(name, argv, stop_at_target):
    """Train; return [(seconds, step, test accuracy)] at each evaluation."""
    args = train.parse_args(2, DEFAULTS, argv)
    import mnist_data
    test_x, test_y = mnist_data.load(args.data_dir)['test']
    curve, start, excluded = [], time.time(), 0.0

    def measure(step, sess, net):
        nonlocal excluded
        t = time.time()
        acc = train.accuracy(sess, net, test_x, test_y)
        excluded += time.time() - t
        curve.append((t - start - excluded, step, acc))
        print(f'[{name}] {curve[-1][0]:7.1f}s  step {step}  test {acc:.4f}', flush=True)
        return stop_at_target and acc >= TARGET

    train.train(args, callback=measure)
    return curve


def time_to_target(curve):
    return next((s for s, _, acc in curve if acc >= TARGET), None)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-dir')
    p.add_argument('--skip-tutorial', action='store_true')
    a = p.parse_args()
    train.quiet_tensorflow(onednn=True)
    extra = ['--data-dir', a.data_dir] if a.data_dir else []
    with tempfile.TemporaryDirectory() as tmp:
        ours = timed_run('ours', ['--model', os.path.join(tmp, 'ours')] + extra, False)
        tutorial = None if a.skip_tutorial else timed_run(
            'tutorial', ['--model', os.path.join(tmp, 'tutorial')] + TUTORIAL + extra, True)
    print()
    print(f'{"recipe":10s} {"time to 99.2%":>14s} {"final test acc":>15s} {"total time":>11s}')
    for name, curve in (('tutorial', tutorial), ('ours', ours)):
        if curve:
            t = time_to_target(curve)
            print(f'{name:10s} {"not reached" if t is None else f"{t:.0f} s":>14s} '
                  f'{curve[-1][2]:15.4f} {curve[-1][0]:10.0f}s')
    if tutorial and time_to_target(tutorial) and time_to_target(ours):
        print(f'ratio (ours / tutorial, time to 99.2%): '
              f'{time_to_target(ours) / time_to_target(tutorial):.3f}')


if __name__ == '__main__':
    main()
