"""Draw the pictures in samples/: python tests/make_samples.py

The samples are drawn rather than scanned so that they can be reproduced
exactly, carry no one's handwriting or copyright, and so that tests can draw
new variants (size, pen width, colours, position) with `draw_digit`. Each
digit is a few pen strokes through hand-chosen points, smoothed into curves,
nudged a little by a seeded random generator so it looks written, and drawn
with a round pen (a disc at every point) at 4x size, then reduced for smooth
edges.
"""
import math
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'samples')
SUPERSAMPLE = 4


def arc(cx, cy, rx, ry, start, stop, n=12):
    """Points on an ellipse from angle `start` to `stop` (degrees, y down)."""
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, stop, n)]


# Pen strokes per digit, in a box 0.7 wide and 1 high (y down). Strokes that
# share an end point meet in a sharp corner; points within a stroke are
# joined by a smooth curve.
STROKES = {
    0: [arc(0.35, 0.5, 0.3, 0.48, -100, 280, 10)],
    1: [[(0.44, 0.0), (0.36, 0.5), (0.28, 1.0)]],
    2: [[(0.08, 0.28), (0.2, 0.07), (0.42, 0.02), (0.6, 0.12), (0.62, 0.32),
         (0.48, 0.56), (0.26, 0.78), (0.05, 0.97)],
        [(0.05, 0.97), (0.38, 0.94), (0.7, 0.96)]],
    3: [[(0.1, 0.14), (0.32, 0.02), (0.56, 0.08), (0.6, 0.26), (0.45, 0.42), (0.27, 0.48)],
        [(0.27, 0.48), (0.54, 0.53), (0.66, 0.73), (0.55, 0.92), (0.3, 0.99), (0.06, 0.88)]],
    4: [[(0.14, 0.03), (0.08, 0.58)], [(0.08, 0.58), (0.7, 0.55)],
        [(0.6, 0.0), (0.57, 0.5), (0.55, 1.0)]],
    5: [[(0.66, 0.03), (0.18, 0.05)], [(0.18, 0.05), (0.13, 0.46)],
        [(0.13, 0.46), (0.36, 0.39), (0.6, 0.48), (0.67, 0.7), (0.55, 0.9),
         (0.3, 0.98), (0.05, 0.88)]],
    6: [[(0.56, 0.02), (0.3, 0.2), (0.13, 0.48), (0.1, 0.75), (0.25, 0.96), (0.48, 0.96),
         (0.62, 0.78), (0.52, 0.58), (0.3, 0.56), (0.13, 0.68)]],
    7: [[(0.04, 0.05), (0.68, 0.03)], [(0.68, 0.03), (0.5, 0.38), (0.36, 0.7), (0.29, 1.0)]],
    8: [[(0.6, 0.14), (0.4, 0.01), (0.17, 0.11), (0.18, 0.32), (0.36, 0.49), (0.6, 0.67),
         (0.59, 0.91), (0.36, 0.99), (0.12, 0.89), (0.13, 0.69), (0.36, 0.49), (0.56, 0.32),
         (0.61, 0.13)]],
    9: [[(0.62, 0.2), (0.45, 0.03), (0.2, 0.06), (0.1, 0.26), (0.24, 0.44), (0.48, 0.42),
         (0.63, 0.2)], [(0.63, 0.2), (0.6, 0.6), (0.57, 1.0)]],
}


def catmull_rom(points, steps=10):
    """A smooth curve through `points` (each pair joined by `steps` segments)."""
    p = np.array([points[0]] + list(points) + [points[-1]], float)
    out = [p[1]]
    for i in range(1, len(p) - 2):
        for t in np.linspace(0, 1, steps + 1)[1:]:
            out.append(0.5 * (2 * p[i] + (p[i + 1] - p[i - 1]) * t
                              + (2 * p[i - 1] - 5 * p[i] + 4 * p[i + 1] - p[i + 2]) * t ** 2
                              + (3 * p[i] - p[i - 1] - 3 * p[i + 1] + p[i + 2]) * t ** 3))
    return np.array(out)


