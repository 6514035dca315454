"""Split the ink of a written number into candidate digits, left to right.

Connected pieces of ink are grouped into digits (pieces overlapping
sideways or stacked are one digit; specks far from the rest are dropped).
A piece wide enough to be touching digits keeps its ink and mask, so that
reading can ask for the ways to cut it (`splits`, `cut_candidates`) when
the model's head takes it for several. Why: docs/design.md, Numbers.
"""
import numpy as np
from scipy import ndimage

from .decode import ImageError
from .ink import ink_map
from .level import levelled
from .lines import strokes_box, to_line
from .masks import around, stroke_width
from .normalise import prepare_digit, prepare_widths, stretched
from .rows import row_of_each
from .separators import separators_in


MIN_ASPECT = 0.6   # width over height below which a piece is one digit (a 1 touching a 0 is about 0.7)
NARROWEST = 0.2    # the narrowest digit (a 1), in digit heights
WIDEST = 1.3       # the widest digit, in digit heights
ONE_WIDE = 0.4     # a digit is at least this wide, in heights: a piece k times that may hold k
MOST_DIGITS = 6    # touching digits in one piece, at most
REACH = 0.15       # how far a cut may stray from its column, in digit heights
MAX_COLUMNS, MAX_WAYS = 16, 2000   # bounds on the columns tried and the ways listed for one piece
SHORT = 0.6        # a piece under this fraction of the tallest joins a digit near it...
NEAR = 0.3         # ...within this many tallest heights; further away, under
DOT = 0.3          # this fraction of the tallest, it is a dot or speck and dropped
STACKED = 0.2      # pieces one above the other within this fraction of their height sideways are one digit
OVERLAP = 0.5      # pieces overlapping sideways by this much of the narrower are one digit
STRAY_GAP = 0.5    # a speck further than this many tallest heights from all ink is dropped first
UPRIGHT = 0.25     # a piece is upright if its ink spans half its height in this share of its columns...
UPRIGHT_TALL = 3   # ...and it is at least this many strokes tall (not a thick bar)


class Candidates(list):
    """digit_candidates' entries, and `line`: the picture's ink as the number
    reader takes it (digits/lines.py), None with `single` or for a stretched
    scan; `separators`: the separators written in it, [(column of the line,
    mark)] (digits/separators.py)."""
    line = None
    separators = ()


class Page(list):
    """digit_candidates of a page with several rows of writing: the
    Candidates of each row, top to bottom (digits/rows.py)."""


def digit_candidates(img, single=False, separators=False):
    """The digits in a Pillow image, left to right: Candidates [(whole, piece)],
    or for numbers written one under another, a Page of those, a row each.

    whole: the [28, 28] of one digit ([5, 28, 28], its widths, for a
    stretched scan); piece: its (ink, mask), cropped, when it is wide
    enough to be touching digits, else None: `cut_candidates` cuts it only
    if the model's head takes it for several. With `single`, all the ink
    is one digit. With `separators`, each row's Candidates note the
    separators written in it (digits/separators.py).
    """
    ink, mask = ink_map(img)
    if stretched(mask):
        return Candidates([(prepare_widths(ink, mask), None)])
    if single:
        return Candidates([(prepare_digit(ink, mask), None)])
    found = pieces(mask)
    ink, mask, turned = levelled(ink, mask, found)
    if turned:
        found = pieces(mask)
    rows = rows_of_pieces(found)
    marks_ink = ink if separators else None
    if len(rows) == 1:
        return number_candidates(ink, mask, found, marks_ink)
    page = Page()
    for mine in rows:
        row = np.logical_or.reduce([p[4] for p in mine])
        page.append(number_candidates(np.where(ndimage.binary_dilation(row, iterations=2), ink, 0), row, mine,
                                      marks_ink))
    return page


