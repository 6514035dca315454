"""Keep the digit: drop the paper's lines, specks, page borders and corners.

Works on the mask of what stands out from the paper ([h, w] bool) and
returns the mask of the digit's strokes. Why each rule is as it is:
docs/design.md, step 3.
"""
import numpy as np
from scipy import ndimage

from .masks import around, span, stroke_width


LINE_THICKNESS = 0.01   # ruled lines, box frames: at most this thick (of the picture's short side)
SMALL_PICTURE = 64      # px: pictures up to this (doodles, one-digit scans) have no lines or frames
# Chosen on bench/photo_conditions.py's pictures of MNIST test digits (docs/measured.md):
EDGE_LINE = 0.6, 0.1    # a border along an edge: over 0.6 of the side long, under 0.1 thick
CORNER = 0.3            # a piece within this fraction of the sides from a corner lies in the corner
BIG = 0.8               # a piece spanning this much of both sides may be a frame or the table round a sheet
FRAME = 0.7, 0.9        # a frame: this much of its ink near the edges, spanning this much of both sides
LOOSE = 0.9             # the table round a sheet, or something in a corner: this much of its ink near the edges
LOOSE_REST = 0.1        # ...dropped only if the rest holds this much of its ink (a squarish 0 beside a speck stays)
CORNER_REST = 0.5       # ...or, in a corner, this much (a digit there beside a pen mark stays)
SPECK = 0.08            # pieces with less ink than this fraction of the largest kept piece are specks
DOT = 3.0, 0.1          # ink whose box is under this many stroke widths long, and under this
                        # fraction of the picture's short side, is one dot, not a digit
EDGE_BAND = 0.1         # the band along each edge where borders lie (of that side)
TILT = 0.1              # a border's sideways drift along its length, at most (about 6 degrees)
LONG_LINE = 10          # a line candidate is at least 1/LONG_LINE of the short side long
LINE_PEN = 0.6          # the paper's lines are at most this fraction of the writing's stroke width
THIN_ALONG = 0.8        # ... and thin along at least this share of their length
WALLS = 3               # a form's row of cells has this many upright walls at least...
WALLS_EVEN = 0.05       # ...ending within this share of their length of each other (or 2 px)
WALLS_PEN = 1.5         # ...and at most this many of the ink's stroke widths thick (lines aside)
TICK = 0.5              # walls rising from one rail only (ticks) are under this share of the ink's height
ENCLOSED = 0.25         # ink inside a piece's loop this share of its height tall...
CLEAR = 1.5             # ...and, by its median, this many of the loop's strokes clear of it is writing drawn round...
ROWMATE = 0.8           # ...unless a piece that holds none is this share of its height tall: a digit among digits
ENCLOSURE_PX = 16       # px: a shape drawn round writing is at least this tall (not a speck of a dithered scan)


def keep_strokes(mask, labelled=None):
    """Drop specks and page borders or ruled lines; keep the digit's pieces.
    `labelled`: label_pieces(mask), if the caller has it."""
    labels, n, boxes = labelled or label_pieces(mask)
    if n == 0:
        return mask
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    h, w = mask.shape
    keep, loose, corner = np.zeros(n + 1, bool), np.zeros(n + 1, bool), np.zeros(n + 1, bool)
    for i, (box, size) in enumerate(zip(boxes, sizes), start=1):
        bh, bw = box[0].stop - box[0].start, box[1].stop - box[1].start
        touches = box[0].start == 0 or box[1].start == 0 or box[0].stop == h or box[1].stop == w
        line = edge_line(box, size, h, w)
        # A page's border; or, looser, the table showing round a photographed
        # sheet on two or three sides, or in one corner of the frame (or
        # anything else coming in there): nearly all of it near the edges.
        corner[i] = min(h, w) > SMALL_PICTURE \
            and (box[0].stop <= CORNER * h or box[0].start >= (1 - CORNER) * h) \
            and (box[1].stop <= CORNER * w or box[1].start >= (1 - CORNER) * w)
        big = bw > BIG * w and bh > BIG * h
        near = near_border(labels[box] == i, box, h, w) if touches and (big or corner[i]) else 0
        frame = near > FRAME[0] and bw > FRAME[1] * w and bh > FRAME[1] * h
        loose[i] = near > LOOSE and not frame
        keep[i] = not (touches and line) and not frame and not loose[i]
    # The looser frame goes only if the rest holds a tenth of its ink (a
    # squarish 0 beside a speck is the digit); something in a corner, only
    # if the rest holds half as much (a digit there beside a pen mark stays).
    keep[1:] |= loose[1:] & (sizes[keep[1:]].sum() < np.where(corner[1:], CORNER_REST, LOOSE_REST) * sizes)
    if not keep.any():    # nothing but lines: then the lines are the digit (a 1, a 7)
        keep[1:] = True
    largest = max(sizes[i - 1] for i in range(1, n + 1) if keep[i])
    for i in range(1, n + 1):
        keep[i] &= sizes[i - 1] >= SPECK * largest
    return keep[labels]


