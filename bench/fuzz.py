"""Fuzz imageprepare with many damaged image files (the cases of tests/test_fuzz.py, more of them).

    python bench/fuzz.py --cases 50000 --seed 1 [--format png] [--start 0] [--jobs 2] [--save DIR]

Case n of each format is rebuilt from (seed, format, n), so a failure is
reproduced with `--seed S --format F --start n --cases 1`. Prints the counts of
outcomes (predicted, clean ImageError by kind, failures by kind) and exits 1 on
any failure: the contract is a valid array or an ImageError, nothing else.
"""
import argparse
import collections
import os
import re
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from shared import from_repo

from_repo('imageprepare.py')            # the design card's imageprepare(path), which fuzzcases checks
fuzzcases = from_repo('tests/fuzzcases.py')

CHUNK = 250


def run_chunk(fmt, numbers, seed, save, trace):
    """Counts of outcomes and the failures [(label, detail)] of some cases of one format."""
    warnings.simplefilter('ignore')            # Pillow warns about damaged EXIF data
    counts, details, failures = collections.Counter(), collections.Counter(), []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f'case.{fmt}'
        for case, outcome in fuzzcases.run_cases(fmt, numbers, seed, tmp, trace=trace):
            if outcome.kind == 'error':
                counts['error: ' + fuzzcases.error_kind(outcome.detail, path)] += 1
                details[re.sub(r'\d+', 'N', outcome.detail.replace(f'{path}: ', ''))] += 1
            else:
                counts[outcome.kind] += 1
            if outcome.kind == 'failure':
                failures.append((fuzzcases.label(case), outcome.detail))
                if save:
                    Path(save).mkdir(parents=True, exist_ok=True)
                    (Path(save) / f'seed{seed}-{fmt}-{case.number}.{fmt}').write_bytes(case.data)
    return counts, details, failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--cases', type=int, default=10000, help='number of cases in all')
    ap.add_argument('--seed', type=int, default=1, help='run seed (the test uses 0)')
    ap.add_argument('--start', type=int, default=0, help='first case number of each format')
    ap.add_argument('--format', choices=fuzzcases.FORMATS, help='only this format')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--save', metavar='DIR', help='write the failing files here')
    ap.add_argument('-v', '--verbose', action='store_true', help='also list the error messages')
    ap.add_argument('--trace', action='store_true',
                    help='name each case on stderr before running it (to find a crash or a hang in C)')
    args = ap.parse_args()

    formats = [args.format] if args.format else list(fuzzcases.FORMATS)
    per_format = {f: args.cases // len(formats) + (i < args.cases % len(formats))
                  for i, f in enumerate(formats)}
    jobs = [(f, range(n, min(n + CHUNK, args.start + per_format[f])))
            for f in formats for n in range(args.start, args.start + per_format[f], CHUNK)]

    counts, details, failures = collections.Counter(), collections.Counter(), []
    began = time.time()
    with ProcessPoolExecutor(max(1, args.jobs)) as pool:
        futures = {pool.submit(run_chunk, f, numbers, args.seed, args.save, args.trace): (f, numbers)
                   for f, numbers in jobs}
        for future in as_completed(futures):
            f, numbers = futures[future]
            try:
                c, d, fl = future.result()
            except Exception as e:     # a worker died (a crash, or a hang in C code), breaking the pool
                c, d = collections.Counter({'failure: not run, a worker died': len(numbers)}), {}
                fl = [(f'{f} cases {numbers.start}..{numbers.stop - 1} (seed {args.seed})',
                       f'worker died ({type(e).__name__}); rerun with --trace --jobs 1 --format {f} '
                       f'--start {numbers.start} --cases {len(numbers)}')]
            counts.update(c)
            details.update(d)
            failures.extend(fl)

    total = sum(counts.values())
    print(f'{total} cases ({", ".join(formats)}, seed {args.seed}) in {time.time() - began:.0f} s')
    for kind, n in sorted(counts.items(), key=lambda kv: (kv[0].startswith('failure'), -kv[1])):
        print(f'{n:8d}  {kind}')
    if args.verbose:
        print('\nerror messages:')
        for msg, n in details.most_common():
            print(f'{n:8d}  {msg}')
    if failures:
        print(f'\nFAILURES ({len(failures)}):')
        kinds = collections.Counter(detail for _, detail in failures)
        for detail, n in kinds.most_common():
            first = next(lab for lab, d in failures if d == detail)
            print(f'{n:8d}  {detail}\n          e.g. {first}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
