"""Written numbers made from MNIST digits, to train the number reader on.

Real numbers (amounts on cheques, dates, house numbers) differ from a row
of MNIST digits in ways a reader must learn to ignore, so each number gets:
1 to 8 digits (single digits too, so that one digit reads as one); gaps
from wide apart to touching to overlapping; per-digit size, baseline and
slant jitter; separators that are not digits ('.', ',', '-', '/', '=', a
trailing '-' or '.-'), never in the label; the last digits written small
now and then (6.ooo); underlines, ruled lines and a box's edges;
specks, faint remains of a background pattern, blur and stroke width.
Paper, lighting, polarity and JPEG are not drawn: digits/ink.py removes
them before the reader looks (digits/lines.py), on real pictures as here.

Everything is drawn in the ink (0..1, ink high) at MNIST's scale, digits
about DIGIT_HEIGHT pixels high, then made a line image by lines.to_line.
"""
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from .lines import to_line


DIGIT_HEIGHT = 20.0   # px: an MNIST digit's usual height in its 28x28
LENGTHS = np.array([8, 8, 10, 13, 16, 18, 14, 13]) / 100   # of 1..8 digits
SEPARATORS = ['.', ',', '-', '=', '.-', ' ']
ENDINGS = ['.-', '-', '.', '=', ',-', '.=']
WARP = 2.5            # px at MNIST's scale: the most a warped digit's strokes move
SMALL = 0.15          # of the numbers, those whose last digits are written small
# A date's groups (day, month, year; or day, month) by its number of digits,
# for the date reader (synthesise(..., dates=True))
DATES = {4: [(1, 1, 2), (2, 2)], 5: [(1, 2, 2), (2, 1, 2)], 6: [(2, 2, 2), (1, 1, 4)],
         7: [(1, 2, 4), (2, 1, 4)], 8: [(2, 2, 4)]}


