"""How well the engine reads MNIST digits drawn into photo-like pictures.

    python bench/photo_conditions.py [--model models/model_2] [--digits 60] [--conditions lined,pencil]

Each condition puts MNIST test digits (from index 200) into a picture like a
user's photo or scan: paper on a table, a shadow, a form's box, squared or
ruled paper, pencil, chalk, a small digit in a large photo, a rotated digit,
a photo in dim light (strong grain), the table showing in a corner.
The pictures are seeded, so every run draws the same ones; each is saved as a
file and read back through the prediction path of predict_2.py (number mode,
as the command line reads by default), and counts as right only if it reads
as exactly its one digit.
"""
import argparse
import os
import sys
import tempfile
import time
import zlib

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from digits import evaluate, session
from digits.data import DataError, load

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

START = 200   # the first test digit drawn


def upscale(digit, n):
    """A 28x28 digit (0..1) resized to n x n, bicubic."""
    im = Image.fromarray((digit * 255).astype(np.uint8))
    return np.asarray(im.resize((n, n), Image.BICUBIC), np.float32) / 255


def ink(digit, size):
    """The digit as ink coverage (0..1), about size px tall (MNIST's digits
    fill 20 of 28 px): strokes as wide as a felt pen's."""
    return np.clip((upscale(digit, size * 28 // 20) - 0.3) / 0.3, 0, 1)


_HIT = np.array([[0, 0, 0], [0, 1, 0], [1, 1, 1]]), np.array([[0, 0, 0], [1, 1, 0], [0, 1, 0]])
_MISS = np.array([[1, 1, 1], [0, 0, 0], [0, 0, 0]]), np.array([[0, 1, 1], [0, 0, 1], [0, 0, 0]])
THINNING = [(np.rot90(h, k), np.rot90(m, k)) for k in range(4) for h, m in zip(_HIT, _MISS)]


def skeleton(mask, prune=8):
    """The mask thinned to 1 px lines (morphological thinning: only pixels
    whose removal keeps the shape connected go), then spurs up to `prune`
    px long cut off."""
    while True:
        before = mask
        for hit, miss in THINNING:
            mask = mask & ~ndimage.binary_hit_or_miss(mask, hit, miss)
        if (mask == before).all():
            break
    for _ in range(prune):   # remove the end points (pixels with one neighbour)
        mask = mask & (ndimage.convolve(mask.astype(int), np.ones((3, 3), int), mode='constant') != 2)
    return mask


def pen_line(digit, size, up=5):
    """A continuous line about size/40 px wide along the middle of the
    digit's strokes, as a ballpoint or pencil draws. Found as the skeleton
    of the (smoothed) digit at `up` times MNIST's size, fast and fine
    enough; its distance map, enlarged, gives a smooth line. Eroding the
    strokes by a fixed depth instead cuts their thin parts away."""
    line = skeleton(ndimage.gaussian_filter(upscale(digit, 28 * up), 0.7 * up) > 0.4)
    dist = ndimage.distance_transform_edt(~line).astype(np.float32)
    n = size * 28 // 20
    dist = np.asarray(Image.fromarray(dist).resize((n, n), Image.BILINEAR)) * n / (28 * up)
    return ndimage.gaussian_filter(np.clip(size / 80 + 0.5 - dist, 0, 1), 0.7)


def page(h, w, colour):
    return np.zeros((h, w, 3), np.float32) + np.asarray(colour, np.float32)


def put(img, alpha, colour, cy, cx):
    """Ink of `colour` with coverage `alpha`, centred at (cy, cx)."""
    ah, aw = alpha.shape
    box = img[cy - ah // 2:cy - ah // 2 + ah, cx - aw // 2:cx - aw // 2 + aw]
    box[:] = box * (1 - alpha[..., None]) + np.asarray(colour, np.float32) * alpha[..., None]
    return img


# The conditions: (digit 28x28, rng) -> (picture h x w x 3 in 0..1, JPEG quality
# or None for PNG); the docstring is the description printed.

def clean(d, rng):
    """black on white"""
    return put(page(400, 400, 1), ink(d, 200), 0, 200, 200), None


def table(d, rng):
    """sheet of paper on a dark table"""
    img = page(900, 1200, (0.35, 0.25, 0.15)) + rng.normal(0, 0.04, (900, 1200, 3))
    t, b = rng.integers(30, 120), 900 - rng.integers(30, 120)
    l, r = rng.integers(40, 160), 1200 - rng.integers(40, 160)
    img[t:b, l:r] = (0.9, 0.9, 0.88)
    img = put(img, ink(d, 300), (0.1, 0.1, 0.15), (t + b) // 2, (l + r) // 2)
    return img + rng.normal(0, 0.02, img.shape), 85


def shadow(d, rng):
    """hard-edged shadow across the page"""
    yy, xx = np.mgrid[0:600, 0:800]
    dark = ndimage.gaussian_filter(((xx - 400) * rng.uniform(-1, 1) + yy - 300 > 0) * 1.0, 8)
    img = put(page(600, 800, 0.92) * (1 - 0.55 * dark[..., None]), ink(d, 250), (0.05, 0.05, 0.1), 300, 400)
    return img + rng.normal(0, 0.02, img.shape), 85


def box(d, rng):
    """printed box around the digit"""
    im = Image.new('RGB', (300, 300), 'white')
    ImageDraw.Draw(im).rectangle([30, 30, 270, 270], outline='black', width=3)
    return put(np.asarray(im, np.float32) / 255, ink(d, 150), (0.1, 0.1, 0.4), 150, 150), None


def grid(d, rng):
    """squared paper"""
    img, step = page(500, 500, (0.97, 0.97, 0.95)), rng.integers(20, 40)
    for k in (0, 1):   # lines 2 px wide
        img[k::step] = img[:, k::step] = (0.65, 0.75, 0.9)
    img = put(img, ink(d, 200), (0.1, 0.1, 0.5), 250, 250)
    return img + rng.normal(0, 0.02, img.shape), 80


def lined(d, rng):
    """ruled notebook, margin line"""
    img, step = page(500, 700, (0.98, 0.98, 0.96)), rng.integers(35, 60)
    for k in (0, 1):
        img[step // 2 + k::step] = (0.6, 0.7, 0.9)
    img[:, 80:82] = (0.9, 0.5, 0.5)
    img = put(img, pen_line(d, 180), (0.1, 0.15, 0.5), 250, 350)
    return img + rng.normal(0, 0.02, img.shape), 70


def pencil(d, rng):
    """faint thin strokes on a gradient"""
    yy, xx = np.mgrid[0:600, 0:600] / 600
    angle = rng.uniform(0, 2 * np.pi)
    t = np.cos(angle) * xx + np.sin(angle) * yy
    img = np.repeat((0.7 + 0.2 * (t - t.min()) / (t.max() - t.min()))[..., None], 3, axis=2)
    img = put(img, 0.5 * pen_line(d, 250), 0.3, 300, 300)
    return img + rng.normal(0, 0.03, img.shape), 80


def chalk(d, rng):
    """broken light strokes on a board"""
    a = ink(d, 250) * rng.uniform(0.6, 0.9)
    a *= rng.random(a.shape) > 0.25   # chalk leaves gaps
    return put(page(600, 800, (0.15, 0.25, 0.2)) + rng.normal(0, 0.05, (600, 800, 3)), a, 0.9, 300, 400), 85


def small(d, rng):
    """small digit in a 4000x3000 photo"""
    yy, xx = np.mgrid[0:300, 0:400]
    light = (0.9 - 0.3 * ((yy / 300 - 0.5) ** 2 + (xx / 400 - 0.5) ** 2)).astype(np.float32)
    light = np.asarray(Image.fromarray(light).resize((4000, 3000), Image.BILINEAR))   # vignetting
    img = np.repeat(light[..., None], 3, axis=2)
    return put(img, ink(d, 300), (0.1, 0.1, 0.2), rng.integers(700, 2400), rng.integers(700, 3400)), 90


def rotated(d, rng):
    """rotated up to 15 degrees"""
    a = np.clip(ndimage.rotate(ink(d, 200), rng.uniform(-15, 15), order=1), 0, 1)
    return put(page(400, 400, 1), a, 0, 200, 200), None


def grainy(d, rng):
    """dim light, strong colour grain"""
    img = put(page(400, 400, (0.52, 0.5, 0.46)), pen_line(d, 200), (0.12, 0.12, 0.14), 200, 200)
    return img + rng.normal(0, rng.uniform(0.05, 0.1), img.shape), None


def corner(d, rng):
    """table showing in one corner"""
    img = put(page(400, 400, 0.95), ink(d, 200), 0.05, 200, 200)
    yy, xx = np.mgrid[0:400, 0:400]
    cy, cx = rng.choice([0, 400]), rng.choice([0, 400])
    a, b = rng.uniform(60, 120, 2)
    table = np.clip((1 - np.abs(xx - cx) / a - np.abs(yy - cy) / b) * 40, 0, 1)[..., None]
    img = img * (1 - table) + np.asarray((0.28, 0.2, 0.13), np.float32) * table
    return img + rng.normal(0, 0.01, img.shape), 90


CONDITIONS = {f.__name__: f for f in (clean, table, shadow, box, grid, lined, pencil, chalk, small, rotated,
                                      grainy, corner)}


def render(name, digit, index, path):
    """Draw test digit `index` in condition `name` into path + .png/.jpg;
    seeded by both, so it is the same picture on every run."""
    img, quality = CONDITIONS[name](digit, np.random.default_rng([zlib.crc32(name.encode()), index]))
    im = Image.fromarray(np.clip(np.asarray(img) * 255, 0, 255).astype(np.uint8))
    path += '.jpg' if quality else '.png'
    im.save(path, **({'quality': quality} if quality else {}))
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', default=os.path.join(ROOT, 'models', 'model_2'))
    p.add_argument('--digits', type=int, default=60, help='test digits per condition')
    p.add_argument('--conditions', default=','.join(CONDITIONS), help='comma-separated names')
    p.add_argument('--data-dir')
    args = p.parse_args()
    names = args.conditions.split(',')
    if set(names) - set(CONDITIONS):
        p.error(f'unknown condition in {args.conditions} (choose from {", ".join(CONDITIONS)})')
    try:
        test_x, test_y = load(args.data_dir)['test']
    except DataError as e:
        sys.exit(f'error: {e}')
    start = time.time()
    session.quiet_tensorflow(onednn=True)   # as digits.reading.Reader sets it, before TensorFlow loads
    with session.onednn_notice_hidden():
        from digits.model import Classifier
    classifier = Classifier(2, args.model)
    print(f'model {classifier.prefix}, test digits {START}-{START + args.digits - 1}')
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            items = [(render(name, test_x[k].reshape(28, 28), k, os.path.join(tmp, f'{name}_{k}')),
                      int(test_y[k])) for k in range(START, START + args.digits)]
            guesses, _ = evaluate.run(classifier, items)
            right = sum(g == t for g, (_, t) in zip(guesses, items))
            print(f'{name:8s} {CONDITIONS[name].__doc__:34s} {right / len(items):.4f} ({right}/{len(items)})',
                  flush=True)
    print(f'total time {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
