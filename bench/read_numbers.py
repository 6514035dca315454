"""How well written numbers are read: synthesised numbers (tests/synth.py)
through the prediction path of predict_2.py, counted exactly right.

    python bench/read_numbers.py [--model models/model_2]

Prints, per kind of picture, the 20 numbers of 2-6 digits that
tests/test_cli.py::test_numbers uses, plus 40 two-digit touching pairs, the
hardest case for splitting, and (with MNIST at hand) 600 pairs of MNIST's
test digits pushed together until their strokes meet: real handwriting,
not our drawings; 400 numbers of such a pair and one or two MNIST digits
apart; 100 pages of two or three numbers of 2-4 such touching digits one
under another; 100 numbers of 3-8 MNIST digits written one to a cell of a form's
row of cells, and the same on a baseline with ticks, and with no lines;
100 dates of MNIST digits for each separator ('/', '-', '.'), and
how many of them print as written with --separators;
the 20 numbers turned 20 to 40 degrees (apart, and touching);
and 30 numbers of 2-4 MNIST test digits, apart, in each
of five photo conditions of bench/photo_conditions.py. Then pages of
numbers written one under another (digits/rows.py), read as 'a b': 20 of
two or three of the 20 numbers (apart, and touching), and 30 of two photographed numbers of MNIST
test digits in each photo condition. What cutting costs single digits shows in
bench/handwriting.py's accuracy on MNIST as PNGs.
"""
import argparse
import os
import tempfile

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

import photo_conditions as photo
from digits import session
from digits.data import DataError, load
from digits.output import describe
from digits.preparing import prepare
from digits.touching import ENLARGED, as_bytes, enlarged, pushed_together
from shared import ROOT, from_repo

synth = from_repo('tests/synth.py')


def read_right(reader, paths, truths):
    """How many of the pictures at `paths` read exactly as their `truths`."""
    results = reader.read_prepared(prepare(paths, single=False))
    return sum(isinstance(r, list) and describe(r) == t for r, t in zip(results, truths))