def label_pieces(mask):
    """(labels, count, boxes): the 8-connected pieces of ink of `mask`, as
    ndimage.label numbers them, and their boxes (ndimage.find_objects)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    return labels, n, ndimage.find_objects(labels)


def enclosures(mask, labelled):
    """The pieces of ink drawn round writing, [h, w] bool, given the mask
    of the ink and its label_pieces: a circle or a box drawn round a number
    or a digit (docs/design.md, "Drawn round"). A digit's loop holds no
    other digit; at most a speck, a dotted or slashed 0's mark, or the grey
    of a bold 0's narrow hole, close to its pen. So a piece at least half
    as tall as the tallest (and ENCLOSURE_PX) holds writing if one of its
    holes holds a whole piece ENCLOSED of its height tall and the ink in
    its holes lies, by the median, CLEAR of its strokes' widths from it
    (paper round the writing). It was drawn round the writing unless a
    piece that holds none is ROWMATE of its height tall: then it is one
    digit of a number, a 0 of "1000" with a slash inside (digits circled
    one by one each hold one). Pieces are looked at one at a time, the
    tall ones only: a dithered scan has tens of thousands."""
    labels, n, boxes = labelled
    out = np.zeros_like(mask)
    if n < 2:
        return out
    y0, y1, x0, x1 = np.array([(b[0].start, b[0].stop, b[1].start, b[1].stop) for b in boxes]).T
    height = y1 - y0
    holding = [i for i in np.flatnonzero((height >= height.max() / 2) & (height >= ENCLOSURE_PX))
               if holds_writing(mask, labels, i, (y0, y1, x0, x1))]
    others = np.ones(n, bool)
    others[holding] = False
    for i in holding:
        if not (others & ~within(i, (y0, y1, x0, x1)) & (height >= ROWMATE * height[i])).any():
            out[y0[i]:y1[i], x0[i]:x1[i]] |= labels[y0[i]:y1[i], x0[i]:x1[i]] == i + 1
    return out


def holds_writing(mask, labels, i, boxes):
    """Whether piece i (of `labels`; `boxes`: every piece's y0, y1, x0, x1)
    holds writing in its holes, as enclosures asks."""
    y0, y1, x0, x1 = boxes
    writing = np.flatnonzero(within(i, boxes) & (y1 - y0 >= ENCLOSED * (y1[i] - y0[i])))
    if not writing.size:
        return False
    box = (slice(y0[i], y1[i]), slice(x0[i], x1[i]))
    piece = labels[box] == i + 1
    holes = ndimage.binary_fill_holes(piece) & ~piece
    inside = mask[box] & holes
    return (any(holes[labels[box] == j + 1].all() for j in writing)
            and np.median(ndimage.distance_transform_edt(~piece)[inside]) >= CLEAR * stroke_width(piece))


def within(i, boxes):
    """Which pieces' boxes lie inside piece i's (`boxes`: every piece's y0, y1, x0, x1 arrays)."""
    y0, y1, x0, x1 = boxes
    return (y0[i] < y0) & (y1 <= y1[i]) & (x0[i] < x0) & (x1 <= x1[i])


def only_a_dot(mask):
    """Whether all the ink is one dot on a page: a speck of dirt on a blank
    page, or a full stop alone. Its box is about 2.5 stroke widths long (a
    filled round dot), under DOT[0], and small in the picture, under DOT[1]
    of its short side. A digit that bold is a filled blob, and seldom that
    small: MNIST's boldest test digits are 3.4 stroke widths long, the dev
    set's 4.8, an 8 drawn on the drawing page's canvas with its default pen
    3.0 but a sixth of the canvas; a scan stretched to its square fills it
    (docs/measured.md, "A dot alone")."""
    box = around(mask, margin=0)
    h, w = box[0].stop - box[0].start, box[1].stop - box[1].start
    # No stroke is wider than a filled box's, h * w / (h + w): a long box
    # (a number's) is no dot, and its strokes need not be measured.
    return (max(h, w) < DOT[1] * min(mask.shape) and max(h, w) < DOT[0] * h * w / (h + w)
            and max(h, w) < DOT[0] * stroke_width(mask[box]))


def edge_line(box, size, h, w):
    """Whether a piece (its box and pixel count) touching an edge is a border
    or a ruled line: long and thin. Up a wide picture (a tight crop of a
    number, where a 1 touching the top or bottom is long and thin too) it
    must also run from top to bottom (a notebook's margin), or lie in the band
    along the left or right edge and be straight: no wider than its thickness
    and a drift of TILT."""
    long, thin = EDGE_LINE
    (y0, y1), (x0, x1) = (box[0].start, box[0].stop), (box[1].start, box[1].stop)
    bh, bw = y1 - y0, x1 - x0
    if bw > long * w and bh < thin * h:
        return True
    if not (bh > long * h and bw < thin * w):
        return False
    by_edge = x0 < EDGE_BAND * w or x1 > (1 - EDGE_BAND) * w
    return h >= w or (y0 == 0 and y1 == h) or (by_edge and bw <= size / bh + TILT * bh)


def page_lines(mask):
    """The paper's straight, thin lines ([h, w] bool mask), not the digit's: ruled or
    squared paper, a margin, a form's box, a canvas border (docs/design.md,
    "The paper's lines")."""
    h, w = mask.shape
    if min(h, w) <= SMALL_PICTURE or (span(mask.any(axis=0)) < w / 2 and span(mask.any(axis=1)) < h / 2):
        return np.zeros_like(mask)      # too small, or no ink long enough: see of_the_paper
    thin = max(2, round(LINE_THICKNESS * min(h, w)))
    runs = {0: run_lengths(mask, 0), 1: run_lengths(mask, 1)}     # 0: vertical, 1: horizontal
    long = {axis: runs[axis] >= min(h, w) // LONG_LINE for axis in (0, 1)}
    candidates = {axis: long[axis] & (runs[1 - axis] <= thin) for axis in (0, 1)}
    # A quick look first: a line of the paper is thin along a quarter of the
    # picture at least (long, and thin along most of it, if faded in places);
    # a form's row of cells, a rail across half of it (see may_hold_a_rail).
    axes = [axis for axis in (0, 1) if candidates[axis].any(axis=1 - axis).sum() >= mask.shape[axis] / 4]
    unlined = mask & ~candidates[0] & ~candidates[1]
    cells = (form_cells(long, runs, span(mask.any(axis=1)), max(thin, round(WALLS_PEN * stroke_width(unlined))))
             if may_hold_a_rail(long[1]) else np.zeros_like(mask))
    rest = keep_strokes(unlined) if axes else None
    if rest is None or not rest.any():
        return cells
    writing, ink, pen = around(rest, margin=0), rest.sum(), stroke_width(rest)
    pieces = [(axis, box, piece, piece & candidates[axis][box])
              for axis in axes for box, piece in whole_lines(long[axis], axis)]
    pieces = [p for p in pieces if p[3].sum() <= 10 * ink]
    # Three long lines or more along an axis are ruled or squared paper:
    # those need not be thinner than the pen (a ballpoint on a lined page).
    ruled = {a: sum(axis == a and box[a].stop - box[a].start >= mask.shape[a] / 2
                    for axis, box, _, _ in pieces) >= 3 for a in (0, 1)}
    pieces = [(axis, box, piece, line) for axis, box, piece, line in pieces
              if ruled[axis] or line.sum() <= LINE_PEN * pen * line.any(axis=1 - axis).sum()]
    paper = cells.copy()            # the paper's lines, with where they are crossed
    for _ in range(2):              # the second time, a margin crossed by ruled lines is uncrossed
        for axis, box, piece, line in pieces:
            crossed = piece & ~line & ~paper[box]     # by strokes, or lines not the paper's
            if (thin_along(piece, line, axis, box, writing) >= THIN_ALONG
                    and of_the_paper(box, axis, writing, crossed, mask.shape)):
                paper[box] |= piece
    return (paper & (candidates[0] | candidates[1])) | cells


def form_cells(long, runs, height, wide):
    """The lines of a form's row of cells (a comb field, one digit to a
    cell; or ticks rising from its baseline), up to `wide` thick: its rails,
    straight lines across half the picture, and its upright walls, WALLS
    or more straight lines that start and end alike (within WALLS_EVEN of
    their length, along the rails' tilt) at rails: between two, or, as
    ticks, rising from one less than TICK of the ink's `height`; and as
    thick as the longest rail. A printer rules them so; a row of upright
    1s (or 4s' stems) on an underline is the writing's full height, seldom
    ends so evenly, and is drawn with the writer's pen.
    long, runs: page_lines' long runs and run lengths along each axis."""
    upright, flat = long[0] & (runs[1] <= wide), long[1] & (runs[0] <= wide)
    rails = np.zeros_like(flat)
    tilt, longest = 0.0, 0
    for box, piece in whole_lines(long[1], 1):
        length, line = box[1].stop - box[1].start, piece & flat[box]
        if length >= flat.shape[1] / 2 and whole(line, box, 1, wide):
            rails[box] |= line
            if length > longest:
                ys, xs = np.nonzero(line)
                tilt, longest = np.polyfit(xs, ys, 1)[0] if np.ptp(xs) else 0.0, length
                rail_width = thickness(line, 1)
    if not longest:
        return np.zeros_like(flat)

    def meets(box, y):          # a rail at row y, by the upright line in `box`
        return rails[max(0, y - wide):y + wide + 1, max(0, box[1].start - wide):box[1].stop + wide].any()

    least = min(flat.shape) // LONG_LINE
    walls = []
    for box, piece in whole_lines(upright, 0):
        length = box[0].stop - box[0].start
        ends = int(meets(box, box[0].start)) + int(meets(box, box[0].stop - 1))
        if (length >= least and whole(piece, box, 0, wide) and abs(thickness(piece, 0) - rail_width) <= max(1.5, rail_width / 2)
                and (ends == 2 or ends == 1 and length < TICK * height)):
            walls.append((box, piece))
    middle = np.array([(box[1].start + box[1].stop) / 2 for box, _ in walls])
    ends = np.array([(box[0].start, box[0].stop) for box, _ in walls]).reshape(-1, 2) - tilt * middle[:, None]
    even = np.maximum(2, WALLS_EVEN * (ends[:, 1] - ends[:, 0]))
    alike = (np.abs(ends[:, None] - ends[None]).max(axis=2) <= even[:, None]).sum(axis=1)
    walls = [wall for wall, n in zip(walls, alike) if n >= WALLS]
    if not walls:
        return np.zeros_like(flat)
    for box, wall in walls:
        rails[box] |= wall
    return rails


def thickness(line, axis):
    """A line's mean thickness across `axis`: its pixels over its length along it."""
    return line.sum() / max(1, line.any(axis=1 - axis).sum())


def whole(piece, box, axis, wide):
    """Whether a line (`piece` in `box`, along `axis`) is there along
    THIN_ALONG of its length (it has gaps only where strokes cross it), and
    straight: no wider than `wide` and a drift of TILT."""
    length, across = box[axis].stop - box[axis].start, box[1 - axis].stop - box[1 - axis].start
    return piece.any(axis=1 - axis).sum() >= THIN_ALONG * length and across <= wide + TILT * length


def thin_along(piece, line, axis, box, writing):
    """The share of a line's length (`piece`, in `box`) where it is thin
    (`line`), counted beyond the writing (its box) when it runs a quarter of
    its length past it: where a stroke lies along a line (a 1 written on a
    squared paper's line), the line is as thick as the stroke there."""
    along, thin = piece.any(axis=1 - axis), line.any(axis=1 - axis)
    beyond = along.copy()
    beyond[max(0, writing[axis].start - box[axis].start):
           max(0, writing[axis].stop - box[axis].start)] = False
    if beyond.sum() >= along.sum() / 4:
        along = beyond
    return (thin & along).sum() / along.sum()


def whole_lines(long, axis):
    """(box, mask) of each line of `long` runs along `axis`, whole: through
    the strokes and lines that cross it, over the steps of a tilted line and
    the gaps where a faint one fades out."""
    grown = ndimage.maximum_filter1d(long.view(np.uint8), long.shape[axis] // 4, axis=axis)
    grown = ndimage.maximum_filter1d(grown, 3, axis=1 - axis)
    labels, _ = ndimage.label(grown)
    labels[~long] = 0
    for i, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is not None:
            yield box, labels[box] == i


def of_the_paper(box, axis, writing, crossed, shape):
    """Whether a line (its `box`, along `axis`) belongs to the paper, judged
    against `writing` (the box of the rest of the ink) and where it is
    `crossed` (a mask in `box`); the rules: docs/design.md, "The paper's lines"."""
    height = writing[0].stop - writing[0].start
    start, stop = box[axis].start, box[axis].stop
    if axis == 1 and start == 0 and stop == shape[1] and stop - start >= 1.5 * height:
        return True
    if stop - start < shape[axis] / 2:
        return False
    where = np.flatnonzero(crossed.any(axis=1 - axis))
    inside = ((where >= height / 6) & (where < stop - start - height / 6)).any()
    along, across = writing[axis], writing[1 - axis]
    beside = box[1 - axis].stop <= across.start or box[1 - axis].start >= across.stop
    past = min(along.start - start, stop - along.stop)
    return past >= height / 3 if inside else beside or past >= height / 6


def may_hold_a_rail(across):
    """Whether long horizontal runs (`across`) may make a form's rail (see
    form_cells), a line across half the picture, tilted by up to 3 degrees
    (TILT / 2): side by side in half its columns, within a band of rows
    such a line covers. Quick tests for a search that is not: a quarter
    of the speed benchmark's numbers pass the first, a sixth both."""
    h, w = across.shape
    if longest_run(across.any(axis=0)) < w / 2:
        return False
    # Bands of rows as tall as such a line's rise: it lies within two side by side.
    bands = np.logical_or.reduceat(across, np.arange(0, h, round(TILT / 2 * w) + 2), axis=0)
    return run_lengths(bands[:-1] | bands[1:] if len(bands) > 1 else bands, 1).max() >= w / 2


def longest_run(flags):
    """The most True values side by side in a 1-D array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], flags.view(np.int8), [0]))))
    return (edges[1::2] - edges[::2]).max(initial=0)


def run_lengths(mask, axis):
    """For each ink pixel, the length of the unbroken run of ink it is in
    along `axis` (0: down the columns, 1: along the rows); 0 on paper."""
    m = mask.T if axis == 0 else mask
    rows, n = m.shape
    padded = np.zeros((rows, n + 1), np.int8)   # paper after each row: runs end in it
    padded[:, :n] = m
    flat = padded.ravel()
    step = np.diff(flat, prepend=np.int8(0))
    starts, stops = np.flatnonzero(step == 1), np.flatnonzero(step == -1)
    acc = np.zeros(flat.size, np.int32)
    acc[starts], acc[stops] = stops - starts, starts - stops
    runs = np.cumsum(acc, dtype=np.int32).reshape(rows, n + 1)[:, :n]
    return runs.T if axis == 0 else runs


def near_border(piece, box, h, w):
    """The fraction of a piece's ink within 10% of the picture's edges: nearly
    all of a page border or frame, far less of a digit that fills a tight crop."""
    ys, xs = np.nonzero(piece)
    ys, xs = ys + box[0].start, xs + box[1].start
    band_y, band_x = max(1, EDGE_BAND * h), max(1, EDGE_BAND * w)
    near = (ys < band_y) | (ys >= h - band_y) | (xs < band_x) | (xs >= w - band_x)
    return near.mean()
