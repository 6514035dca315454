"""Measure a model on a labelled folder of your own handwriting (predict_N.py --evaluate DIR).

Labels come from digits.inputs.labelled_files. Prints accuracy overall and
per digit, the confusion matrix and the misses; `--report` draws the misses
as a contact sheet.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from .cli import EXIT_FAILED, Failure, writable_folder
from .inputs import labelled_files
from .preparing import prepare
from .reading import read_all

CELL_WIDTH = 200      # px: one miss on the --report sheet
NAME_LENGTH = 30      # characters of a file name that fit under it


def confusion(truth, guess):
    """[10, 10] counts: rows the truth, columns the guess (None: not counted)."""
    matrix = np.zeros((10, 10), int)
    for t, g in zip(truth, guess):
        if g is not None:
            matrix[t, g] += 1
    return matrix


def run(classifier, items, single=False, numbers=None):
    """Read each (path, label) as the CLI does (with `numbers`, the number
    reader, as predict_2.py does): (guesses, prepared 28x28s). A
    picture read as several digits, or not read, is a miss (guess None)."""
    guesses, images, _ = read_labelled(classifier, items, single, numbers)
    return guesses, images


def read_labelled(classifier, items, single=False, numbers=None):
    """run's (guesses, images), and how many pictures could not be read
    (each said on stderr)."""
    results = read_all(classifier, prepare([p for p, _ in items], single), numbers=numbers)
    guesses, images, unreadable = [], [], 0
    for r in results:
        if isinstance(r, str):
            print(f'error: {r}', file=sys.stderr)
            guesses.append(None)
            images.append(None)
            unreadable += 1
        else:
            guesses.append(int(r[0][1].argmax()) if len(r) == 1 else None)
            images.append(r[0][0])
    return guesses, images, unreadable


def print_summary(items, guesses):
    """Print accuracy, per digit, the confusion matrix and the misses; return the accuracy."""
    truth = [label for _, label in items]
    correct = [g == t for g, t in zip(guesses, truth)]
    print(f'accuracy {np.mean(correct):.4f} ({sum(correct)}/{len(items)})')
    for d in range(10):
        mine = [c for c, t in zip(correct, truth) if t == d]
        if mine:
            print(f'  digit {d}: {np.mean(mine):.4f} ({sum(mine)}/{len(mine)})')
    print('confusion matrix (rows: truth, columns: guess)')
    print('     ' + ' '.join(f'{d:4d}' for d in range(10)))
    for d, row in enumerate(confusion(truth, guesses)):
        print(f'  {d}: ' + ' '.join(f'{v:4d}' for v in row))
    misses = [(p, t, g) for (p, t), g in zip(items, guesses) if g != t]
    if misses:
        print('misses (path, truth, guess):')
        for p, t, g in misses:
            print(f'  {p}\t{t}\t{"unreadable" if g is None else g}')
    return float(np.mean(correct))


def draw_report(path, items, guesses, images):
    """A contact sheet of the misses: the original beside what the network saw."""
    misses = [(p, t, g, im) for (p, t), g, im in zip(items, guesses, images) if g != t]
    cell_w, cell_h, cols = CELL_WIDTH, 120, 4
    rows = max(1, -(-len(misses) // cols))
    sheet = Image.new('RGB', (cols * cell_w, rows * cell_h), 'white')
    draw = ImageDraw.Draw(sheet)
    if not misses:
        draw.text((10, 10), 'no misses', fill='black')
    for i, (p, t, g, im) in enumerate(misses):
        x, y = (i % cols) * cell_w, (i // cols) * cell_h
        try:
            with Image.open(p) as original:
                thumb = ImageOps.contain(original.convert('RGB'), (90, 90))
            sheet.paste(thumb, (x + 5, y + 5))
        except Exception:
            draw.text((x + 5, y + 40), 'unreadable', fill='red')
        if im is not None:
            seen = Image.fromarray((im * 255).astype(np.uint8)).resize((84, 84), Image.NEAREST)
            sheet.paste(seen, (x + 105, y + 5))
        draw.text((x + 5, y + 92), f'truth {t}  guess {"?" if g is None else g}', fill='red')
        draw.text((x + 5, y + 105), shortened(os.path.basename(p)), fill='black')
    sheet.save(path)


def main(args, open_reader):
    """--evaluate DIR: read every labelled picture in it with the Reader that
    open_reader() makes (after the folder is checked) and print the summary; exit status."""
    try:
        items = labelled_files(args.evaluate)
    except (ValueError, OSError) as e:
        raise Failure(e) from None
    if not items:
        raise Failure(f'{args.evaluate}: no labelled images (labels.csv, digit folders or '
                      'file names starting with the digit)')
    if args.report:     # found out now, not after reading everything
        writable_folder(os.path.dirname(args.report))
    reader = open_reader()
    guesses, images, unreadable = read_labelled(reader.classifier, items, args.single, reader.numbers)
    print_summary(items, guesses)
    if args.report:
        try:
            draw_report(args.report, items, guesses, images)
        except OSError as e:
            raise Failure(f'{args.report}: cannot write the report ({e.strerror or e})') from None
        print(f'report written to {args.report}')
    return EXIT_FAILED if unreadable else 0


def shortened(name, length=NAME_LENGTH):
    """A file name cut in the middle to `length` characters, its start and extension kept."""
    if len(name) <= length:
        return name
    keep = length - 3
    return name[:keep - keep // 3] + '...' + name[-(keep // 3):]