def read_tilted(reader, truths, folder, touching=False):
    """How many of the numbers, drawn as `number` draws them and turned by
    20, 30 or 40 degrees, either way in turn, read exactly right."""
    paths = []
    for i, text in enumerate(truths):
        angle = (20, 30, 40)[i % 3] * (-1) ** (i // 3)
        paths.append(os.path.join(folder, f'tilted_{int(touching)}_{i:02d}_{text}.png'))
        synth.number(text, touching=touching).rotate(angle, Image.BICUBIC, expand=True,
                                                     fillcolor='white').save(paths[-1])
    return read_right(reader, paths, truths)


def read_exactly(reader, truths, folder, **kind):
    """How many of the numbers, drawn as `kind`, read exactly right."""
    paths = []
    for i, text in enumerate(truths):
        paths.append(os.path.join(folder, f'{i:02d}_{text}.png'))
        synth.number(text, **kind).save(paths[-1])
    return read_right(reader, paths, truths)


def mnist_pairs(images, labels, folder, count=600, seed=2):
    """(paths, truths) of `count` touching pairs of MNIST test digits 5000-9999."""
    images = as_bytes(images)
    rng = np.random.default_rng(seed)
    paths, truths = [], []
    for n in range(count):
        i, j = rng.integers(5000, 10000, 2)
        truths.append(f'{labels[i]}{labels[j]}')
        paths.append(os.path.join(folder, f'{n:03d}_{truths[-1]}.png'))
        pushed_together([images[i], images[j]], rng).save(paths[-1])
    return paths, truths


def mnist_mixed(images, labels, folder, count=400, seed=3):
    """(paths, truths) of `count` numbers of MNIST test digits 5000-9999: a
    touching pair (as mnist_pairs) and one or two digits apart, in any order."""
    images = as_bytes(images)
    rng = np.random.default_rng(seed)
    paths, truths = [], []
    for n in range(count):
        i, j = rng.integers(5000, 10000, 2)
        parts = [(255 - np.asarray(pushed_together([images[i], images[j]], rng)),
                  f'{labels[i]}{labels[j]}')]
        for k in rng.integers(5000, 10000, rng.integers(1, 3)):
            parts.insert(rng.integers(0, len(parts) + 1), (enlarged(images[k]), str(labels[k])))
        truths.append(''.join(text for _, text in parts))
        paths.append(os.path.join(folder, f'mixed_{n:03d}_{truths[-1]}.png'))
        synth.side_by_side([ink for ink, _ in parts], rng.integers(12, 30, len(parts))).save(paths[-1])
    return paths, truths


def mnist_rows(images, labels, folder, count=100, seed=8):
    """(paths, truths) of `count` pages of two or three numbers of 2-4 MNIST
    test digits 5000-9999, each number's digits pushed together (as
    mnist_pairs), one under another half a digit's height apart, every
    other one indented; the truth 'a b'."""
    images = as_bytes(images)
    rng = np.random.default_rng(seed)
    paths, truths = [], []
    for n in range(count):
        inks, texts = [], []
        for _ in range(rng.integers(2, 4)):
            picks = rng.integers(5000, 10000, rng.integers(2, 5))
            ink = 255 - np.asarray(pushed_together([images[i] for i in picks], rng))
            inks.append(ink[ink.max(axis=1) > 127])      # its rows of ink only
            texts.append(''.join(str(labels[i]) for i in picks))
        indent, gap = ENLARGED // 3, ENLARGED // 2
        page = np.zeros((sum(len(ink) for ink in inks) + gap * (len(inks) + 1),
                         max(ink.shape[1] for ink in inks) + indent), np.uint8)
        y = gap
        for k, ink in enumerate(inks):
            page[y:y + len(ink), indent * (k % 2):indent * (k % 2) + ink.shape[1]] = ink
            y += len(ink) + gap
        truths.append(' '.join(texts))
        paths.append(os.path.join(folder, f'rows_{n:03d}.png'))
        Image.fromarray(255 - page).save(paths[-1])
    return paths, truths


def dates(images, labels, folder, mark, count=100, seed=4):
    """(paths, truths) of `count` dates of MNIST test digits 5000-9999,
    dd`mark`mm`mark`yyyy or yy, the digits enlarged 4x and apart, `mark`
    ('/', '-' or '.') drawn by `separator`; the truth the digits alone
    (12052026). The same dates and digits for each mark."""
    images = as_bytes(images)
    rng, pen = np.random.default_rng(seed), np.random.default_rng(seed + 1)
    by_digit = [np.flatnonzero(labels[5000:] == d) + 5000 for d in range(10)]
    paths, truths = [], []
    for n in range(count):
        day, month, year = rng.integers(1, 29), rng.integers(1, 13), rng.integers(1950, 2030)
        groups = [f'{day:02d}', f'{month:02d}', f'{year}' if rng.random() < 0.7 else f'{year % 100:02d}']
        inks = []
        for k, group in enumerate(groups):
            inks += [separator(mark, pen)] if k else []
            inks += [enlarged(images[rng.choice(by_digit[int(d)])]) for d in group]
        truths.append(''.join(groups))
        name = {'/': 'slash', '-': 'dash', '.': 'dot'}[mark]
        paths.append(os.path.join(folder, f'date_{name}_{n:03d}_{truths[-1]}.png'))
        synth.side_by_side(inks, rng.integers(8, 20, len(inks))).save(paths[-1])
    return paths, truths


def on_a_form(images, labels, folder, lines, count=100, seed=6):
    """(paths, truths) of `count` numbers of 3-8 MNIST test digits 5000-9999
    written one to a cell of a form's row of cells: `lines` 'cells' (a comb
    field), 'ticks' (a baseline with ticks rising between the cells) or
    'none' (the same digits in the same places, no lines); cells 1.1-1.4
    digit heights tall, grey lines 1-6 px thick, each digit up to 8 px off
    its cell's centre."""
    images = as_bytes(images)
    rng = np.random.default_rng(seed)
    ticks = lines == 'ticks'
    paths, truths = [], []
    for n in range(count):
        picks = rng.integers(5000, 10000, rng.integers(3, 9))
        cell_h = int(ENLARGED * rng.uniform(1.1, 1.4))
        cell_w, line = int(cell_h * rng.uniform(0.7, 1.0)), int(rng.integers(1, 7))
        right, top, bottom = 30 + len(picks) * cell_w, 30, 30 + cell_h
        page = Image.new('L', (right + 30, bottom + 30), 255)
        draw = ImageDraw.Draw(page)
        for k, i in enumerate(picks):
            digit = Image.fromarray(255 - images[i]).resize((ENLARGED, ENLARGED), Image.BILINEAR)
            x = 30 + k * cell_w + (cell_w - ENLARGED) // 2 + rng.integers(-8, 9)
            page.paste(digit, (int(x), int(top + (cell_h - ENLARGED) // 2 + rng.integers(-8, 9))),
                       Image.fromarray(images[i]).resize((ENLARGED, ENLARGED), Image.BILINEAR))
        if lines != 'none':
            draw.line([(30, bottom), (right, bottom)], fill=90, width=line)
            if not ticks:
                draw.line([(30, top), (right, top)], fill=90, width=line)
            for x in range(30, right + 1, cell_w):
                draw.line([(x, bottom - cell_h // 3 if ticks else top), (x, bottom)], fill=90, width=line)
        truths.append(''.join(str(labels[i]) for i in picks))
        paths.append(os.path.join(folder, f'form_{lines}_{n:03d}_{truths[-1]}.png'))
        page.save(paths[-1])
    return paths, truths


def separator(mark, rng):
    """A separator as a person draws it, ENLARGED tall like an enlarged MNIST
    digit (its ink in the middle 80 rows), ink high, the pen about as wide
    as their strokes: a '/' about as tall as the digits, 15-33 degrees off
    the vertical; a dash at mid-height; a dot on the line. Drawn here, not
    by the training numbers' number_synth.draw_separator, so that the
    reader is measured on marks it was not made from."""
    w = {'/': rng.integers(35, 60), '-': rng.integers(30, 50), '.': 20}[mark]
    img = Image.new('L', (w, ENLARGED), 0)
    draw, pen = ImageDraw.Draw(img), int(rng.integers(8, 13))
    if mark == '/':
        draw.line([(w - 6, rng.integers(10, 20)), (5, ENLARGED - rng.integers(10, 20))], fill=255, width=pen)
    elif mark == '-':
        y = ENLARGED // 2 + rng.integers(-8, 9)
        draw.line([(4, y), (w - 4, y + rng.integers(-4, 5))], fill=255, width=pen)
    else:
        y = ENLARGED - 22 - rng.integers(0, 6)
        draw.ellipse([4, y, 4 + pen, y + pen], fill=255)
    return np.asarray(img)


def paper(name, h, w, rng):
    """A page h x w (0..1 RGB) of one of the photo conditions."""
    if name == 'lined':          # ruled notebook with a margin line
        img, step = photo.page(h, w, (0.98, 0.98, 0.96)), rng.integers(35, 60)
        for k in (0, 1):
            img[step // 2 + k::step] = (0.6, 0.7, 0.9)
        img[:, 60:62] = (0.9, 0.5, 0.5)
    elif name == 'grid':         # squared paper
        img, step = photo.page(h, w, (0.97, 0.97, 0.95)), rng.integers(20, 40)
        for k in (0, 1):
            img[k::step] = img[:, k::step] = (0.65, 0.75, 0.9)
    elif name == 'shadow':       # a hard-edged shadow across the page
        yy, xx = np.mgrid[0:h, 0:w]
        dark = ndimage.gaussian_filter(((xx - w / 2) * rng.uniform(-1, 1) + yy - h / 2 > 0) * 1.0, 8)
        img = photo.page(h, w, 0.92) * (1 - 0.55 * dark[..., None])
    elif name == 'pencil':       # faint thin strokes on a gradient
        img = np.repeat((0.7 + 0.2 * np.mgrid[0:h, 0:w][1] / w)[..., None], 3, axis=2)
    else:
        img = photo.page(h, w, 1)
    return img


def photographed_number(name, images, labels, rng, size=120, rows=1):
    """(picture, truth): 2-4 MNIST test digits from 300 on, apart, about
    `size` px tall, in condition `name`; a JPEG's worth of noise. With
    `rows`, that many such numbers one under another, 1.6 digit heights
    apart (the truth 'a b')."""
    picks = [rng.integers(300, len(images), rng.integers(2, 5)) for _ in range(rows)]
    thin = name in ('lined', 'pencil')      # a ballpoint or a pencil
    step = int(size * 1.6)
    h, w = 420 + (rows - 1) * step, 200 + max(len(p) for p in picks) * int(size * 1.1)
    img = paper(name, h, w, rng)
    for k, row in enumerate(picks):
        x, y = 100 + int(size * 0.55), h // 2 + int((k - (rows - 1) / 2) * step)
        for i in row:
            alpha = photo.pen_line(images[i], size) if thin else photo.ink(images[i], size)
            colour = 0.3 if name == 'pencil' else (0.1, 0.1, 0.3)
            img = photo.put(img, alpha * (0.5 if name == 'pencil' else 1), colour,
                            y + rng.integers(-10, 10), x)
            x += int(size * 1.1)
    img = np.clip((img + rng.normal(0, 0.02, img.shape)) * 255, 0, 255).astype(np.uint8)
    return Image.fromarray(img), ' '.join(''.join(str(labels[i]) for i in row) for row in picks)


def read_photographed(reader, images, labels, name, folder, count=30, rows=1):
    """How many of `count` photographed numbers (pages of `rows` numbers) in
    condition `name` read exactly."""
    rng = np.random.default_rng(5)
    paths, truths = [], []
    for k in range(count):
        img, truth = photographed_number(name, images, labels, rng, rows=rows)
        paths.append(os.path.join(folder, f'{name}_{rows}_{k:02d}.jpg'))
        img.save(paths[-1], quality=85)
        truths.append(truth)
    results = reader.read_prepared(prepare(paths, single=False))
    return sum(isinstance(r, list) and r.number == t for r, t in zip(results, truths))


def read_pages(reader, pages, truths, folder):
    """How many of the pictures `pages` read exactly as `truths` ('a b')."""
    paths = []
    for i, page in enumerate(pages):
        paths.append(os.path.join(folder, f'page_{i:02d}.png'))
        page.save(paths[-1])
    results = reader.read_prepared(prepare(paths, single=False))
    return sum(isinstance(r, list) and r.number == t for r, t in zip(results, truths))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default=os.path.join(ROOT, 'models', 'model_2'))
    p.add_argument('--numbers', action='append',
                   help='the number reader, replacing the shipped one and its second opinions; '
                        'given again, another run of it')
    p.add_argument('--date-model', help='the date reader (default: the shipped models/dates)')
    p.add_argument('--no-date-model', dest='date_model', action='store_false', help='read without it')
    p.add_argument('--data-dir', help='MNIST (else $MNIST_DATA_DIR, ./MNIST_data)')
    args = p.parse_args()
    session.quiet_tensorflow(onednn=True)   # as digits.reading.Reader sets it, before TensorFlow loads
    from digits.reading import Reader
    reader = Reader(2, args.model, args.numbers, args.date_model)     # as predict_2.py reads
    print(f'model {reader.prefix}, number reader {", ".join(reader.numbers.prefixes)}, '
          f'date reader {reader.numbers.date_prefix}')
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
            right = read_exactly(reader, truths, folder, **kind)
            print(f'{name:21s} {right:3d}/{len(truths)}')
        for touching in (False, True):
            right = read_tilted(reader, test_numbers, tmp, touching)
            print(f'{"tilted" + (", touching" if touching else ""):21s} {right:3d}/{len(test_numbers)}')
        rows = [[test_numbers[i], test_numbers[(i + 7) % 20]] + [test_numbers[(i + 13) % 20]] * (i % 2)
                for i in range(20)]
        for kind in ({}, {'touching': True}):
            right = read_pages(reader, [synth.rows(r, **kind) for r in rows], [' '.join(r) for r in rows], tmp)
            print(f'{"rows" + (", touching" if kind else ""):21s} {right:3d}/{len(rows)}')
        try:
            images, labels = load(args.data_dir)['test']
        except DataError as e:
            print(f'MNIST pairs and photographed numbers: skipped ({e})')
            return
        for name, (paths, truths) in [('MNIST pairs', mnist_pairs(images, labels, tmp)),
                                      ('MNIST pair and apart', mnist_mixed(images, labels, tmp)),
                                      ('MNIST rows, touching', mnist_rows(images, labels, tmp)),
                                      ("form, no lines", on_a_form(images, labels, tmp, 'none')),
                                      ("form, cells", on_a_form(images, labels, tmp, 'cells')),
                                      ("form, ticks", on_a_form(images, labels, tmp, 'ticks'))]:
            print(f'{name:21s} {read_right(reader, paths, truths):3d}/{len(truths)}')
        for mark in '/-.':
            paths, truths = dates(images, labels, tmp, mark)
            results = reader.read_prepared(prepare(paths, single=False, separators=True))
            right = sum(isinstance(r, list) and r.number == t for r, t in zip(results, truths))
            written = sum(isinstance(r, list) and r.written == f'{t[:2]}{mark}{t[2:4]}{mark}{t[4:]}'
                          for r, t in zip(results, truths))
            print(f'{"dates, " + mark:21s} {right:3d}/{len(truths)}  '
                  f'({written} with both {mark} printed by --separators)')
        for rows in (1, 2):
            for name in ('clean', 'shadow', 'lined', 'grid', 'pencil'):
                right = read_photographed(reader, images.reshape(-1, 28, 28), labels, name, tmp, rows=rows)
                print(f'{"photo, " + name + (", rows" if rows > 1 else ""):21s} {right:3d}/30')


if __name__ == '__main__':
    main()
