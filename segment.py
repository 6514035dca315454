"""Split the ink of a written number into its digits, left to right.

Connected pieces of ink are grouped into digits: pieces that overlap
horizontally belong to one digit (a 5's detached top stroke, a broken pencil
line), specks far smaller than the digits are dropped. A piece much wider than
a digit is tall is cut where its ink is thinnest, which separates two
touching digits; the caller keeps the cut only if the model is surer of each
part than of the whole.
"""
import numpy as np
from scipy import ndimage


def pieces(mask):
    """(x0, x1, y0, y1, mask-of-piece) for each 8-connected piece of ink."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    out = []
    for i, box in enumerate(ndimage.find_objects(labels), start=1):
        out.append([box[1].start, box[1].stop, box[0].start, box[0].stop, labels == i])
    return out


def group_digits(mask):
    """Masks of the digits in `mask`, ordered left to right.

    Pieces that overlap horizontally are one digit. A short piece (under 0.6 of
    the tallest: a stray stroke, the loop of a broken 6) close to a digit joins
    it; far from any, it is a dot or speck and is dropped if very short.
    """
    groups = []
    for x0, x1, y0, y1, m in sorted(pieces(mask), key=lambda p: p[0]):
        for g in groups:
            overlap = min(x1, g[1]) - max(x0, g[0])
            if overlap > 0.5 * min(x1 - x0, g[1] - g[0]):
                merge(g, [x0, x1, y0, y1, m])
                break
        else:
            groups.append([x0, x1, y0, y1, m])
    tallest = max(g[3] - g[2] for g in groups)
    for g in sorted(groups, key=lambda g: g[3] - g[2]):
        others = [o for o in groups if o is not g]
        if g[3] - g[2] >= 0.6 * tallest or not others:
            continue
        nearest = min(others, key=lambda o: gap(g, o))
        if gap(g, nearest) <= 0.3 * tallest:
            merge(nearest, g)
            groups.remove(g)
        elif g[3] - g[2] < 0.3 * tallest:
            groups.remove(g)
    return [g[4] for g in sorted(groups, key=lambda g: g[0])]


def gap(a, b):
    """Horizontal distance between two boxes (0 when they overlap)."""
    return max(0, max(a[0], b[0]) - min(a[1], b[1]))


def merge(into, g):
    into[0], into[1] = min(into[0], g[0]), max(into[1], g[1])
    into[2], into[3] = min(into[2], g[2]), max(into[3], g[3])
    into[4] = into[4] | g[4]


def possible_counts(mask):
    """How many touching digits a piece of ink might hold, judged by its
    shape: a digit is at least ~0.4 as wide as tall (a 1), so a piece k times
    that wide may hold up to k. Empty for a piece no wider than tall."""
    ys, xs = np.nonzero(mask)
    aspect = (xs.max() - xs.min() + 1) / (ys.max() - ys.min() + 1)
    if aspect < 0.9:
        return []
    return list(range(2, int(min(6, max(2, aspect / 0.4))) + 1))


def cut(mask, k):
    """Cut a piece into k parts at the columns with least ink near where
    evenly spaced digits would meet."""
    ys, xs = np.nonzero(mask)
    x0, x1 = xs.min(), xs.max() + 1
    column_ink = mask[:, x0:x1].sum(axis=0)
    width = (x1 - x0) / k
    cuts = []
    for i in range(1, k):
        lo, hi = int(i * width - width / 3), int(i * width + width / 3) + 1
        cuts.append(x0 + lo + int(np.argmin(column_ink[lo:hi])))
    edges = [x0] + cuts + [x1]
    parts = []
    for a, b in zip(edges, edges[1:]):
        part = np.zeros_like(mask)
        part[:, a:b] = mask[:, a:b]
        if part.any():
            parts.append(part)
    return parts