def rows_of_pieces(found):
    """The pieces `found` (see pieces) of each row of writing, top to
    bottom (digits/rows.py); [found] for a page of one row."""
    # Only a piece wider than a digit may be digits joined up: the others'
    # strokes are not looked at (rows.joined_up checks the width again,
    # against its band).
    joined = [x1 - x0 > WIDEST * (y1 - y0) and upright(m[y0:y1, x0:x1]) for x0, x1, y0, y1, m in found]
    rows = row_of_each([(y0, y1, x0, x1) for x0, x1, y0, y1, _ in found], joined)
    if rows is None:
        return [found]
    return [[p for p, row in zip(found, rows) if row == k] for k in range(max(rows) + 1)]


def upright(mask):
    """Whether the ink of a piece (`mask`, cropped to it) spans at least
    half its height in UPRIGHT of its inked columns, as digits' strokes do
    (a 0's sides, a 2's top and bottom; touching digits', each digit's): a
    flourish, a swoosh or a box's bottom edge crosses most columns once, at
    one height (digits/rows.py, joined_up). It is the span from a column's
    top ink to its bottom ink: a coil or a tight zigzag, crossing each
    column twice, is upright too. A bar (a 5's, an underline) is no taller
    than its stroke: it is not upright."""
    if mask.shape[0] < UPRIGHT_TALL * stroke_width(mask):
        return False
    inked = mask.any(axis=0)
    top = np.argmax(mask, axis=0)
    bottom = mask.shape[0] - np.argmax(mask[::-1], axis=0)
    return np.count_nonzero(inked & (bottom - top >= mask.shape[0] / 2)) >= UPRIGHT * np.count_nonzero(inked)


def number_candidates(ink, mask, found, marks_ink=None):
    """digit_candidates' Candidates for the ink of one row of writing, its
    pieces `found` (see pieces); the separators are looked for in
    `marks_ink`, the whole picture's ink (a row's `ink` keeps only what
    lies near its strokes, not its dots), if given."""
    entries = Candidates()
    strokes = strokes_box(mask)
    entries.line = to_line(ink, strokes)
    if marks_ink is not None:
        entries.separators = separators_in(marks_ink, mask, found, strokes, entries.line.shape[1])
    for m in group_digits(mask, found):
        box = around(m)   # all that crop() looks at: the same digit, found faster
        digit_ink, digit_mask = ink[box], m[box]
        piece = ((digit_ink.copy(), digit_mask.copy())
                 if aspect(digit_mask) >= MIN_ASPECT else None)
        entries.append((prepare_digit(digit_ink, digit_mask), piece))
    return entries


def cut_candidates(piece):
    """(parts, ways) for a piece of digit_candidates: the 28x28s of the
    parts it could be cut into and the ways to cut it (tuples of indices
    into parts, see splits)."""
    ink, mask = piece
    parts, ways = splits(mask)
    try:
        return [prepare_digit(ink, p) for p in parts], ways
    except ImageError:   # a part too faint to prepare: then the piece stays whole
        return [], []


