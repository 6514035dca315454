"""How fast predict_2.py reads digits: start-up, throughput, one call vs many.

    python bench/predict_speed.py [--images 1000] [--repeats 5] [--batch-repeats 5]
                                  [--separate 20]

(a) wall time of `predict_2.py samples/7.png` against a bare
    `python -c "import tensorflow"` (median of --repeats runs each, the runs
    interleaved; also against the same import with the TF_* environment
    predict_2.py sets); target: ratio <= 1.2, i.e. start-up costs little
    beyond importing TensorFlow.
(b) images per second of one call reading --images digit pictures drawn at
    varied sizes with tests/make_samples.py: raw, and after start-up, that
    is the call's time minus that of a one-picture call run just before it
    (median over --batch-repeats such pairs, since this machine's speed
    drifts by tens of percent within minutes); target >= 500/s after
    start-up.
(c) that one call against one call per picture: --separate one-file calls
    are timed and the total extrapolated to --images calls; target >= 100x.

Prints a small table; never fails on a timing (the machine may be busy:
the load average is printed with the figures). Exit status 1 only if a run
of predict_2.py itself fails.
"""
import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from shared import ROOT, from_repo

SAMPLE = os.path.join('samples', '7.png')


def timed(cmd, env=None):
    """(seconds, completed process) of one run of `cmd` from the repository root."""
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                            env=None if env is None else {**os.environ, **env})
    return time.perf_counter() - start, result


def check(result, what):
    if result.returncode != 0:
        sys.stderr.write(f'{what} failed (exit {result.returncode}):\n{result.stderr[-2000:]}\n')
        sys.exit(1)


def interleaved_times(commands, repeats):
    """{name: [seconds per run]} for (name, cmd, env) commands run in turn,
    `repeats` rounds, so a change in machine load affects them alike."""
    times = {name: [] for name, _, _ in commands}
    for _ in range(repeats):
        for name, cmd, env in commands:
            seconds, result = timed(cmd, env)
            check(result, name)
            times[name].append(seconds)
    return times


def draw_pictures(folder, n, seed=0):
    """n digit PNGs of varied size, shape, pen width and placement; [(path, digit)]."""
    draw_digit = from_repo('tests/make_samples.py').draw_digit
    rng = random.Random(seed)
    out = []
    for i in range(n):
        digit = i % 10
        side = rng.choice([28, 48, 64, 100, 150, 200, 300, 400])
        size = side if rng.random() < 0.6 else (side, int(side * rng.uniform(0.6, 1.6)))
        width = max(2, round(min(side, side if isinstance(size, int) else size[1])
                             * rng.uniform(0.04, 0.08)))
        img = draw_digit(digit, size=size, width=width, margin=rng.uniform(0.1, 0.25), seed=i)
        path = os.path.join(folder, f'{digit}_{i:05d}.png')
        img.save(path)
        out.append((path, digit))
    return out


def draw_numbers(folder, n, seed=0):
    """n PNGs of written numbers of 2-6 digits (tests/synth.py), some touching; [(path, digits)]."""
    synth = from_repo('tests/synth.py')
    rng = random.Random(seed)
    out = []
    for i in range(n):
        text = ''.join(rng.choice('0123456789') for _ in range(rng.randint(2, 6)))
        path = os.path.join(folder, f'{text}_{i:05d}.png')
        synth.number(text, touching=rng.random() < 0.3).save(path)
        out.append((path, text))
    return out


