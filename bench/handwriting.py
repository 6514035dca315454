"""How well the engine reads real handwriting, through the real prediction path.

    python bench/handwriting.py [--model models/model_2] [--mnist-pngs 10000]

Prints accuracy per source of ../shared/handwriting-dev/ and overall (the own-
handwriting sources apart from Semeion), then MNIST's test digits written out
as uncropped, off-centre PNGs and read back the way predict_2.py reads files,
next to the model's raw test accuracy on the original arrays.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np
from PIL import Image

from digits import evaluate, session
from digits.data import DataError, load
from digits.inputs import labelled_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEV_SET = os.path.join(os.path.dirname(ROOT), 'shared', 'handwriting-dev')


def dev_set_accuracy(classifier, root=DEV_SET, numbers=None):
    """{source: (correct, total)} over every source folder of the dev set."""
    scores = {}
    for source in sorted(os.listdir(root)):
        folder = os.path.join(root, source)
        if os.path.isfile(os.path.join(folder, 'labels.csv')):
            items = labelled_files(folder)
            guesses, _ = evaluate.run(classifier, items, numbers=numbers)
            scores[source] = (sum(g == t for g, (_, t) in zip(guesses, items)), len(items))
    return scores


def write_mnist_pngs(folder, images, labels, seed=0):
    """Black on white, on a page with a wide margin, off-centre, like a user's file."""
    rng = np.random.default_rng(seed)
    items = []
    for i, (img, label) in enumerate(zip(images, labels)):
        h, w = rng.integers(40, 120, 2)
        page = np.full((h, w), 255, np.uint8)
        y, x = rng.integers(0, h - 27), rng.integers(0, w - 27)
        page[y:y + 28, x:x + 28] = 255 - img
        path = os.path.join(folder, f'{i:05d}.png')
        Image.fromarray(page).save(path)
        items.append((path, int(label)))
    return items


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default=os.path.join(ROOT, 'models', 'model_2'))
    p.add_argument('--numbers', action='append',
                   help='the number reader, replacing the shipped one and its second opinions; '
                        'given again, another run of it')
    p.add_argument('--mnist-pngs', type=int, default=10000, help='how many test digits (0 to skip)')
    p.add_argument('--date-model', help='the date reader (default: the shipped models/dates)')
    p.add_argument('--no-date-model', dest='date_model', action='store_false', help='read without it')
    p.add_argument('--data-dir')
    args = p.parse_args()
    session.quiet_tensorflow(onednn=True)   # as digits.reading.Reader sets it, before TensorFlow loads
    from digits.reading import Reader
    reader = Reader(2, args.model, args.numbers, args.date_model)    # as predict_2.py reads
    classifier, numbers = reader.classifier, reader.numbers
    print(f'model {classifier.prefix}, number reader {", ".join(numbers.prefixes)}, '
          f'date reader {numbers.date_prefix}')

    if os.path.isdir(DEV_SET):
        scores = dev_set_accuracy(classifier, numbers=numbers)
        print(f'{"source":40s} {"accuracy":>9s}')
        for source, (right, total) in scores.items():
            print(f'{source:40s} {right / total:9.4f}  ({right}/{total})')
        own = [s for s in scores if s != 'semeion']
        right, total = (sum(scores[s][i] for s in own) for i in (0, 1))
        print(f'{"own handwriting (all but semeion)":40s} {right / total:9.4f}  ({right}/{total})')
    else:
        print(f'development set not found at {DEV_SET}')

    if args.mnist_pngs:
        try:
            data = load(args.data_dir)
        except DataError as e:
            sys.exit(f'error: {e}')
        test_x, test_y = data['test']
        n = min(args.mnist_pngs, len(test_x))
        raw = (classifier.probabilities(test_x[:n]).argmax(1) == test_y[:n]).mean()
        images = np.round(test_x[:n].reshape(-1, 28, 28) * 255).astype(np.uint8)
        with tempfile.TemporaryDirectory() as tmp:
            items = write_mnist_pngs(tmp, images, test_y[:n])
            start = time.time()
            guesses, _ = evaluate.run(classifier, items, numbers=numbers)
            seconds = time.time() - start
        png = np.mean([g == t for g, (_, t) in zip(guesses, items)])
        print(f'MNIST test digits, raw arrays:         {raw:.4f}  ({n} digits)')
        print(f'MNIST test digits as uncropped PNGs:   {png:.4f}  '
              f'(difference {100 * (png - raw):+.2f} points; {n / seconds:.0f} images/s)')


if __name__ == '__main__':
    main()