def pieces(mask):
    """(x0, x1, y0, y1, mask-of-piece) for each 8-connected piece of ink."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    out = []
    for i, box in enumerate(ndimage.find_objects(labels), start=1):
        out.append([box[1].start, box[1].stop, box[0].start, box[0].stop, labels == i])
    return out


def group_digits(mask, found=None):
    """Masks of the digits in `mask`, ordered left to right (its pieces
    `found` by pieces(), if the caller has them).

    Specks far from all other ink are dropped first (see stray). Pieces that
    overlap horizontally are one digit, and so are pieces stacked one above
    the other. A short piece (under 0.6 of the tallest: a stray
    stroke, the loop of a broken 6) close to a digit joins it; far from any,
    it is a dot or speck and is dropped if very short.
    """
    groups, found = [], pieces(mask) if found is None else found
    tallest = max(p[3] - p[2] for p in found)
    for x0, x1, y0, y1, m in sorted((p for p in found if not stray(p, found, tallest)),
                                    key=lambda p: p[0]):
        for g in groups:
            overlap = min(x1, g[1]) - max(x0, g[0])
            if overlap > OVERLAP * min(x1 - x0, g[1] - g[0]):
                merge(g, [x0, x1, y0, y1, m])
                break
        else:
            groups.append([x0, x1, y0, y1, m])
    merge_stacked(groups)
    tallest = max(g[3] - g[2] for g in groups)
    for g in sorted(groups, key=lambda g: g[3] - g[2]):
        others = [o for o in groups if o is not g]
        if g[3] - g[2] >= SHORT * tallest or not others:
            continue
        nearest = min(others, key=lambda o: gap(g, o))
        if gap(g, nearest) <= NEAR * tallest:
            merge(nearest, g)
            groups.remove(g)
        elif g[3] - g[2] < DOT * tallest:
            groups.remove(g)
    return [g[4] for g in sorted(groups, key=lambda g: g[0])]


def merge_stacked(groups):
    """Join pieces that lie one above the other, close sideways: a number is
    written in a row, so they are one digit broken across (the two strokes of
    a 1 or a 2 whose pen skipped)."""
    merged = True
    while merged:
        merged = False
        for a in groups:
            for b in groups:
                if a is b or max(a[2], b[2]) < min(a[3], b[3]):
                    continue    # the same piece, or side by side at the same height
                if gap(a, b) <= STACKED * (max(a[3], b[3]) - min(a[2], b[2])):
                    merge(a, b)
                    groups.remove(b)
                    merged = True
                    break
            if merged:
                break


def stray(piece, found, tallest):
    """Whether a piece is a speck far from all others: under 0.3 of the
    tallest piece's height tall and under its height wide, and further from
    every other piece than half that height, across or down (dust; a
    shadow's corner at the picture's edge). Joined to the digit above it, a
    speck below the row makes a piece so tall that the row's digits all
    count as short pieces, and are merged into one."""
    small = piece[3] - piece[2] < DOT * tallest and piece[1] - piece[0] < tallest
    return small and all(max(gap(piece, p), vertical_gap(piece, p)) > STRAY_GAP * tallest
                         for p in found if p is not piece)


def vertical_gap(a, b):
    """Vertical distance between two boxes (0 when they overlap)."""
    return max(0, max(a[2], b[2]) - min(a[3], b[3]))


def gap(a, b):
    """Horizontal distance between two boxes (0 when they overlap)."""
    return max(0, max(a[0], b[0]) - min(a[1], b[1]))


def merge(into, g):
    """Grow group `into` ([x0, x1, y0, y1, mask]) by group `g`."""
    into[0], into[1] = min(into[0], g[0]), max(into[1], g[1])
    into[2], into[3] = min(into[2], g[2]), max(into[3], g[3])
    into[4] = into[4] | g[4]


def aspect(mask):
    """Width over height of a piece of ink."""
    ys, xs = np.nonzero(mask)
    return (xs.max() - xs.min() + 1) / (ys.max() - ys.min() + 1)


def possible_counts(mask):
    """How many touching digits a piece of ink might hold, judged by its
    shape: a digit is at least ~0.4 as wide as tall (a 1), so a piece k times
    that wide may hold up to k. Empty for a piece narrower than 0.6 of its
    height (a 1 touching a 0 or an 8 is about 0.7)."""
    ratio = aspect(mask)
    if ratio < MIN_ASPECT:
        return []
    return list(range(2, int(min(MOST_DIGITS, max(2, ratio / ONE_WIDE))) + 1))


def even_cuts(mask, k):
    """The k - 1 columns with least ink near where k evenly spaced digits meet."""
    ys, xs = np.nonzero(mask)
    x0, x1 = xs.min(), xs.max() + 1
    column_ink = mask[:, x0:x1].sum(axis=0)
    width = (x1 - x0) / k
    cuts = []
    for i in range(1, k):
        lo, hi = int(i * width - width / 3), int(i * width + width / 3) + 1
        cuts.append(x0 + lo + int(np.argmin(column_ink[lo:hi])))
    return cuts


def cut_paths(mask, columns, reach):
    """For each column, a cut from the top of `mask` to its bottom that
    crosses the least ink, within `reach` columns of it and moving at most
    one column a row: touching digits lean and overlap, and a straight cut
    would slice a neighbour's stroke. Returns [len(columns), rows], the
    cut's column in each row (the ink left of it is one side)."""
    h, w = mask.shape
    offsets = np.arange(-reach, reach + 1)
    cols = np.clip(np.asarray(columns, int)[:, None] + offsets, 0, w - 1)     # [n, band]
    # Ink crossed, plus a little for straying, so the cut is straight in a gap.
    cost = mask[:, cols].astype(float) + 0.01 * np.abs(offsets)       # [rows, n, band]
    cost[:, (cols == 0) | (cols == w - 1)] = np.inf   # not along the piece's ends
    total = cost[0]
    came = np.zeros(cost.shape, np.int8)
    inf = np.full((len(columns), 1), np.inf)
    for y in range(1, h):
        options = np.stack([np.hstack([inf, total[:, :-1]]), total,
                            np.hstack([total[:, 1:], inf])])
        best = options.argmin(axis=0)
        came[y] = best - 1
        total = cost[y] + options.min(axis=0)
    at = total.argmin(axis=1)
    paths = np.empty((len(columns), h), int)
    rows = np.arange(len(columns))
    for y in range(h - 1, -1, -1):
        paths[:, y] = cols[rows, at]
        at = at + came[y, rows, at]
    return paths