def row(label, value, target=''):
    print(f'  {label:<52} {value:>14}  {target}')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--images', type=int, default=1000, help='pictures read in one call (b, c)')
    p.add_argument('--repeats', type=int, default=5, help='runs per median in (a)')
    p.add_argument('--batch-repeats', type=int, default=5, help='pairs of calls per median in (b)')
    p.add_argument('--separate', type=int, default=20,
                   help='one-file calls timed in (c), extrapolated to --images calls')
    p.add_argument('--numbers', action='store_true',
                   help='(b, c) on pictures of written numbers of 2-6 digits instead of single digits '
                        '(target >= 200/s after start-up)')
    p.add_argument('extra', nargs='*', help='options passed on to predict_2.py (after --)')
    args = p.parse_args(argv)
    if min(args.images, args.repeats, args.batch_repeats, args.separate) < 1:
        p.error('counts must be at least 1')
    py = sys.executable
    predict = [py, 'predict_2.py', *args.extra]

    print(f'predict_2.py speed  (cpus {os.cpu_count()}, load average before '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())})')

    # (a) start-up
    # predict_2.py sets these before importing TensorFlow; the bare import runs
    # with the user's environment, the "quiet" one with predict's settings.
    quiet = {'TF_CPP_MIN_LOG_LEVEL': '2', 'TF_ENABLE_ONEDNN_OPTS': '1'}
    runs = interleaved_times([('predict', predict + [SAMPLE], None),
                              ('import', [py, '-c', 'import tensorflow'], None),
                              ('quiet import', [py, '-c', 'import tensorflow'], quiet)],
                             args.repeats)
    t_predict, t_import, t_quiet = (statistics.median(runs[k])
                                    for k in ('predict', 'import', 'quiet import'))

    # (b) one call on many pictures
    with tempfile.TemporaryDirectory(prefix='predict_speed_') as folder:
        start = time.perf_counter()
        pictures = (draw_numbers if args.numbers else draw_pictures)(folder, args.images)
        t_draw = time.perf_counter() - start
        batch_times, one_times = [], []
        for _ in range(args.batch_repeats):
            seconds, result = timed(predict + [SAMPLE])
            check(result, 'predict_2.py ' + SAMPLE)
            one_times.append(seconds)
            seconds, result = timed(predict + [folder])
            check(result, f'predict_2.py on {args.images} pictures')
            batch_times.append(seconds)
        t_batch = statistics.median(batch_times)
        after_startup = statistics.median(b - o for b, o in zip(batch_times, one_times))
        lines = [line.split('\t') for line in result.stdout.splitlines()]
        truth = {path: str(digit) for path, digit in pictures}
        correct = sum(truth.get(path) == text for path, text in lines)

        # (c) one call per picture, a sample of them
        step = max(1, len(pictures) // args.separate)
        chosen = [path for path, _ in pictures[::step][:args.separate]]
        t_separate = 0.0
        for path in chosen:
            seconds, result = timed(predict + [path])
            check(result, f'predict_2.py {path}')
            t_separate += seconds

    factor = args.images / len(chosen)
    t_all_separate = t_separate * factor

    print('(a) start-up')
    row(f'predict_2.py {SAMPLE}, median of {args.repeats}', f'{t_predict:.2f} s')
    row(f'python -c "import tensorflow", median of {args.repeats}', f'{t_import:.2f} s')
    row('ratio', f'{t_predict / t_import:.2f}', 'target <= 1.2')
    row(f'same import with predict\'s TF_* settings, median', f'{t_quiet:.2f} s')
    row('ratio to that', f'{t_predict / t_quiet:.2f}')
    for name, times in runs.items():
        print(f'      {name} runs: {" ".join(f"{t:.2f}" for t in times)}')
    print(f'(b) one call on {args.images} pictures (drawn in {t_draw:.1f} s, '
          f'read correctly {correct}/{args.images})')
    row(f'wall time, median of {args.batch_repeats}', f'{t_batch:.2f} s')
    print(f'      runs: {" ".join(f"{t:.2f}" for t in batch_times)}')
    print(f'      one-picture runs just before: {" ".join(f"{t:.2f}" for t in one_times)}')
    row('images/s raw', f'{args.images / t_batch:.0f}')
    if after_startup > 0:
        row(f'images/s after start-up (median difference {after_startup:.2f} s)',
            f'{args.images / after_startup:.0f}', 'target >= 200' if args.numbers else 'target >= 500')
    else:
        row('images/s after start-up', 'n/a (call faster than the one-picture calls)', 'target >= 500')
    print(f'(c) one call vs {args.images} one-file calls')
    row(f'{len(chosen)} separate calls, measured', f'{t_separate:.1f} s')
    row(f'{args.images} separate calls, extrapolated x{factor:g}', f'{t_all_separate:.0f} s')
    row(f'speed-up of one call', f'{t_all_separate / t_batch:.0f}x', 'target >= 100x')
    print(f'load average after {" ".join(f"{x:.2f}" for x in os.getloadavg())}')


if __name__ == '__main__':
    main()
