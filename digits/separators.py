"""Separators written between a number's digits, kept on request: 12-05-2026, 1.990.

The readers read digits only, so a separator is left out of the number (a
cheque's 1.990 reads 1990). With `predict_2.py --separators` they are put
back. A piece of ink much shorter than the digits, in none of their
columns, is a separator by its shape and place: a dash is long and thin,
at mid-height; a dot small and on the line; a comma taller, reaching
below it. Finding the ink drops a dot as a speck (digits/clean.py), so
separators are looked for in the ink map itself; each must be about as
wide as the pen and as dark as the digits' ink, so that grain, specks and
what is left of a printed line or pattern are not taken for one.
Each is printed between the two digits read either side of it
(`between_digits`); marks before the first digit or after the last, such
as a cheque's closing '.-', are left out. A '/' is as tall as a digit and
shaped like a 1, so only the date reader says where slashes are
(digits/reading.py, reread_dates).
"""
import numpy as np
from scipy import ndimage

from .lines import column_of
from .masks import stroke_width

TALL = 0.6     # pieces at least this fraction of the tallest are the digits (pieces.SHORT)
# In the digits' height (the median of the tall pieces' tops to that of their bottoms):
SHORT = 0.45   # a separator is at most this tall (a comma's tail)
DASH = 0.25, 1.2, 0.2   # a dash is this long to this long, at most this thick...
FLAT = 1.8     # ...at least this many times as long as thick...
MIDDLE = 0.25, 0.7   # ...with its middle this far down the digits
DOT = 0.3      # a dot or comma is at most this wide...
LOW, LOWEST = 0.7, 1.2   # ...with its middle this far down; a comma is taller than
                         # wide and reaches below the digits
# A dot or comma is at least as wide and tall as PEN of the digits' stroke width, a
# dash as thick as PEN_DASH of it; every separator as dark as STRONG at its darkest
# (1: the ink's typical strength, digits/ink.py):
PEN, PEN_DASH = 0.6, 0.5
STRONG = 0.75
INKED = 0.5    # the ink map's strength where a separator's ink is looked for


def separators_in(ink, mask, found, box, width):
    """[(column of the line image, mark)] of the separators in a row of
    writing, left to right: its ink map and mask (digits/ink.py), its
    pieces `found` (x0, x1, y0, y1, mask: pieces.pieces), and the `box` and
    `width` of its line image (lines.to_line)."""
    tallest = max(y1 - y0 for _, _, y0, y1, _ in found)
    digits = [(x0, x1, y0, y1) for x0, x1, y0, y1, _ in found if y1 - y0 >= TALL * tallest]
    top, bottom = np.median([d[2] for d in digits]), np.median([d[3] for d in digits])
    height, pen = max(bottom - top, 1), stroke_width(mask)
    labels, _ = ndimage.label(ink > INKED, structure=np.ones((3, 3)))
    out = []
    for i, (ys, xs) in enumerate(ndimage.find_objects(labels), start=1):
        (y0, y1), (x0, x1) = (ys.start, ys.stop), (xs.start, xs.stop)
        mark = kind((x1 - x0) / height, (y1 - y0) / height, ((y0 + y1) / 2 - top) / height, y1 > bottom)
        if (mark is None or min(x1 - x0, y1 - y0) < (PEN_DASH if mark == '-' else PEN) * pen
                or ink[ys, xs][labels[ys, xs] == i].max() < STRONG):
            continue          # not a separator; or grain, a speck, a printed line's remains
        # in a digit's columns, it is part of that digit (a 5's flag, a 4's bar)
        if not any(min(x1, d1) - max(x0, d0) > (x1 - x0) / 2 for d0, d1, _, _ in digits):
            out.append((column_of((x0 + x1) / 2, box, width), mark))
    return sorted(out)


def kind(w, h, middle, below):
    """'-', '.', ',' or None for a piece w wide and h tall, its middle
    `middle` down from the digits' top (all in the digits' height), its
    bottom `below` theirs or not."""
    if h > SHORT:
        return None
    if DASH[0] <= w <= DASH[1] and h <= DASH[2] and w >= FLAT * h and MIDDLE[0] <= middle <= MIDDLE[1]:
        return '-'
    if w <= DOT and LOW <= middle <= LOWEST:
        return ',' if h >= 1.5 * w and below else '.'
    return None


def between_digits(marks, columns):
    """{k: the marks written before digit k} for marks [(column, mark)] and
    the digits' columns, left to right: the marks between two digits."""
    out = {}
    for column, mark in marks:
        k = int(np.searchsorted(columns, column))
        if 0 < k < len(columns) and mark not in out.get(k, ''):   # a dash in two pieces is one
            out[k] = out.get(k, '') + mark
    return out