def written_strokes(digit, seed):
    """The digit's strokes as dense point arrays, wobbled and slanted a little."""
    rng = random.Random(seed * 10 + digit)
    slant, squeeze = rng.uniform(-0.08, 0.12), rng.uniform(0.9, 1.1)
    moved = {}   # a shared corner point moves the same way in both strokes

    def wobble(pt):
        if pt not in moved:
            moved[pt] = (pt[0] + rng.gauss(0, 0.012), pt[1] + rng.gauss(0, 0.012))
        x, y = moved[pt]
        return ((x + slant * (0.5 - y)) * squeeze, y)

    return [catmull_rom([wobble(pt) for pt in stroke]) for stroke in STROKES[digit]]


def canvas_mode(colour):
    return 'L' if isinstance(colour, int) else {3: 'RGB', 4: 'RGBA'}[len(colour)]


def draw_digit(digit, size=200, width=12, ink=(0, 0, 0), paper=(255, 255, 255),
               margin=0.2, offset=(0, 0), seed=0):
    """A picture of `digit` written with a round pen `width` px wide.

    size: side of a square canvas, or (width, height). The digit is
    (1 - 2*margin) of the canvas height tall, centred, then moved by
    offset (x, y) pixels. ink and paper: an int (mode L), an RGB or an RGBA
    tuple (mode RGBA, e.g. paper (0, 0, 0, 0) for a transparent canvas).
    """
    w, h = (size, size) if isinstance(size, int) else size
    strokes = written_strokes(digit, seed)
    points = np.concatenate(strokes)
    height = (1 - 2 * margin) * min(w, h) * SUPERSAMPLE
    scale = height / np.ptp(points[:, 1])
    centre = (points.min(axis=0) + points.max(axis=0)) / 2
    shift = (np.array([w, h]) / 2 + offset) * SUPERSAMPLE
    pen = Image.new('L', (w * SUPERSAMPLE, h * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(pen)
    r = width * SUPERSAMPLE / 2
    for stroke in strokes:
        xy = [tuple(p) for p in (stroke - centre) * scale + shift]
        draw.line(xy, fill=255, width=round(2 * r))
        for x, y in xy:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    mask = pen.resize((w, h), Image.LANCZOS)
    mode = canvas_mode(paper)
    return Image.composite(Image.new(mode, (w, h), ink), Image.new(mode, (w, h), paper), mask)


def photo_of(mask, ink, seed=0, noise=6.0, blur=0.8):
    """Put an ink mask (mode L, 255 = ink) on grey paper lit from one corner."""
    rng = np.random.default_rng(seed)
    h, w = mask.height, mask.width
    yy, xx = np.mgrid[0:h, 0:w]
    light = 1.0 - 0.35 * (xx / w + yy / h) / 2        # brighter top left
    paper = np.array([222, 218, 208]) * light[..., None]
    paper += rng.normal(0, noise, (h, w, 1))
    m = np.asarray(mask, float)[..., None] / 255
    rgb = paper * (1 - m) + np.array(ink) * light[..., None] * m
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    return img.filter(ImageFilter.GaussianBlur(blur))


def main():
    for d in range(10):
        draw_digit(d).save(os.path.join(HERE, f'{d}.png'), optimize=True)
    draw_digit(3, size=(600, 400), width=2, margin=0.36, offset=(-140, 50)) \
        .save(os.path.join(HERE, '3_thin.png'), optimize=True)
    mask = draw_digit(5, size=(480, 360), width=13, ink=255, paper=0, margin=0.2, offset=(20, 0))
    photo_of(mask, ink=(30, 40, 120)).save(os.path.join(HERE, '5_photo.jpg'), quality=80)
    draw_digit(8, ink=(255, 255, 255), paper=(0, 0, 0)) \
        .save(os.path.join(HERE, '8_inverse.png'), optimize=True)
    draw_digit(2, ink=(0, 0, 0, 255), paper=(0, 0, 0, 0)) \
        .save(os.path.join(HERE, '2_transparent.png'), optimize=True)


if __name__ == '__main__':
    main()
