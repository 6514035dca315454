"""A small sheet photographed on a darker surface: a sticky note on a desk.

Finding the ink (digits/ink.py) takes the paper to be most of the picture.
When the sheet is a small part of it, the desk is: then the sheet's edges,
its corners or its shadow are read as the digits, and the writing is lost.
So a picture that shows a bright, sheet-shaped region on a darker surround
is cut down to that sheet, its corners outside the sheet painted in the
paper's colour, before the ink is looked for. A sheet filling the picture,
or the table showing in strips round it, is the usual case and left as it
is (digits/clean.py drops those strips).
"""
import numpy as np
from PIL import Image
from scipy import ndimage

from .decode import to_array
from .masks import otsu


LOOK = 120          # px: the small grey copy the sheet is looked for on is this long, or up to twice
SMALLEST = 64       # px: pictures up to this size are drawings or scans, not photos of a sheet
AREA = 0.04, 0.8    # of the picture: a sheet is this much of it (more: the usual photo of a page)
CONTRAST = 0.2      # how much brighter than its surround (0..1) the sheet is, at least
SURROUND = 0.1      # of the surround: at most this much as bright as the sheet (else it is paper too)
WRITING = 0.88      # of the sheet: the writing on it covers at most the rest (a bold white 0's hole more)
THICK = 0.2         # of its box's long side: how far its middle is from its edge (a sheet up to 2.5:1)
SOLID = 0.95        # of its convex hull: a sheet fills this much of it (a bold white digit less)
EDGE_GAP, EDGE = 9, 3   # px: notches in the sheet's edge filled, and its edge left out (see sheet_at_full_size)


def on_a_sheet(img):
    """The picture cut down to the sheet it shows on a darker surround, the
    rest painted in the sheet's colour; None if it shows no such sheet."""
    if max(img.size) <= SMALLEST or img.mode not in ('L', 'RGB'):   # a photo: not a drawing, not a canvas
        return None
    k = max(1, max(img.size) // LOOK)        # each pixel of the small copy is k x k of the picture
    found = sheet_in(np.asarray(img.reduce(k).convert('L'), np.float32) / 255)
    if found is None:
        return None
    small, level = found
    rows, cols = np.flatnonzero(small.any(axis=1)), np.flatnonzero(small.any(axis=0))
    box = (max(0, (cols[0] - 1) * k), max(0, (rows[0] - 1) * k),
           min(img.width, (cols[-1] + 2) * k), min(img.height, (rows[-1] + 2) * k))
    crop = img.crop(box)
    sheet = sheet_at_full_size(np.asarray(crop.convert('L'), np.float32) / 255 > level)
    if not sheet.any():
        return None
    rgb = to_array(crop)
    rgb = np.where(sheet[..., None], rgb, np.median(rgb[sheet], axis=0))
    return Image.fromarray(np.round(255 * (rgb[..., 0] if rgb.shape[2] == 1 else rgb)).astype(np.uint8))


def sheet_at_full_size(bright):
    """The sheet's mask in its crop, from the pixels as bright as its paper:
    the largest such region, its writing filled in, and closed over EDGE_GAP
    px so that a stroke ending at its edge is not cut off; less EDGE px
    round it (its edge and the shadow along it). The small copy places the
    edge only to within a few pixels of the picture."""
    if not bright.any():
        return bright
    sheet = ndimage.binary_fill_holes(largest(bright))
    sheet = ndimage.binary_fill_holes(ndimage.binary_closing(sheet, np.ones((EDGE_GAP, EDGE_GAP)), border_value=0))
    return ndimage.binary_erosion(sheet, iterations=EDGE)


def sheet_in(grey):
    """(mask, brightness threshold) of a sheet in a small grey picture
    (0..1): the largest bright region, its holes (the writing) filled, if
    it is shaped like a sheet and lies on a darker surround that shows all
    round it; else None."""
    low, high = grey.min(), grey.max()
    if high - low < CONTRAST:
        return None
    level = low + otsu((grey - low) / (high - low)) * (high - low)
    bright = grey > level
    if not bright.any():
        return None
    outline = largest(bright)
    sheet = ndimage.binary_fill_holes(outline)
    surround = ~sheet
    edges = sheet[0].any() or sheet[-1].any() or sheet[:, 0].any() or sheet[:, -1].any()
    if edges or not AREA[0] <= sheet.mean() <= AREA[1] or outline.sum() < WRITING * sheet.sum():
        return None     # the surround shows all round a sheet; a lit part of a shadowed page runs off
    if grey[outline].mean() - grey[surround].mean() < CONTRAST or bright[surround].mean() > SURROUND:
        return None
    rows, cols = np.flatnonzero(sheet.any(axis=1)), np.flatnonzero(sheet.any(axis=0))
    middle = ndimage.distance_transform_edt(np.pad(sheet, 1)).max()
    if middle < THICK * max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) or solidity(sheet) < SOLID:
        return None
    return sheet, level


def largest(mask):
    """The largest connected region of a mask that has one."""
    labels, _ = ndimage.label(mask)
    return labels == np.argmax(np.bincount(labels.ravel())[1:]) + 1


def solidity(mask):
    """The share of its convex hull that a mask fills (1 for a sheet's
    straight-edged shape; a bold digit's is hollowed out between its strokes).
    SciPy's spatial module is imported here, for the few pictures that get
    this far: importing it costs every call about 80 ms of start-up."""
    from scipy.spatial import ConvexHull
    ys, xs = np.nonzero(mask & ~ndimage.binary_erosion(mask))
    corners = np.concatenate([np.stack([ys + dy, xs + dx], axis=1) for dy in (0, 1) for dx in (0, 1)])
    return mask.sum() / ConvexHull(corners).volume
