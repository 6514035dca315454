"""Find the ink, whatever its colour: how far each pixel is from the local paper.

A Pillow image -> (ink [h, w] float32 in 0..1, mask [h, w] bool of the
digit's strokes), at the working size. Why each step is as it is:
docs/design.md, step 2.
"""
import numpy as np
from PIL import Image
from scipy import ndimage

from .clean import enclosures, keep_strokes, label_pieces, only_a_dot, page_lines, run_lengths
from .decode import ImageError, reduce, to_array
from .masks import THICK_SCALE, otsu, stroke_width
from .sheet import on_a_sheet


MIN_CONTRAST = 0.08      # weaker ink than this (0..1) is not a digit
UNEVEN = 0.05            # paper whose colour varies more than this has shadows to follow
NOISY = 0.08             # grain on the paper over ink contrast above which a picture is smoothed
                         # (at most 0.026 on clean photos, 0.19-0.53 in dim light: docs/measured.md)
FADED = 0.7              # smoothing is kept only if the ink keeps this much of its median strength
QUICK_SIZE = 200         # long side of the first look at a large picture (see quick_look)...
QUICK_SHORT = 133        # ...or more, so that its short side is at least this (a wide number's digits)
QUICK_STROKE = 4         # strokes at least this wide in that look are seen well enough
EVEN_PAPER_SIZE = 64     # px: pictures up to this have even paper, and no grain
BACKGROUND_SIZE = 48     # px: the small copy the paper's colour is estimated on
SHADOW_WINDOW = 4        # stroke widths: the window that follows a shadow's edge
ON_LINE, ALONG = 0.8, 1  # a piece with this much of its ink within ALONG px of the paper's lines is theirs...
THIN_LINE = 6            # ...of their parts at most this many px thick


