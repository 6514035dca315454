"""A page's ink -> its rows of writing, top to bottom: numbers written one under another.

A date over an amount, a column of figures: read as one number, the digits
of one row sit on those of the next and are merged into nonsense ("4071"
over "2385" read 3335). So a page is first cut into rows, each read as a
number of its own. A row is a band of the page where tall pieces of ink
(the digits) lie, with blank paper between it and the next; marks too
short to be digits (a dot, a dash, an underline, a box's edge) go with the
row nearest them. Only a clear gap between rows of like height, one of
them at least with digits side by side, splits a page: a digit whose pen
skipped (a 5's bar above its belly), or a wavy row, stays one row. A page
photographed askew has its rows tilted, and the gap between them closes
at the ends; so the page is looked at level first, then sheared by up to
10 degrees either way until its rows part.
"""
import numpy as np
from scipy import ndimage

MARK = 0.3   # a piece under this fraction of the tallest piece's height is a mark, not a digit
GAP = 0.25   # blank rows between two rows of writing, at least, in the shorter row's height
ROW = 0.5    # a row is at least this fraction of the tallest row's height
SLANTS = np.tan(np.radians([0, 2, -2, 4, -4, 6, -6, 8, -8, 10, -10]))   # rows tilted up to 10 degrees are found


def split_rows(mask):
    """The masks of the rows of writing in `mask`, top to bottom: [mask]
    itself for a page of one row; else each row's pieces, the marks (short
    pieces) with the row nearest them. Rows photographed askew are looked
    for at each of SLANTS (the level first): the pieces' boxes sheared by it."""
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    boxes = [(b[0].start, b[0].stop, b[1].start, b[1].stop) for b in ndimage.find_objects(labels)]
    for slant in SLANTS:
        sheared = [sheared_box(box, slant) for box in boxes]
        bands = bands_of(sheared)
        if len(bands) > 1:
            break
    else:
        return [mask]
    centres = np.array([(y0 + y1) / 2 for y0, y1 in bands])
    owner = [int(np.abs(centres - (y0 + y1) / 2).argmin()) for y0, y1, _, _ in sheared]
    owner = np.array([-1] + owner)     # per label; 0 is the paper
    return [owner[labels] == k for k in range(len(bands))]


def sheared_box(box, slant):
    """The box (y0, y1, x0, x1) of a piece once the page is sheared by
    y -> y - slant * x: its rows grow by slant times its width."""
    y0, y1, x0, x1 = box
    shifts = (slant * x0, slant * x1)
    return y0 - max(shifts), y1 - min(shifts), x0, x1


def bands_of(boxes):
    """The rows of writing, (y0, y1) each, top to bottom, given the boxes
    (y0, y1, x0, x1) of the page's pieces. [None], one row, unless the tall
    pieces lie in bands apart by GAP, of like heights (ROW), and some band
    holds digits side by side."""
    tallest = max(y1 - y0 for y0, y1, _, _ in boxes)
    bands = []
    for y0, y1, _, _ in sorted(b for b in boxes if b[1] - b[0] >= MARK * tallest):
        if bands and y0 - bands[-1][1] < GAP * min(y1 - y0, bands[-1][1] - bands[-1][0]):
            bands[-1] = (bands[-1][0], max(bands[-1][1], y1))
        else:
            bands.append((y0, y1))
    heights = [y1 - y0 for y0, y1 in bands]
    if len(bands) == 1 or min(heights) < ROW * max(heights) \
            or not any(side_by_side(band, boxes) for band in bands):
        return [None]
    return bands


def side_by_side(band, boxes):
    """Whether the band (y0, y1) holds two pieces side by side, each at least
    half its height: then it is a row of digits, not one digit whose pen
    skipped (a 5's bar above its belly, a 6's stem above its loop)."""
    y0, y1 = band
    tall = sorted((x0, x1) for b0, b1, x0, x1 in boxes if y0 <= b0 and b1 <= y1 and b1 - b0 >= (y1 - y0) / 2)
    return any(right[0] >= left[1] for left, right in zip(tall, tall[1:]))
