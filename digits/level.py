"""A number written or photographed askew, turned level before it is cut into digits.

Digits are read upright: a row of them tilted past about 20 degrees has its
digits overlap sideways, so they are merged as one (digits/pieces.py), and
the number reader sees them small in a tall line. The row's tilt is that
of the line through its digits' middles: three pieces or more, of like
heights, in a line. One digit's long axis would not do: a slanted 5 or 0
is as long across as a short number.
"""
import numpy as np
from PIL import Image

from .masks import stroke_width

LEVEL = 15        # degrees: a row tilted more than this is turned level (less reads well as it is)
STEEPEST = 50     # degrees: beyond this, pieces in a line are not a row
TALL = 0.5        # pieces at least this fraction of the tallest...
SQUARISH = 1.5    # ...at most this many times as wide as tall (not a flourish)...
STROKES = 3       # ...and this many strokes tall (not a dot) are the row's digits...
IN_LINE = 0.35    # ...and their middles lie this many of their heights, at most, from a line...
AGREE = 8         # ...whose angle is that of their ink's long axis within this many degrees


def tilt(found):
    """The angle (degrees, counterclockwise) of the row through the middles
    of the pieces `found` (pieces.pieces' (x0, x1, y0, y1, mask) each), if
    three or more digit-like pieces (TALL, SQUARISH, STROKES) lie in a line
    (IN_LINE) that the long axis of all the ink agrees with (AGREE: a
    stray stroke above two digits is no row; looked at only past LEVEL,
    where the picture would be turned); else 0. (STROKES is asked of the
    tallest piece only: a dot is under half a digit's height, so only a
    page of dots has dots among its tall pieces.)"""
    if not found:
        return 0.0
    x0, x1, y0, y1, m = max(found, key=lambda p: p[3] - p[2])
    tallest = y1 - y0
    if tallest < STROKES * stroke_width(m[y0:y1, x0:x1]):
        return 0.0
    tall = [(x0, x1, y0, y1, m) for x0, x1, y0, y1, m in found
            if y1 - y0 >= TALL * tallest and x1 - x0 <= SQUARISH * (y1 - y0)]
    if len(tall) < 3:
        return 0.0
    # each piece's middle: the mean of its ink (a tilted digit's box is not centred on it)
    middles = [np.nonzero(m[y0:y1, x0:x1]) for x0, x1, y0, y1, m in tall]
    xs = np.array([x0 + cols.mean() for (x0, _, _, _, _), (_, cols) in zip(tall, middles)])
    ys = np.array([y0 + rows.mean() for (_, _, y0, _, _), (rows, _) in zip(tall, middles)])
    if np.ptp(xs) == 0:
        return 0.0
    dx = xs - xs.mean()                 # the least-squares line, as np.polyfit's, in 60% of its time
    slope = (dx * (ys - ys.mean())).sum() / (dx ** 2).sum()
    offset = ys.mean() - slope * xs.mean()
    # a tilted digit's box is taller than the digit by about 1/cos(tilt),
    # and the middles' distances from the line are measured upright
    height = np.median([y1 - y0 for _, _, y0, y1, _ in tall]) * np.cos(np.arctan(slope))
    angle = float(np.degrees(np.arctan(-slope)))
    if np.abs(ys - (slope * xs + offset)).max() > IN_LINE * height:
        return 0.0
    if abs(angle) > LEVEL and abs(angle - long_axis(found)) > AGREE:
        return 0.0
    return angle


def long_axis(found):
    """The angle (degrees, counterclockwise, -90..90) of the long axis of
    the ink of the pieces `found` (as for tilt), all of them: underlines
    and strokes too, which tilt's line through the digits leaves out."""
    ys, xs = np.concatenate([np.nonzero(m[y0:y1, x0:x1]) + np.array([[y0], [x0]])
                             for x0, x1, y0, y1, m in found], axis=1)
    _, axes = np.linalg.eigh(np.cov(np.stack([xs, ys]).astype(float)))
    dx, dy = axes[:, 1]
    return float(np.degrees(np.arctan(-dy / dx))) if dx else 90.0


def levelled(ink, mask, found):
    """(ink, mask, turned): turned level if the writing's row is tilted
    between LEVEL and STEEPEST degrees (tilt); else as they were."""
    angle = tilt(found)
    if not LEVEL < abs(angle) <= STEEPEST:
        return ink, mask, False
    ink = np.asarray(Image.fromarray(ink, mode='F').rotate(-angle, Image.BILINEAR, expand=True), np.float32)
    # a quarter grey of the turned mask is kept: a pen a pixel wide, cut at half, breaks into specks
    turned = Image.fromarray(mask.astype(np.uint8) * 255).rotate(-angle, Image.BILINEAR, expand=True)
    return ink, np.asarray(turned) > 63, True
