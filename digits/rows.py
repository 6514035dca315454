"""A page's pieces of ink -> the rows of writing they are in: numbers written one under another.

A date over an amount, a column of figures: read as one number, the digits
of one row sit on those of the next and are merged into nonsense ("4071"
over "2385" read 3335). So a page is first cut into rows, each read as a
number of its own. A row is a band of the page where pieces of ink lie,
with blank paper between it and the next, at least half the tallest
band's height, holding digits side by side (apart, or all joined up in
one piece) or one digit; other bands (a dot, a dash, an underline, a
flourish under an amount, a form box's edge, a line of small print) are
marks and go with the row nearest them. Only a clear gap between two
rows, one under the other, one of them at least with digits side by
side, splits a page: a digit whose pen skipped (a 5's bar above its
belly), a number written uphill, or a wavy row stays one row. A page
photographed askew has its rows tilted, and the gap between them closes
at the ends; so the page is also looked at sheared by up to 10 degrees
either way, and the slant that makes its bands thinnest is taken.
"""
import numpy as np

GAP = 0.25   # blank rows between a band of writing and the next piece, at least, in the shorter's height
ROW = 0.5    # a row is at least this fraction of the tallest band's height
DIGIT_WIDE = 1.3   # the widest digit, in heights (pieces.WIDEST)
NEAR = 1.0   # paper wider than this many heights parts a row's digits from the rest
JOINED_TALL = 0.8   # digits joined up in one piece are a row if this fraction of the tallest band
SLANTS = np.tan(np.radians([0, 2, -2, 4, -4, 6, -6, 8, -8, 10, -10]))   # rows tilted up to 10 degrees are found


def row_of_each(boxes, joined=None):
    """Per piece of ink, given their boxes (y0, y1, x0, x1) and whether
    each may be digits `joined` up (wider than a digit, and pieces.upright:
    strokes up and down all along, as digits', not a flourish's; None: none
    is), the row of
    writing it is in, 0 for the top one; None for a page of one row. A
    piece of a band too short to be a row (a mark) goes with the row
    nearest it. The page is looked at level, or sheared by the one of
    SLANTS that makes its bands the thinnest (its rows level, if it was
    photographed askew)."""
    sheared = min(([sheared_box(box, slant) for box in boxes] for slant in SLANTS),
                  key=lambda boxes: sum(y1 - y0 for y0, y1 in bands_of(boxes)))   # the first, level, on a tie
    rows = rows_of(sheared, joined)
    if not rows:
        return None
    return [int(np.argmin([max(r0 - y1, y0 - r1, 0) for r0, r1 in rows])) for y0, y1, _, _ in sheared]


def sheared_box(box, slant):
    """The box (y0, y1, x0, x1) of a piece once the page is sheared by
    y -> y - slant * x: it grows by |slant| times its width."""
    y0, y1, x0, x1 = box
    shifts = (slant * x0, slant * x1)
    return y0 - max(shifts), y1 - min(shifts), x0, x1


def bands_of(boxes):
    """The bands of rows (y0, y1), top to bottom, where the pieces' boxes
    (y0, y1, x0, x1) lie: merged where they overlap or lie closer than GAP."""
    bands = []
    for y0, y1, _, _ in sorted(boxes):
        if bands and y0 - bands[-1][1] < GAP * min(y1 - y0, bands[-1][1] - bands[-1][0]):
            bands[-1] = (bands[-1][0], max(bands[-1][1], y1))
        else:
            bands.append((y0, y1))
    return bands


def rows_of(boxes, joined=None):
    """The rows of writing, (y0, y1) each, top to bottom, given the boxes
    (y0, y1, x0, x1) of the page's pieces, and which may be digits `joined`
    up (see row_of_each); [] for a page of one row.

    A band (bands_of) is a row if it is at least ROW of the tallest band's
    height and holds digits side by side (apart, or joined up) or one
    digit; any other band is marks (an underline, a flourish or a wavy
    line under an amount, a form box's edge). The page has rows if two bands at least are rows, every
    row under the one before it (their pieces sharing some columns: not a
    number whose last digits are written higher), and one of them at least
    holds digits side by side, apart or joined up; else it is one row."""
    bands = bands_of(boxes)
    highest = max(y1 - y0 for y0, y1 in bands)
    tall = [band for band in bands if band[1] - band[0] >= ROW * highest]
    apart = [side_by_side(band, boxes) or joined_up(band, boxes, joined, highest) for band in tall]
    rows = [band for band, a in zip(tall, apart) if a or one_digit(band, boxes)]
    spans = [columns(row, boxes) for row in rows]
    if len(rows) > 1 and all(a[0] < b[1] and b[0] < a[1] for a, b in zip(spans, spans[1:])) and any(apart):
        return rows
    return []


def columns(band, boxes):
    """(x0, x1): the columns of the pieces within the band (y0, y1)."""
    inside = [(x0, x1) for b0, b1, x0, x1 in boxes if band[0] <= b0 and b1 <= band[1]]
    return min(x0 for x0, _ in inside), max(x1 for _, x1 in inside)


def side_by_side(band, boxes):
    """Whether the band holds two pieces side by side, each at least half
    its height, with no gap of paper wider than NEAR heights between them:
    then it is a row of digits, not one digit whose pen skipped (a 5's bar
    above its belly, a 6's stem above its loop), nor a form box's sides."""
    reach, tall_ends = -np.inf, []     # how far the pieces so far reach; where the tall ones end
    for x0, x1, tall in inside(band, boxes):
        if x0 - reach > NEAR * (band[1] - band[0]):
            tall_ends = []             # paper too wide: what follows is apart from what came before
        if tall and any(x0 >= end for end in tall_ends):
            return True
        if tall:
            tall_ends.append(x1)
        reach = max(reach, x1)
    return False


def joined_up(band, boxes, joined, highest):
    """Whether the band holds digits written joined up, as one piece: one
    that may be (`joined`, see row_of_each) at least half the band's height
    and wider than a digit (DIGIT_WIDE heights). A flourish, a swoosh or a
    box's edge under an amount is as wide, but not upright. A coil or a
    tight zigzag is, so the band must also be nearly as tall as the tallest
    band (`highest`, JOINED_TALL), as digits are and such flourishes seldom."""
    y0, y1 = band
    return joined is not None and y1 - y0 >= JOINED_TALL * highest and any(
        j and y0 <= b0 and b1 <= y1 and b1 - b0 >= (y1 - y0) / 2 and x1 - x0 > DIGIT_WIDE * (y1 - y0)
        for (b0, b1, x0, x1), j in zip(boxes, joined))


def one_digit(band, boxes):
    """Whether the band's tall pieces span no wider than a digit (DIGIT_WIDE
    times its height): a row of one digit, "7" over "2385"."""
    tall = [(x0, x1) for x0, x1, is_tall in inside(band, boxes) if is_tall]
    return bool(tall) and max(x1 for _, x1 in tall) - min(x0 for x0, _ in tall) <= DIGIT_WIDE * (band[1] - band[0])


def inside(band, boxes):
    """The pieces within the band (y0, y1), left to right: (x0, x1, whether
    at least half the band's height) each."""
    y0, y1 = band
    return sorted((x0, x1, b1 - b0 >= (y1 - y0) / 2) for b0, b1, x0, x1 in boxes if y0 <= b0 and b1 <= y1)
