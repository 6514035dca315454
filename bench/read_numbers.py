"""How well written numbers are read: synthesised numbers (tests/synth.py)
through the prediction path of predict_2.py, counted exactly right.

    python bench/read_numbers.py [--model models/model_2]

Prints, per kind of picture, the 20 numbers of 2-6 digits that
tests/test_cli.py::test_numbers uses, plus 40 two-digit touching pairs, the
hardest case for splitting.
"""
import argparse
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import synth  # noqa: E402
from predict import Classifier, describe, prepare, read_all  # noqa: E402


def read_exactly(classifier, truths, folder, **kind):
    """How many of the numbers, drawn as `kind`, read exactly right."""
    paths = []
    for i, text in enumerate(truths):
        paths.append(os.path.join(folder, f'{i:02d}_{text}.png'))
        synth.number(text, **kind).save(paths[-1])
    results = read_all(classifier, prepare(paths, single=False))
    return sum(isinstance(r, list) and describe(r) == text for r, text in zip(results, truths))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default=os.path.join(ROOT, 'models', 'model_2'))
    args = p.parse_args()
    classifier = Classifier(2, args.model)
    test_numbers = synth.numbers(20, [2, 3, 4, 5, 6], seed=2024)    # as in tests/test_cli.py
    pairs = synth.numbers(40, [2], seed=7)
    with tempfile.TemporaryDirectory() as tmp:
        for name, truths, kind in (('separate', test_numbers, {}),
                                   ('broken stroke', test_numbers, {'broken': True}),
                                   ('ruled paper', test_numbers, {'ruled': True}),
                                   ('touching', test_numbers, {'touching': True}),
                                   ('touching pairs', pairs, {'touching': True})):
            folder = os.path.join(tmp, name.replace(' ', '_'))
            os.makedirs(folder)
            right = read_exactly(classifier, truths, folder, **kind)
            print(f'{name:15s} {right:3d}/{len(truths)}')


if __name__ == '__main__':
    main()
