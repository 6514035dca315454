"""How well real written numbers are read: ORAND-CAR-A's amounts from bank cheques.

    python bench/read_real_numbers.py [--folder ../shared/numbers-dev/orand_car_a] [-- predict options]

Runs the real prediction path, `predict_2.py --json` over the folder's
pictures (one process, as a user would), and prints the exact-match
accuracy, the digit error rate (edit distance over the labels' digits),
the accuracy by number length, and how far confidence can be trusted: of
the numbers whose every digit is read at least SURE (JSON 'confidence'),
how many are right. The labels (labels.csv, filename,label)
are the digits left to right. These pictures are for measuring only: the
reader never trains on them.
"""
import argparse
import collections
import csv
import json
import os
import subprocess
import sys
import time

from digits.ctc import edit_distance
from shared import ROOT

SURE = (0.9, 0.99)   # confidences at which the numbers read that sure are counted
DEFAULT = os.path.join(os.path.dirname(ROOT), 'shared', 'numbers-dev', 'orand_car_a')


def read_folder(folder, extra):
    """{file name: label}, {file name: (result, confidence)}, and the seconds predict_2.py took."""
    with open(os.path.join(folder, 'labels.csv'), newline='') as f:
        labels = {row['filename']: row['label'] for row in csv.DictReader(f)}
    paths = [os.path.join(folder, name) for name in sorted(labels)]
    start = time.perf_counter()
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'predict_2.py'), '--json', *extra, *paths],
                         capture_output=True, text=True)
    seconds = time.perf_counter() - start
    read = {}
    for line in out.stdout.splitlines():
        got = json.loads(line)
        read[os.path.basename(got['path'])] = got['result'], got['confidence']
    return labels, read, seconds


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--folder', default=DEFAULT)
    p.add_argument('--show', type=int, default=0, help='print this many misreadings')
    p.add_argument('extra', nargs='*', help='options passed on to predict_2.py (after --)')
    args = p.parse_args()
    if not os.path.isfile(os.path.join(args.folder, 'labels.csv')):
        sys.exit(f'error: no labels.csv in {args.folder}')
    labels, read, seconds = read_folder(args.folder, args.extra)
    exact, errors, digits = 0, 0, 0
    by_length = collections.defaultdict(lambda: [0, 0])
    misses = []
    for name, truth in labels.items():
        got = read.get(name, ('', 0.0))[0] or ''
        exact += got == truth
        errors += edit_distance(got, truth)
        digits += len(truth)
        by_length[len(truth)][0] += got == truth
        by_length[len(truth)][1] += 1
        if got != truth:
            misses.append((name, truth, got))
    n = len(labels)
    print(f'{args.folder}: {n} numbers, read in {seconds:.1f} s by one predict_2.py call '
          f'(start-up included)')
    print(f'exact: {exact}/{n} ({exact / n:.1%})')
    print(f'digit error rate: {errors}/{digits} ({errors / digits:.2%})')
    print('by length: ' + ', '.join(f'{k}: {r}/{t}' for k, (r, t) in sorted(by_length.items())))
    for sure in SURE:
        taken = [name for name, (_, confidence) in read.items() if name in labels and confidence >= sure]
        right = sum(read[name][0] == labels[name] for name in taken)
        print(f'every digit read at least {sure} sure: {len(taken)} numbers, {right} of them right'
              + (f' ({right / len(taken):.1%})' if taken else ''))
    for name, truth, got in misses[:args.show]:
        print(f'  {truth} read {got or "(nothing)"}  {name}')


if __name__ == '__main__':
    main()
