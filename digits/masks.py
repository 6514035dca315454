"""Make, measure and crop masks of ink: a threshold, stroke width, boxes, crops.

Small helpers that the cleaning, normalising and number-splitting steps
share. A mask is a bool array [h, w], True on ink.
"""
import numpy as np
from scipy import ndimage


THICK_SCALE = 80   # px: the resolution at which strokes are measured and corrected (a digit ends at 20)


def stroke_width(mask):
    """Mean stroke width in pixels: ink area over half its outline length."""
    m = np.pad(mask, 1)
    edges = (m[1:, :] != m[:-1, :]).sum() + (m[:, 1:] != m[:, :-1]).sum()
    return 2.0 * m.sum() / max(1, edges)


def around(mask, margin=2):
    """The box of `mask`'s strokes, widened by `margin` pixels (as slices).
    (Found from the rows and columns with ink: many times faster than
    listing every inked pixel, and called for every digit.)"""
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return (slice(max(0, ys[0] - margin), ys[-1] + margin + 1),
            slice(max(0, xs[0] - margin), xs[-1] + margin + 1))


def crop(ink, mask):
    """The ink within 2 pixels of `mask`'s strokes, cropped to the strokes."""
    box = around(mask)
    near = ndimage.binary_dilation(mask[box], iterations=2)
    return np.where(near, ink[box], 0)[around(mask[box], margin=0)]


def span(flags):
    """From the first True to the last, in places (0 if none)."""
    where = np.flatnonzero(flags)
    return where[-1] - where[0] + 1 if where.size else 0


def otsu(values):
    """Otsu's threshold of values in 0..1 (callers scale them so)."""
    # np.bincount of 256 levels: the same histogram as np.histogram, 4x faster.
    levels = np.minimum((np.ravel(values) * 256).astype(np.intp), 255)
    p = np.bincount(levels, minlength=256) / max(1, levels.size)
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256) / 256)
    between = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-12)
    return int(np.argmax(between)) / 256
