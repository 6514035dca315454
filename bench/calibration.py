"""Does a confidence of p mean right p of the time? Expected calibration error, before and after.

    python bench/calibration.py [--models 1 2] [--data-dir DIR]

For each shipped model, the expected calibration error (15 equal-width
confidence bins; digits/calibration.py) of its probabilities as trained
(temperature 1) and as reported (its fitted temperature), on MNIST's
10,000 test digits (raw arrays) and on ../shared/handwriting-dev/ read
through the prediction path as single digits (--single), each source and
all together. Also the share of digits read at confidence 0.95 or more, and
how often those are right. Accuracy is the same before and after: the
temperature never changes the most likely digit.
"""
import argparse
import os

import numpy as np

from digits import session
from digits.calibration import calibrated, expected_calibration_error
from digits.data import load
from digits.inputs import labelled_files
from digits.preparing import prepare
from digits.reading import MODELS, read_all

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV_SET = os.path.join(os.path.dirname(ROOT), 'shared', 'handwriting-dev')
SURE = 0.95


def dev_set(classifier):
    """{source: (probabilities [n, 10] as trained, labels [n])} of the dev set, read --single."""
    out = {}
    for source in sorted(os.listdir(DEV_SET)):
        folder = os.path.join(DEV_SET, source)
        if not os.path.isfile(os.path.join(folder, 'labels.csv')):
            continue
        items = labelled_files(folder)
        results = read_all(classifier, prepare([p for p, _ in items], single=True))
        kept = [(r[0].probabilities, label) for r, (_, label) in zip(results, items)
                if not isinstance(r, str)]
        out[source] = (np.array([p for p, _ in kept]), np.array([t for _, t in kept]))
    return out


def row(name, probabilities, labels, temperature):
    """One line: ECE before and after, accuracy, and the sure digits' share and accuracy after."""
    after = calibrated(probabilities, temperature)
    sure = after.max(axis=1) >= SURE
    right = after.argmax(axis=1) == labels
    sure_text = f'{sure.mean():6.1%} {right[sure].mean():7.2%}' if sure.any() else '     -       -'
    print(f'{name:36s} {len(labels):6d}  {expected_calibration_error(probabilities, labels):.4f}'
          f'  {expected_calibration_error(after, labels):.4f}  {right.mean():.4f}  {sure_text}')


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--models', type=int, nargs='+', default=[1, 2])
    p.add_argument('--data-dir')
    args = p.parse_args()
    session.quiet_tensorflow()
    from digits.model import Classifier     # imports TensorFlow
    test_x, test_y = load(args.data_dir)['test']
    for number in args.models:
        classifier = Classifier(number, os.path.join(MODELS, f'model_{number}'))
        t = classifier.temperature
        print(f'\nmodel {number} ({classifier.prefix}), temperature {t:.3f}')
        print(f'{"":36s} {"digits":>6s}  {"ECE T=1":7s}  {"ECE T":6s}  {"acc":6s}  '
              f'{"p>=" + str(SURE):>6s} {"right":>7s}')
        row('MNIST test digits (raw arrays)', classifier.probabilities(test_x.reshape(-1, 28, 28)),
            test_y, t)
        if not os.path.isdir(DEV_SET):
            print(f'({DEV_SET} not found: no handwriting rows)')
            continue
        sources = dev_set(classifier)
        for source, (probs, labels) in sources.items():
            row(f'  {source}', probs, labels, t)
        own = [s for s in sources if 'semeion' not in s.lower()]
        row('own handwriting (all but Semeion)', np.concatenate([sources[s][0] for s in own]),
            np.concatenate([sources[s][1] for s in own]), t)
        row('all handwriting', np.concatenate([v[0] for v in sources.values()]),
            np.concatenate([v[1] for v in sources.values()]), t)


if __name__ == '__main__':
    main()