def digit_crops(images):
    """MNIST images [n, 28, 28] (0..1) -> each cropped to its ink, a list of float32 arrays."""
    crops = []
    for img in np.asarray(images, np.float32).reshape(-1, 28, 28):
        ys, xs = np.nonzero(img > 0.1)
        crops.append(img[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
    return crops


def restyled(crop, digit, rng):
    """Some 1s get a long flag and some 7s a bar across, as many people
    (in Europe and Latin America, for one) write them and MNIST's writers seldom did."""
    h, w = crop.shape
    if digit == 1 and rng.random() < 0.35:
        reach = int(rng.uniform(0.25, 0.45) * h)
        img = Image.fromarray(np.pad(crop, ((0, 0), (reach, 0))), mode='F')
        top = np.flatnonzero(crop[0] > 0.3)
        x = reach + (top.mean() if top.size else w / 2)
        ImageDraw.Draw(img).line([(x, 1), (x - reach, rng.uniform(0.2, 0.4) * h)], fill=1.0, width=2)
        return np.asarray(img, np.float32)
    if digit == 7 and rng.random() < 0.35:
        row = int(rng.uniform(0.45, 0.6) * h)
        inked = np.flatnonzero(crop[row] > 0.3)
        if inked.size:
            c, half = inked.mean(), rng.uniform(0.2, 0.3) * h
            img = Image.fromarray(crop.copy(), mode='F')
            ImageDraw.Draw(img).line([(c - half, row), (c + half, row - rng.uniform(-1, 2))], fill=1.0, width=2)
            return np.asarray(img, np.float32)
    return crop


def warped(crop, rng):
    """Half the digits bent by a smooth random field (Simard et al. 2003, as
    digits/augment.py does for the CNN), moving strokes up to about WARP
    pixels: MNIST's few hundred writers stand in for many more."""
    if rng.random() >= 0.5:
        return crop
    field = ndimage.gaussian_filter(rng.uniform(-1, 1, (2,) + crop.shape), (0, 3, 3))
    field *= rng.uniform(0.5, 1) * WARP / max(1e-6, np.abs(field).max())
    yy, xx = np.mgrid[0:crop.shape[0], 0:crop.shape[1]]
    return ndimage.map_coordinates(crop, [yy + field[0], xx + field[1]], order=1).astype(np.float32)


def shaped(crop, height, aspect, slant):
    """A digit crop scaled to `height` (its width times `aspect`) and slanted."""
    h, w = crop.shape
    new_h = max(4, int(round(height)))
    new_w = max(2, int(round(w * height / h * aspect)))
    img = Image.fromarray(crop, mode='F').resize((new_w, new_h), Image.BILINEAR)
    if slant:
        extra = int(abs(slant) * new_h) + 1
        # x_in = x_out + slant * (y - h/2) - shift: the top leans right for slant > 0
        img = img.transform((new_w + extra, new_h), Image.AFFINE,
                            (1, slant, -extra / 2 - slant * new_h / 2, 0, 1, 0), Image.BILINEAR)
    return np.asarray(img, np.float32)


def number_text(rng):
    """The digits of one number (a str)."""
    n = rng.choice(len(LENGTHS), p=LENGTHS) + 1
    first = rng.integers(1, 10) if n > 1 and rng.random() < 0.9 else rng.integers(0, 10)
    rest = rng.integers(0, 10, n - 1)
    if rng.random() < 0.4:        # round amounts: trailing zeros
        rest[rng.integers(0, n):] = 0
    return str(first) + ''.join(map(str, rest))


def layout(text, rng, dates=False):
    """What goes between the digits: a list of len(text) + 1 separators ('' for none).
    With `dates`, see date_layout."""
    between = [''] * (len(text) + 1)
    kind = rng.random()
    if kind < 0.25 and len(text) >= 4:        # thousands: 12.500 or 12,500
        mark = rng.choice(['.', ',', "'", ' '], p=[0.55, 0.3, 0.05, 0.1])
        for k in range(len(text) - 3, 0, -3):
            between[k] = mark
    elif kind < 0.33 and dates and len(text) in DATES and rng.random() < 0.7:
        date_layout(between, rng)
    elif kind < 0.33 and len(text) >= 4:      # a date or a code: 12/05/2026, 12-05
        mark = rng.choice(['/', '-', '.'], p=[0.2, 0.5, 0.3])   # a '/' is much like a 1: seldom
        cuts = sorted(rng.choice(np.arange(1, len(text)), size=min(2, len(text) - 1), replace=False))
        for k in cuts:
            between[k] = mark
    elif kind < 0.38 and len(text) >= 2:      # anything, anywhere
        between[rng.integers(1, len(text))] = rng.choice(SEPARATORS)
    if rng.random() < 0.3:
        between[-1] = rng.choice(ENDINGS)
    if rng.random() < 0.05:
        between[0] = rng.choice(['-', '='])
    return between


def date_layout(between, rng):
    """Marks between a date's groups (DATES), in place: a '/' half the time,
    and a third of the slashes of full dates (day, month, year) written as
    '/1', a slash drawn as an MNIST 1 leaning further (slash_of_a_one), so
    that the date's pattern, not the pen, tells it from a 1. Only the date
    reader is trained on these: they cost the main reader its 1s
    (docs/measured.md, "Dates read twice")."""
    ways = DATES[len(between) - 1]
    groups = ways[rng.integers(len(ways))]
    mark = rng.choice(['/', '-', '.'], p=[0.5, 0.3, 0.2])
    if mark == '/' and len(groups) == 3 and rng.random() < 1 / 3:
        mark = '/1'
    for k in np.cumsum(groups)[:-1]:
        between[k] = mark


def slash_of_a_one(ones, height, slant, rng):
    """A date's '/' written as a 1 from MNIST, leaning 0.25-0.6 more than the digits."""
    crop = ones[rng.integers(len(ones))]
    return shaped(crop, height * rng.uniform(0.95, 1.15), rng.uniform(0.8, 1.25),
                  slant + rng.uniform(0.25, 0.6))


def draw_separator(mark, height, width, rng):
    """The ink of a separator mark, `height` rows tall (the digits'), as an array."""
    w = int(max(3, {'.': 0.3, ',': 0.3, "'": 0.25, '-': 0.7, '=': 0.7, '/': 0.6,
                    '.-': 0.9, ',-': 0.9, '.=': 0.9, ' ': 0.5}[mark] * height * rng.uniform(0.7, 1.3)))
    img = Image.new('L', (w, int(height)), 0)
    draw = ImageDraw.Draw(img)
    h = int(height)
    r = max(1.0, width * rng.uniform(0.5, 1.0))
    lw = max(1, int(round(width)))

    def dot(x, y):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=255)

    def dash(x0, x1, y):
        tilt = rng.uniform(-0.08, 0.08) * (x1 - x0)
        draw.line([(x0, y + tilt), (x1, y - tilt)], fill=255, width=lw)

    base = h - 1 - r - rng.uniform(0, 0.08) * h
    if mark in ('.', '.-', '.='):
        dot(r + 1, base)
    if mark in (',', ',-'):
        dot(r + 1, base - r)
        draw.line([(r + 1, base), (0, min(h - 1, base + 0.25 * h))], fill=255, width=lw)
    if mark == "'":
        draw.line([(w / 2, 0), (w / 2 - 1, 0.3 * h)], fill=255, width=lw)
    start = 2 * r + 2 if mark in ('.-', ',-', '.=') else 0
    middle = h * rng.uniform(0.4, 0.65)
    if mark in ('-', '.-', ',-'):
        dash(start, w - 1, middle)
    if mark in ('=', '.='):
        gap = h * rng.uniform(0.12, 0.22)
        dash(start, w - 1, middle - gap / 2)
        dash(start, w - 1, middle + gap / 2)
    if mark == '/':
        draw.line([(w - 1, h * 0.05), (0, h - 1)], fill=255, width=lw)
    return np.asarray(img, np.float32) / 255


def compose(text, crops_by_digit, rng, dates=False):
    """(ink [h, w] float32, strokes' box): the digits of `text` and its
    separators drawn on one line."""
    return paste([(a, x, y) for a, x, y, _ in place(text, crops_by_digit, rng, dates)])


def place(text, crops_by_digit, rng, dates=False):
    """Where the digits of `text` and its separators go: (array, x, y, what)
    each, left to right, `what` the digit or the separator drawn ('/1' for
    a slash written as a 1, with `dates`: see layout)."""
    height = DIGIT_HEIGHT * rng.uniform(0.85, 1.2)
    slant = rng.uniform(-0.25, 0.35)
    spacing = rng.choice(['apart', 'close', 'touching'], p=[0.3, 0.35, 0.35])
    stroke = rng.uniform(1.2, 2.6)
    slope = rng.uniform(-0.06, 0.06)
    between = layout(text, rng, dates)
    small = small_from(text, between, rng)
    pieces = []          # (array, x, y)
    small_scale, small_raise = rng.uniform(0.4, 0.75), rng.uniform(0, 1) * (rng.random() < 0.4)
    x = 0.0
    for k in range(len(text) + 1):
        mark = between[k]
        if mark == '/1':
            sep = slash_of_a_one(crops_by_digit[1], height, slant, rng)
            pieces.append((sep, x, height - sep.shape[0] + rng.uniform(-0.05, 0.05) * height + slope * x, mark))
            x += sep.shape[1] + rng.uniform(0.05, 0.2) * height
        elif mark:
            sep = draw_separator(mark, height, stroke, rng)
            if mark != ' ':
                pieces.append((sep, x + rng.uniform(0, 0.1) * height,
                               rng.uniform(-0.05, 0.05) * height, mark))
            x += sep.shape[1] + rng.uniform(0.05, 0.2) * height
        if k == len(text):
            break
        pool = crops_by_digit[int(text[k])]
        crop = warped(restyled(pool[rng.integers(len(pool))], int(text[k]), rng), rng)
        h = height * rng.uniform(0.85, 1.1)
        raise_by = 0.0
        if k >= small:    # the thousands or cents written small, on the line or raised
            h *= small_scale
            raise_by = small_raise * (height - h)
        digit = shaped(crop, h, rng.uniform(0.8, 1.25), slant + rng.uniform(-0.1, 0.1))
        y = (height - h) - raise_by + rng.uniform(-0.08, 0.08) * height + slope * x
        if k and spacing != 'apart' and rng.random() < 0.25 and pieces[-1][3].isdigit():
            pieces.append(ligature(pieces[-1], (digit, x, y), stroke, rng))
        pieces.append((digit, x, y, text[k]))
        gap = {'apart': rng.uniform(0.1, 0.6), 'close': rng.uniform(-0.02, 0.12),
               'touching': rng.uniform(-0.25, 0.0)}[spacing] * height
        x += digit.shape[1] + gap
    return pieces


def small_from(text, between, rng):
    """The index of the first digit written small (len(text) for none): in
    SMALL of the numbers of 3 digits or more, the digits after the last
    separator, or the last two or three, as amounts are often written (6.ooo)."""
    if len(text) < 3 or rng.random() >= SMALL:
        return len(text)
    marks = [k for k in range(1, len(text)) if between[k].strip()]
    return marks[-1] if marks else len(text) - int(rng.integers(2, 4))


def ligature(left, right, stroke, rng):
    """A pen stroke joining a digit to the next, as in joined-up writing: from
    low on the first's right edge to the second's left, mid-height; (array, x, y, '~')."""
    (a, ax, ay, _), (b, bx, by) = left[:4], right
    x0, y0 = ax + a.shape[1] * rng.uniform(0.7, 0.95), ay + a.shape[0] * rng.uniform(0.5, 0.95)
    x1, y1 = bx + b.shape[1] * rng.uniform(0.0, 0.3), by + b.shape[0] * rng.uniform(0.3, 0.7)
    left_x, top = min(x0, x1), min(y0, y1)
    w, h = int(abs(x1 - x0)) + 4, int(abs(y1 - y0)) + 4
    img = Image.new('F', (w, h), 0)
    sag = rng.uniform(0, 0.5) * h + 2
    mid = ((x0 + x1) / 2 - left_x + 1, max(y0, y1) - top + 1 + sag / 4)
    ImageDraw.Draw(img).line([(x0 - left_x + 1, y0 - top + 1), mid, (x1 - left_x + 1, y1 - top + 1)],
                             fill=float(rng.uniform(0.6, 1)), width=max(1, int(round(stroke * 0.8))))
    return np.asarray(img, np.float32), left_x - 1, top - 1, '~'


def paste(pieces):
    """Draw (array, x, y) pieces on one canvas (overlaps keep the stronger
    ink); the canvas and the box round them."""
    top = min(y for _, _, y in pieces)
    left = min(x for _, x, _ in pieces)
    bottom = max(y + a.shape[0] for a, _, y in pieces)
    right = max(x + a.shape[1] for a, x, _ in pieces)
    pad = int(DIGIT_HEIGHT)
    canvas = np.zeros((int(bottom - top) + 2 * pad, int(right - left) + 2 * pad), np.float32)
    for a, x, y in pieces:
        r, c = int(y - top) + pad, int(x - left) + pad
        region = canvas[r:r + a.shape[0], c:c + a.shape[1]]
        np.maximum(region, a[:region.shape[0], :region.shape[1]], out=region)
    box = (pad, int(bottom - top) + pad, pad, int(right - left) + pad)
    return canvas, box


def rule(shape, y, ends, rng):
    """A straight line across the ink (an underline, a box's edge), as an array."""
    img = Image.new('L', shape[::-1], 0)
    ImageDraw.Draw(img).line([(ends[0], y), (ends[1], y + rng.uniform(-2, 2))],
                             fill=int(255 * rng.uniform(0.4, 1)), width=int(rng.integers(1, 4)))
    return np.asarray(img, np.float32) / 255


def disturb(ink, box, rng):
    """(ink, box): underlines and a box's edges above and below (the box
    grows to take them in, as the strokes' box of a real picture does),
    specks, faint pattern, blur, stroke width, ink strength."""
    y0, y1, x0, x1 = box
    h, w = ink.shape
    size = y1 - y0
    extra = np.zeros_like(ink)
    ends = (x0 - rng.uniform(0, 0.3) * size, x1 + rng.uniform(0, 0.3) * size)
    if rng.random() < 0.3:       # underline (or a ruled line or box edge under the number)
        y = min(h - 2, y1 + rng.uniform(-0.1, 0.35) * size)
        extra = np.maximum(extra, rule(ink.shape, y, ends, rng))
        y1 = max(y1, int(y) + 2)
    if rng.random() < 0.15:      # the edge of the box the number is written in, above it
        y = max(1, y0 - rng.uniform(-0.05, 0.35) * size)
        extra = np.maximum(extra, rule(ink.shape, y, ends, rng))
        y0 = min(y0, int(y) - 1)
    if extra.any():
        x0, x1 = max(0, min(x0, int(ends[0]))), min(w, max(x1, int(ends[1]) + 1))
    if rng.random() < 0.3:       # specks
        for _ in range(rng.integers(1, 6)):
            extra[rng.integers(h), rng.integers(w)] = rng.uniform(0.3, 1)
        extra = ndimage.grey_dilation(extra, size=(2, 2))
    if rng.random() < 0.25:      # what is left of a background pattern
        yy, xx = np.mgrid[0:h, 0:w]
        wave = np.sin(xx * rng.uniform(0.2, 0.8) + np.sin(yy * rng.uniform(0.1, 0.5)) * 3)
        extra = np.maximum(extra, np.clip(wave, 0, 1) * rng.uniform(0.05, 0.25))
    ink = np.maximum(ink, extra)
    thickness = rng.random()
    if thickness < 0.15:
        ink = ndimage.grey_dilation(ink, size=(2, 2))
    elif thickness < 0.45:     # pen lines are often thinner than MNIST's strokes
        ink = ndimage.grey_erosion(ink, size=(2, 2))
    if rng.random() < 0.3:
        ink = ndimage.gaussian_filter(ink, rng.uniform(0.3, 1.0))
    ink = np.clip(ink * rng.uniform(0.8, 1.6), 0, 1)
    if rng.random() < 0.3:
        ink = np.maximum(ink, rng.normal(0, rng.uniform(0.01, 0.06), ink.shape))
    return ink.astype(np.float32), (y0, y1, x0, x1)


def by_digit(images, labels):
    """MNIST digits -> their ink crops, per digit 0..9 (see digit_crops)."""
    crops = digit_crops(images)
    labels = np.asarray(labels)
    return [[crops[i] for i in np.flatnonzero(labels == d)] for d in range(10)]


def synthesise(crops_by_digit, rng, text=None, dates=False):
    """(line image [HEIGHT, w] float32, its digits as a str): one written
    number; with `dates`, as the date reader is trained (see layout)."""
    text = text or number_text(rng)
    ink, box = compose(text, crops_by_digit, rng, dates)
    return to_line(*disturb(ink, box, rng)), text