def mask_between(mask, left, right):
    """The ink of `mask` from cut `left` (a column per row) up to cut `right`."""
    x = np.arange(mask.shape[1])
    return mask & (x >= left[:, None]) & (x < right[:, None])


def cut_columns(mask, counts):
    """Where touching digits may meet: the columns whose ink is a local minimum
    (lowest first, at most MAX_COLUMNS), plus `even_cuts` for each count,
    none closer to an end than a narrow digit is wide."""
    ys, xs = np.nonzero(mask)
    x0, x1 = xs.min(), xs.max() + 1
    narrow = NARROWEST * (ys.max() - ys.min() + 1)
    ink = ndimage.uniform_filter1d(mask[:, x0:x1].sum(axis=0).astype(float), 3)
    minima = [x0 + c for c in range(len(ink)) if ink[c] <= ink[max(0, c - 2):c + 3].min()]
    columns = []
    for c in sorted(minima, key=lambda c: ink[c - x0]):
        if x0 + narrow <= c <= x1 - narrow and all(abs(c - d) > 2 for d in columns):
            columns.append(c)
    columns = columns[:MAX_COLUMNS]
    for k in counts:
        columns += [c for c in even_cuts(mask, k) if all(abs(c - d) > 2 for d in columns)]
    return sorted(columns)


def splits(mask):
    """Ways to cut a piece of ink into 2 or more touching digits.

    Returns (parts, ways): the part masks between cuts (see cut_paths), and
    each way as a tuple of indices into parts, left to right. The cuts start
    0.2 to 1.3 times the piece's height apart, a digit's range of widths
    (a part may be a little wider or narrower where its cuts stray).
    Both are empty for a piece too narrow to be two digits.
    """
    counts = possible_counts(mask)
    if not counts:
        return [], []
    ys, xs = np.nonzero(mask)
    x0, x1 = xs.min(), xs.max() + 1
    height = ys.max() - ys.min() + 1
    nodes = [x0] + [c for c in cut_columns(mask, counts) if x0 < c < x1] + [x1]
    paths = dict(zip(nodes, [np.full(len(mask), x0)]
                     + list(cut_paths(mask, nodes[1:-1], max(2, int(REACH * height))))
                     + [np.full(len(mask), x1)]))
    parts, index, ways = [], {}, []

    def part(a, b):
        if (a, b) not in index:
            index[a, b] = len(parts)
            parts.append(mask_between(mask, paths[a], paths[b]))
        return index[a, b]

    def extend(way, start):
        for b in nodes:
            if len(ways) >= MAX_WAYS:
                return
            if not NARROWEST * height <= b - start <= WIDEST * height:
                continue
            p = part(start, b)
            if not parts[p].any():
                continue    # a group of pieces can have empty columns inside
            if b == x1:
                if way:
                    ways.append(tuple(way) + (p,))
            elif len(way) + 1 < max(counts):
                extend(way + [p], b)

    extend([], x0)
    # Only the parts some way uses are returned (and prepared).
    used = sorted({i for w in ways for i in w})
    renumber = {old: new for new, old in enumerate(used)}
    return [parts[i] for i in used], [tuple(renumber[i] for i in w) for w in ways]
