"""How well written numbers are read: synthesised numbers (tests/synth.py)
through the prediction path of predict_2.py, counted exactly right.

    python bench/read_numbers.py [--model models/model_2]

Prints, per kind of picture, the 20 numbers of 2-6 digits that
tests/test_cli.py::test_numbers uses, plus 40 two-digit touching pairs, the
hardest case for splitting, and (with MNIST at hand) 600 pairs of MNIST's
test digits pushed together until their strokes meet: real handwriting,
not our drawings. How many single MNIST digits get cut by mistake is
bench/handwriting.py's figure for MNIST as PNGs.
"""
import argparse
import os
import sys
import tempfile

import numpy as np
from PIL import Image
from scipy import ndimage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests'))

import mnist_data  # noqa: E402
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


def inked_columns(img):
    """`img` cropped sideways to its ink."""
    columns = np.flatnonzero(img.max(axis=0) > 100)
    return img[:, columns.min():columns.max() + 1]


def touching(a, b, dy, closer):
    """Two MNIST digits (28x28, ink high) enlarged 4x side by side, the second
    `dy` px lower and slid left until its ink touches the first's, then
    `closer` px more: black on white."""
    a, b = (inked_columns(np.asarray(Image.fromarray(d).resize((112, 112), Image.BILINEAR)))
            for d in (a, b))
    page = np.zeros((172, a.shape[1] + b.shape[1] + 80), np.uint8)
    page[30:142, 20:20 + a.shape[1]] = a
    first = ndimage.binary_dilation(page > 100)
    x = 20 + a.shape[1] + 10
    while x > 20 and not (first[30 + dy:142 + dy, x:x + b.shape[1]] & (b > 100)).any():
        x -= 1
    region = page[30 + dy:142 + dy, x - closer:x - closer + b.shape[1]]
    np.maximum(region, b, out=region)
    return Image.fromarray(255 - page[:, :np.flatnonzero(page.max(axis=0)).max() + 30])


def mnist_pairs(data_dir, folder, count=600, seed=2):
    """(paths, truths) of `count` touching pairs of MNIST test digits 5000-9999."""
    images, labels = mnist_data.load(data_dir)['test']
    images = np.round(images.reshape(-1, 28, 28) * 255).astype(np.uint8)
    rng = np.random.default_rng(seed)
    paths, truths = [], []
    for n in range(count):
        i, j = rng.integers(5000, 10000, 2)
        truths.append(f'{labels[i]}{labels[j]}')
        paths.append(os.path.join(folder, f'{n:03d}_{truths[-1]}.png'))
        touching(images[i], images[j], int(rng.integers(-8, 9)), int(rng.integers(0, 7))).save(paths[-1])
    return paths, truths


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default=os.path.join(ROOT, 'models', 'model_2'))
    p.add_argument('--data-dir', help='MNIST (else $MNIST_DATA_DIR, ./MNIST_data)')
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
        try:
            paths, truths = mnist_pairs(args.data_dir, tmp)
        except mnist_data.DataError as e:
            print(f'MNIST pairs: skipped ({e})')
            return
        results = read_all(classifier, prepare(paths, single=False))
        right = sum(isinstance(r, list) and describe(r) == t for r, t in zip(results, truths))
        print(f'{"MNIST pairs":15s} {right:3d}/{len(truths)}')


if __name__ == '__main__':
    main()
