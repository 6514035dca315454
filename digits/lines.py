"""A number's ink -> the line image the number reader takes: HEIGHT rows, as wide as it comes.

The same function makes the training numbers (digits/number_synth.py) and
the pictures read (digits/pieces.py), so the reader sees real numbers
exactly as it saw its training ones: the ink (digits/ink.py: ink high, the
paper, its pattern and its lighting gone) cropped to the strokes with a
margin, scaled to HEIGHT by area-averaging, the width following.
"""
import numpy as np
from PIL import Image

from .masks import around


HEIGHT = 32          # rows of a line image
INNER = 28           # rows the number's strokes fill, like MNIST's 28
MARGIN = 0.15        # of the strokes' height, kept round them (an underline close below shows)
MAX_WIDTH = 320      # columns: a wider line is squeezed (about 12 digits)
STEP = 4             # columns per frame of the reader (two 2x2 poolings)


def strokes_box(mask):
    """(y0, y1, x0, x1) round the True pixels of `mask`."""
    rows, cols = around(mask, margin=0)
    return rows.start, rows.stop, cols.start, cols.stop


def to_line(ink, box):
    """ink [h, w] in 0..1 and the strokes' box (y0, y1, x0, x1) -> float32
    [HEIGHT, w'] in 0..1, w' a multiple of STEP, the strokes in the middle
    INNER rows."""
    y0, y1, x0, x1 = box
    scale = INNER / (y1 - y0)
    border = (HEIGHT - INNER) / 2 / scale          # rows above and below the strokes
    pad = int(np.ceil(max(border, MARGIN * (y1 - y0)))) + 1
    ink = np.pad(np.asarray(ink, np.float32), pad)  # Pillow's box must lie inside the image
    source = (x0 + pad - MARGIN * (y1 - y0), y0 + pad - border,
              x1 + pad + MARGIN * (y1 - y0), y1 + pad + border)
    width = min(MAX_WIDTH, max(STEP, int(round((source[2] - source[0]) * scale / STEP)) * STEP))
    line = Image.fromarray(ink, mode='F').resize((width, HEIGHT), Image.BOX, box=source)
    return np.clip(np.asarray(line, np.float32), 0, 1)


def column_of(x, box, width):
    """The column of a line image `width` wide, made by to_line from the
    strokes' `box`, where column `x` of the ink lands."""
    y0, y1, x0, x1 = box
    margin = MARGIN * (y1 - y0)
    return (x - (x0 - margin)) * width / (x1 - x0 + 2 * margin)


def widened(line, factor):
    """The line image `factor` times wider (a multiple of STEP columns, at most MAX_WIDTH)."""
    width = min(MAX_WIDTH, max(STEP, int(round(line.shape[1] * factor / STEP)) * STEP))
    return np.asarray(Image.fromarray(line, mode='F').resize((width, HEIGHT), Image.BILINEAR), np.float32)


def batch_lines(lines):
    """Line images of several widths -> [n, HEIGHT, widest] float32, padded with paper on the right."""
    widest = max(line.shape[1] for line in lines)
    out = np.zeros((len(lines), HEIGHT, widest), np.float32)
    for i, line in enumerate(lines):
        out[i, :, :line.shape[1]] = line
    return out


def digit_at(line, frame):
    """A 28x28 of the digit the number reader read at `frame` of `line`:
    the columns round it, about a digit wide, their strokes' box fitted
    into 20x20 and centred (normalise.boxed), as MNIST boxes its digits.
    What the network saw is the whole line; this only shows which part, so
    it is made cheaply: no stroke correction, no centring by mass."""
    from .decode import ImageError
    from .normalise import boxed
    centre = frame * STEP + STEP // 2
    part = line[:, max(0, centre - INNER // 2):centre + INNER // 2]
    inked = part > 0.3
    out = np.zeros((28, 28), np.float32)
    try:
        out[4:24, 4:24] = boxed(part[around(inked, margin=0)] if inked.any() else part, enlarge=False)
    except ImageError:     # no ink there worth showing
        pass
    return out
