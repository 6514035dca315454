"""Time to 99.2% MNIST test accuracy: the experts' tutorial recipe against our
defaults for model 2, trained one after the other in the same run.

    python bench/train_speed.py [--data-dir DIR] [--seed N] [--skip-tutorial] [--tutorial-bfloat16]

Tutorial recipe: batch 50, Adam at a constant 1e-4, dropout 0.5, no
augmentation, no weight averaging, up to 20,000 steps (stopped once it passes
99.2%), in float32 as the tutorial was (or, with --tutorial-bfloat16, with
our bfloat16 setting, to see what the recipe alone gains). Ours: the
defaults of create_model_2.py. Test accuracy is measured every eighth of an
epoch until a run passes 99.2%, then at the end. Times are those
digits.training.train reports: from its start (data loading included), with
the time spent measuring accuracy (test and validation) left out.
"""
import argparse
import os
import sys
import tempfile

from digits import cli, session, train_cli
from shared import from_repo

DEFAULTS = from_repo('create_model_2.py').DEFAULTS

TARGET = 0.992
TUTORIAL = ['--batch-size', '50', '--steps', '20000', '--learning-rate', '1e-4',
            '--schedule', 'constant', '--warmup', '0', '--dropout', '0.5',
            '--label-smoothing', '0', '--no-augment', '--average', '0']


def timed_run(name, argv, stop_at_target):
    """Train; return [(seconds, step, test accuracy)] at each evaluation."""
    from digits import training      # imports TensorFlow: after main's quiet_tensorflow
    args = train_cli.parse_args(2, DEFAULTS, argv)
    args.eval_every = 55000 // args.batch_size // 8
    from digits.data import load
    test_x, test_y = load(args.data_dir)['test']
    curve = []
    total = args.steps or round(args.epochs * (55000 // args.batch_size))

    def measure(step, sess, net, seconds):
        if time_to_target(curve) is not None and step < total:
            return False   # passed: only the final accuracy is still wanted
        acc = training.accuracy(sess, net, test_x, test_y)
        curve.append((seconds, step, acc))
        print(f'[{name}] {seconds:7.1f}s  step {step}  test {acc:.4f}', flush=True)
        return stop_at_target and acc >= TARGET

    try:
        training.train(args, callback=measure)
    except training.Stopped as e:      # Ctrl-C: one line and exit 130, as create_model_2.py stops
        print(f'\n{e}', file=sys.stderr)
        sys.exit(cli.EXIT_PIPE_CLOSED if e.closed else cli.EXIT_INTERRUPTED)
    return curve


def time_to_target(curve):
    return next((s for s, _, acc in curve if acc >= TARGET), None)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data-dir')
    p.add_argument('--seed', default='0', help='for both runs (default: %(default)s)')
    p.add_argument('--skip-tutorial', action='store_true')
    p.add_argument('--tutorial-bfloat16', action='store_true')
    a = p.parse_args()
    session.quiet_tensorflow(onednn=True)
    with session.onednn_notice_hidden():
        import tensorflow  # noqa: F401  (imported before either run, so neither is timed importing it)
    extra = ['--seed', a.seed] + (['--data-dir', a.data_dir] if a.data_dir else [])
    tutorial_recipe = TUTORIAL + ([] if a.tutorial_bfloat16 else ['--no-bfloat16'])
    with tempfile.TemporaryDirectory() as tmp:
        ours = timed_run('ours', ['--model', os.path.join(tmp, 'ours')] + extra, False)
        tutorial = None if a.skip_tutorial else timed_run(
            'tutorial', ['--model', os.path.join(tmp, 'tutorial')] + tutorial_recipe + extra, True)
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