def local_background(rgb):
    """Paper colour around each pixel.

    Small pictures (drawings, scans of one digit) have even paper: its colour
    is that of the paper's pixels (see paper_pixels).
    Photos and large pages get a median over half the picture, taken on a small
    copy: it follows smooth lighting gradients and shadows, and ink covers well
    under half of any such window.
    """
    h, w, depth = rgb.shape
    if max(h, w) <= EVEN_PAPER_SIZE:
        paper = rgb[paper_pixels(rgb.mean(axis=2))]
        return np.broadcast_to(np.median(paper, axis=0), rgb.shape)
    scale = min(1.0, BACKGROUND_SIZE / max(h, w))
    small_size = (max(1, round(w * scale)), max(1, round(h * scale)))
    window = max(3, (max(small_size) // 2) | 1)
    channels = []
    for c in range(depth):
        small = Image.fromarray(np.ascontiguousarray(rgb[..., c])).resize(small_size, Image.BOX)
        # A separable median, many times faster than a square one: rows,
        # then columns; but columns first where the window spans the whole
        # height (a wide picture: a written number), in which even bold,
        # touching digits are seldom half the ink, while along a row they
        # can be, and the paper would look uneven.
        s = np.asarray(small)
        for size in ((window, 1), (1, window)) if window >= small_size[1] else ((1, window), (window, 1)):
            s = ndimage.median_filter(s, size=size, mode='reflect')
        channels.append(np.asarray(Image.fromarray(s).resize((w, h), Image.BILINEAR)))
    return np.stack(channels, axis=2)


def paper_pixels(grey):
    """Which pixels of a small picture are paper.

    Usually the majority: ink covers well under half a picture. But in a tight
    crop of a bold digit (one in ten MNIST digits, cropped to their ink) ink
    can cover half or more, and the border is no guide (strokes run along it).
    Then the two tones are told apart by shape: the ink is one or two strokes,
    while the paper is cut by them into several pieces (holes, corners).
    """
    spread = grey.max() - grey.min()
    if spread == 0:
        return np.ones(grey.shape, bool)
    dark = grey <= grey.min() + otsu((grey - grey.min()) / spread) * spread
    if 0.25 < dark.mean() < 0.75:
        pieces = [ndimage.label(m, structure=np.ones((3, 3)))[1] for m in (dark, ~dark)]
        if pieces[0] != pieces[1]:
            return dark if pieces[0] > pieces[1] else ~dark
    return ~dark if dark.mean() < 0.5 else dark


def ink_map(img):
    """Ink strength in 0..1 (1 = typical ink, 0 = paper), whatever the
    ink and paper colours, and the mask of the digit's strokes; both at
    the size the ink was found at: at most WORK_SIZE, QUICK_SIZE for a
    large picture that the quick look was enough for."""
    img = reduce(img)
    return quick_look(img) or sheet_look(img) or full_look(img)


def sheet_look(img):
    """ink_map of the sheet the picture shows on a darker surface (a sticky
    note on a desk: digits/sheet.py), if it shows one with writing on it,
    else None. The quick look has turned such a picture down: its paper
    is uneven, the sheet's colour here and the desk's there."""
    sheet = on_a_sheet(img)
    if sheet is None:
        return None
    try:
        return quick_look(sheet) or full_look(sheet)
    except ImageError:   # nothing written on it: the whole picture is looked at
        return None


def full_look(img):
    """ink_map at the working size (WORK_SIZE), without the quick look."""
    return ink_of(to_array(reduce(img)))


def quick_look(img):
    """ink_map from a copy quick_size long, when that is enough, else None
    (a broad-brush digit on an even canvas; docs/design.md, "The quick look")."""
    size = quick_size(img)
    if max(img.size) <= 1.5 * size:
        return None
    rgb = to_array(reduce(img, size))
    background = local_background(rgb)
    if uneven(background):
        return None
    try:
        ink, mask = ink_of(rgb, background)
    except ImageError:
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    if rows[-1] - rows[0] + 1 < THICK_SCALE or stroke_width(mask) < QUICK_STROKE:
        return None
    return ink, mask


def quick_size(img):
    """The quick look's long side: QUICK_SIZE, or more for a wide picture,
    so that its short side is QUICK_SHORT. A written number's digits are
    about as tall as its picture: at QUICK_SIZE across, a wide one's would
    be too small to look at, and the quick look wasted."""
    return max(QUICK_SIZE, round(QUICK_SHORT * max(img.size) / max(1, min(img.size))))


def uneven(background):
    """Whether the paper's colour varies (shadows, a table round the sheet)."""
    return np.ptp(background, axis=(0, 1)).max() > UNEVEN


def ink_of(rgb, background=None):
    """ink_map of the picture's float array."""
    if background is None:
        background = local_background(rgb)
    distance = distance_from(rgb, background)
    t, mask, lines = separate(distance)
    if noisy(distance, t, mask):
        rgb, distance, t, mask, lines = less_grainy(rgb, background, distance, (t, mask, lines))
    if uneven(background):
        distance, t, mask, shadowed_lines = in_shadows(rgb, distance, stroke_width(mask))
        lines = thin_parts(lines)
        mask, lines = off_the_lines(mask, lines), lines | shadowed_lines
    ink_level = np.median(distance[mask])
    floor = t / 2
    ink = np.clip((distance - floor) / max(ink_level - floor, 1e-6), 0, 1).astype(np.float32)
    return without_lines(ink, mask, lines), mask


def thin_parts(lines):
    """The parts of the paper's `lines` at most THIN_LINE thick, across or
    down: where the paper's light is uneven, the first look can take a
    whole bright card on a dark desk for lines."""
    if not lines.any():
        return lines
    return lines & ((run_lengths(lines, 0) <= THIN_LINE) | (run_lengths(lines, 1) <= THIN_LINE))


def off_the_lines(mask, lines):
    """The mask without its pieces that lie along the paper's `lines`,
    those found before the shadows were followed (see in_shadows; their
    thin_parts): there, uneven light and grain can break a ruled line into
    dashes too short to be seen as a line, and each would read as a digit.
    A digit's strokes cross a line; they do not lie along it."""
    if not lines.any():
        return mask
    near = ndimage.binary_dilation(lines, structure=np.ones((2 * ALONG + 1, 2 * ALONG + 1)))
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    along = np.concatenate(([False], ndimage.mean(near, labels, np.arange(1, n + 1)) >= ON_LINE))
    kept = mask & ~along[labels]
    return kept if kept.any() else mask


def without_lines(ink, mask, lines):
    """The ink with the paper's lines (and their faint edges) wiped out,
    but where they meet the digit's strokes: the number reader looks at
    the ink round the strokes (digits/lines.py), and a form's cell walls
    left there would read as 1s."""
    if not lines.any():
        return ink
    wipe = ndimage.binary_dilation(lines) & ~ndimage.binary_dilation(mask)
    return np.where(wipe, 0, ink).astype(np.float32)


def less_grainy(rgb, background, distance, found):
    """(rgb, distance, threshold, mask, lines) after a 3x3 average, which evens out
    grain; or as they were, if the average faded the ink (a thin faint
    stroke on lightly grainy paper): grain joined into blotches leaves the
    ink as strong, a stroke of a pixel or two averaged away does not.
    `found`: separate's threshold, mask and lines of `distance`."""
    smooth = ndimage.uniform_filter(rgb, (3, 3, 0))
    smooth_distance = distance_from(smooth, background)
    try:
        smooth_found = separate(smooth_distance)
    except ImageError:
        return (rgb, distance, *found)
    if np.median(smooth_distance[smooth_found[1]]) < FADED * np.median(distance[found[1]]):
        return (rgb, distance, *found)
    return (smooth, smooth_distance, *smooth_found)


def noisy(distance, t, mask):
    """Whether the picture is grainy (a photo in dim light): the paper's
    mean distance from its own colour is over NOISY of the ink's. Then
    grains pass the threshold and join into blotches round a thin stroke,
    which a 3x3 average evens out (see less_grainy).
    (Measured on every third pixel, for speed; small pictures have no grain.)"""
    if min(distance.shape) <= EVEN_PAPER_SIZE:
        return False
    sample = distance[::3, ::3]
    paper = sample[sample <= t]
    return paper.size > 0 and paper.mean() > NOISY * np.median(distance[mask])


def distance_from(rgb, paper):
    """How far each pixel's colour is from the paper's."""
    return np.sqrt(((rgb - paper) ** 2).mean(axis=2))


def separate(distance):
    """The threshold between paper and ink (Otsu's), the mask of the
    digit's strokes, and that of the paper's lines (clean.page_lines) and
    of any circle or box drawn round the writing (clean.enclosures)."""
    if distance.max() < MIN_CONTRAST:
        raise ImageError('no digit found (the picture is blank or uniform)')
    t = max(otsu(distance / distance.max()) * distance.max(), MIN_CONTRAST / 2)
    inked = distance > t
    lines = page_lines(inked)
    rest = inked & ~lines
    labelled = label_pieces(rest)
    drawn = enclosures(rest, labelled)
    if drawn.any():
        lines, rest, labelled = lines | drawn, rest & ~drawn, None
    mask = keep_strokes(rest, labelled)
    if not mask.any() or only_a_dot(mask):
        raise ImageError('no digit found (only specks or borders)')
    return t, mask, lines


def in_shadows(rgb, distance, width):
    """Ink on paper with shadows, found again: (distance, threshold, mask, lines),
    following sharp edges of shadows that the wide median of local_background
    misses (docs/design.md, "Shadows")."""
    size = int(min(SHADOW_WINDOW * width, min(rgb.shape[:2]) / 4)) | 1
    smooth = ndimage.uniform_filter(rgb, (3, 3, 0))
    paper = ndimage.grey_closing(smooth, size=(size, size, 1), mode='nearest')
    darker = np.minimum(distance, distance_from(np.minimum(rgb, paper), paper))
    opened = ndimage.grey_opening(smooth, size=(size, size, 1), mode='nearest')
    lighter = np.minimum(distance, distance_from(np.maximum(rgb, opened), opened))
    _, mask, _ = separate(np.maximum(darker, lighter))
    if darker[mask].sum() < lighter[mask].sum():
        return lighter, *separate(lighter)
    relative = darker / np.maximum(paper.max(axis=2), 0.2)
    return relative, *separate(relative)
