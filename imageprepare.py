"""Turn any picture of a handwritten digit into the 28x28 form MNIST uses.

MNIST digits are light ink on black, their bounding box scaled into 20x20
(aspect kept, area-averaged), placed in 28x28 with the centre of mass at the
centre. Real pictures are not: they are photos with shadows, dark or light
ink, transparent canvases, thin pen lines on large pages. So we first find
the ink (how far each pixel is from the local paper colour, separated with
Otsu's threshold), keep the digit's strokes and drop specks and page borders,
bring the stroke width to MNIST's, and only then do MNIST's own normalisation.
"""
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps
from scipy import ndimage

import segment

WORK_SIZE = 600          # long side we reduce large photos to before looking for ink
MIN_CONTRAST = 0.08      # weaker ink than this (0..1) is not a digit
MNIST_STROKE = 1.9       # median stroke width of MNIST digits in their 20x20 box
UNEVEN = 0.05           # paper whose colour varies more than this has shadows to follow
LINE_THICKNESS = 0.01   # ruled lines, box frames: at most this thick (of the picture's short side)
THICK_SCALE = 80         # resolution at which thin or fat strokes are corrected
NOISY = 0.08             # grain on the paper over ink contrast above which a picture is smoothed
QUICK_SIZE = 200         # long side of the first look at a large picture (see quick_look)
QUICK_STROKE = 4         # strokes at least this wide in that look are seen well enough


class ImageError(Exception):
    """The file is not a picture we can read, or shows no digit."""


def load_image(path):
    """Open `path` as an upright Pillow image (first frame), refusing images
    so large they would exhaust memory before decoding them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error', Image.DecompressionBombWarning)
            img = Image.open(path)
            if max(img.size) > 1000 * max(1, min(img.size)):
                raise ImageError(f'{path}: a {img.width}x{img.height} image is too narrow '
                                 'to hold a digit')
            img.draft('RGB', (2 * WORK_SIZE, 2 * WORK_SIZE))   # JPEG: decode at reduced size
            img = ImageOps.exif_transpose(img)
            img.load()
    except FileNotFoundError:
        raise ImageError(f'{path}: no such file') from None
    except IsADirectoryError:
        raise ImageError(f'{path}: is a directory') from None
    except PermissionError:
        raise ImageError(f'{path}: permission denied') from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f'{path}: image too large to read safely') from None
    except Image.UnidentifiedImageError:
        raise ImageError(f'{path}: not an image file Pillow can read') from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, TypeError,
            IndexError, KeyError, ZeroDivisionError, struct.error) as e:
        raise ImageError(f'{path}: damaged or truncated image ({short(e)})') from None
    if img.width < 1 or img.height < 1:
        raise ImageError(f'{path}: image has no pixels')
    return img


def short(e):
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:80]


def to_array(img):
    """Float array [h, w, channels] in 0..1: one channel for grey pictures,
    else RGB with transparent areas filled with a colour that contrasts with
    the opaque strokes (canvas exports are often transparent black behind
    black ink)."""
    if img.mode in ('I;16', 'I;16B', 'I;16L', 'I;16N', 'I', 'F'):
        a = np.nan_to_num(np.asarray(img.convert('F') if img.mode != 'F' else img, np.float32),
                          nan=0.0, posinf=0.0, neginf=0.0)
        a = a / (65535.0 if img.mode.startswith('I;16') else max(1e-6, float(np.abs(a).max())))
        return np.clip(a, 0, 1)[..., None]
    if img.mode in ('L', '1') and 'transparency' not in img.info:
        return np.asarray(img.convert('L'), np.float32)[..., None] / 255.0
    if img.mode == 'RGB':
        a = np.asarray(img)
        if np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]):
            return a[..., :1].astype(np.float32) / 255.0      # grey saved as RGB
    has_alpha = img.mode in ('RGBA', 'LA', 'PA', 'RGBa', 'La') or 'transparency' in img.info
    rgba = np.asarray(img.convert('RGBA'), np.float32) / 255.0
    rgb, alpha = rgba[..., :3], rgba[..., 3:]
    if has_alpha and alpha.min() < 0.5 < alpha.max():
        opaque = rgb[alpha[..., 0] >= 0.5].mean()
        background = 1.0 if opaque < 0.5 else 0.0
        rgb = rgb * alpha + background * (1 - alpha)
    return rgb


def reduce(img, size=WORK_SIZE):
    """Shrink pictures larger than `size` (area-averaging keeps thin strokes' ink)."""
    scale = max(img.size) / size
    if scale > 1:
        if img.mode in ('1', 'P'):   # Pillow resizes these by nearest pixel, losing thin lines
            img = img.convert('L' if img.mode == '1' else 'RGBA')
        img = img.resize((max(1, round(img.width / scale)), max(1, round(img.height / scale))),
                         Image.BOX)
    return img


def local_background(rgb):
    """Paper colour around each pixel.

    Small pictures (drawings, scans of one digit) have even paper: its colour
    is that of the paper's pixels (see paper_pixels).
    Photos and large pages get a median over half the picture, taken on a small
    copy: it follows smooth lighting gradients and shadows, and ink covers well
    under half of any such window.
    """
    h, w, depth = rgb.shape
    if max(h, w) <= 64:
        paper = rgb[paper_pixels(rgb.mean(axis=2))]
        return np.broadcast_to(np.median(paper, axis=0), rgb.shape)
    scale = min(1.0, 48 / max(h, w))
    small_size = (max(1, round(w * scale)), max(1, round(h * scale)))
    window = max(3, (max(small_size) // 2) | 1)
    channels = []
    for c in range(depth):
        small = Image.fromarray(np.ascontiguousarray(rgb[..., c])).resize(small_size, Image.BOX)
        # A separable median (rows, then columns): nearly the same, many times faster.
        s = ndimage.median_filter(np.asarray(small), size=(1, window), mode='reflect')
        s = ndimage.median_filter(s, size=(window, 1), mode='reflect')
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


def otsu(values):
    """Otsu's threshold of values in 0..1 (callers scale them so)."""
    # np.bincount of 256 levels: the same histogram as np.histogram, 4x faster.
    levels = np.minimum((np.ravel(values) * 256).astype(np.intp), 255)
    p = np.bincount(levels, minlength=256) / max(1, levels.size)
    omega = np.cumsum(p)
    mu = np.cumsum(p * np.arange(256) / 256)
    between = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-12)
    return int(np.argmax(between)) / 256


def ink_map(img):
    """Ink strength in 0..1 (1 = typical ink, 0 = paper), whatever the
    ink and paper colours, and the mask of the digit's strokes; both at
    the size the ink was found at: at most WORK_SIZE, QUICK_SIZE for a
    large picture that the quick look was enough for."""
    img = reduce(img)
    return quick_look(img) or full_look(img)


def full_look(img):
    """ink_map at the working size (WORK_SIZE), without the quick look."""
    return ink_of(to_array(reduce(img)))


def quick_look(img):
    """ink_map from a copy QUICK_SIZE long, when that is enough, else None.

    Most of the time preparing a large picture goes on finding its ink, in
    proportion to its pixels. A digit drawn with a broad brush on an even
    canvas is seen as well on the small copy, as long as it is still
    THICK_SCALE pixels tall there (it is brought to 20 in the end) and its
    strokes QUICK_STROKE wide. Photos (uneven paper), thin strokes and
    small digits get the full look: on a small copy their ink could fade
    below the threshold, or a shadow's edge stay while the strokes go. So
    do pictures up to 1.5 times QUICK_SIZE: too little to gain there.
    """
    if max(img.size) <= 1.5 * QUICK_SIZE:
        return None
    rgb = to_array(reduce(img, QUICK_SIZE))
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


def uneven(background):
    """Whether the paper's colour varies (shadows, a table round the sheet)."""
    return np.ptp(background, axis=(0, 1)).max() > UNEVEN


def ink_of(rgb, background=None):
    """ink_map of the picture's float array."""
    if background is None:
        background = local_background(rgb)
    distance = distance_from(rgb, background)
    t, mask = separate(distance)
    if noisy(distance, t, mask):
        rgb, distance, t, mask = less_grainy(rgb, background, distance, t, mask)
    if uneven(background):
        distance, t, mask = in_shadows(rgb, distance, stroke_width(mask))
    ink_level = np.median(distance[mask])
    floor = t / 2
    ink = np.clip((distance - floor) / max(ink_level - floor, 1e-6), 0, 1).astype(np.float32)
    return ink, mask


def less_grainy(rgb, background, distance, t, mask):
    """(rgb, distance, threshold, mask) after a 3x3 average, which evens out
    grain; or as they were, if the average faded the ink (a thin faint
    stroke on lightly grainy paper): grain joined into blotches leaves the
    ink as strong, a stroke of a pixel or two averaged away does not."""
    smooth = ndimage.uniform_filter(rgb, (3, 3, 0))
    smooth_distance = distance_from(smooth, background)
    try:
        smooth_t, smooth_mask = separate(smooth_distance)
    except ImageError:
        return rgb, distance, t, mask
    if np.median(smooth_distance[smooth_mask]) < 0.7 * np.median(distance[mask]):
        return rgb, distance, t, mask
    return smooth, smooth_distance, smooth_t, smooth_mask


def noisy(distance, t, mask):
    """Whether the picture is grainy (a photo in dim light): the paper's
    mean distance from its own colour is over NOISY of the ink's. Then
    grains pass the threshold and join into blotches round a thin stroke,
    which a 3x3 average evens out (see less_grainy).
    (Measured on every third pixel, for speed; small pictures have no grain.)"""
    if min(distance.shape) <= 64:
        return False
    sample = distance[::3, ::3]
    paper = sample[sample <= t]
    return paper.size > 0 and paper.mean() > NOISY * np.median(distance[mask])


def distance_from(rgb, paper):
    """How far each pixel's colour is from the paper's."""
    return np.sqrt(((rgb - paper) ** 2).mean(axis=2))


def separate(distance):
    """The threshold between paper and ink (Otsu's) and the mask of the
    digit's strokes."""
    if distance.max() < MIN_CONTRAST:
        raise ImageError('no digit found (the picture is blank or uniform)')
    t = max(otsu(distance / distance.max()) * distance.max(), MIN_CONTRAST / 2)
    inked = distance > t
    mask = keep_strokes(inked & ~page_lines(inked))
    if not mask.any():
        raise ImageError('no digit found (only specks or borders)')
    return t, mask


def in_shadows(rgb, distance, width):
    """Ink on paper with shadows, found again: (distance, threshold, mask).

    A median over a wide window (local_background) misses sharp edges: the
    edge of a shadow, or of the table around a photographed sheet. Filling
    in every stroke up to a few times `width` wide (a grey closing for ink
    darker than the paper, an opening for lighter) follows them, since they
    are far wider than a pen stroke. Ink is what stands out from both
    estimates of the paper; then, for dark ink, by how much relative to the
    paper's brightness there, as ink in a shadow is as dark against its
    paper as ink in the light.
    """
    size = int(min(4 * width, min(rgb.shape[:2]) / 4)) | 1
    smooth = ndimage.uniform_filter(rgb, (3, 3, 0))
    paper = ndimage.grey_closing(smooth, size=(size, size, 1), mode='nearest')
    darker = np.minimum(distance, distance_from(np.minimum(rgb, paper), paper))
    opened = ndimage.grey_opening(smooth, size=(size, size, 1), mode='nearest')
    lighter = np.minimum(distance, distance_from(np.maximum(rgb, opened), opened))
    t, mask = separate(np.maximum(darker, lighter))
    if darker[mask].sum() < lighter[mask].sum():
        return lighter, *separate(lighter)
    relative = darker / np.maximum(paper.max(axis=2), 0.2)
    return relative, *separate(relative)


def keep_strokes(mask):
    """Drop specks and page borders or ruled lines; keep the digit's pieces."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return mask
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    boxes = ndimage.find_objects(labels)
    h, w = mask.shape
    keep, loose, corner = np.zeros(n + 1, bool), np.zeros(n + 1, bool), np.zeros(n + 1, bool)
    for i, (box, size) in enumerate(zip(boxes, sizes), start=1):
        bh, bw = box[0].stop - box[0].start, box[1].stop - box[1].start
        touches = box[0].start == 0 or box[1].start == 0 or box[0].stop == h or box[1].stop == w
        line = (bw > 0.6 * w and bh < 0.1 * h) or (bh > 0.6 * h and bw < 0.1 * w)
        # A page's border; or, looser, the table showing round a photographed
        # sheet on two or three sides, or in one corner of the frame (or
        # anything else coming in there): nearly all of it near the edges.
        corner[i] = min(h, w) > 64 and (box[0].stop <= 0.3 * h or box[0].start >= 0.7 * h) \
            and (box[1].stop <= 0.3 * w or box[1].start >= 0.7 * w)
        big = bw > 0.8 * w and bh > 0.8 * h
        near = near_border(labels[box] == i, box, h, w) if touches and (big or corner[i]) else 0
        frame = near > 0.7 and bw > 0.9 * w and bh > 0.9 * h
        loose[i] = near > 0.9 and not frame
        keep[i] = not (touches and line) and not frame and not loose[i]
    # The looser frame goes only if the rest holds a tenth of its ink (a
    # squarish 0 beside a speck is the digit); something in a corner, only
    # if the rest holds half as much (a digit there beside a pen mark stays).
    keep[1:] |= loose[1:] & (sizes[keep[1:]].sum() < np.where(corner[1:], 0.5, 0.1) * sizes)
    if not keep.any():    # nothing but lines: then the lines are the digit (a 1, a 7)
        keep[1:] = True
    largest = max(sizes[i - 1] for i in range(1, n + 1) if keep[i])
    for i in range(1, n + 1):
        keep[i] &= sizes[i - 1] >= 0.08 * largest
    return keep[labels]


def page_lines(mask):
    """The straight, thin lines of the paper rather than the digit: ruled or
    squared paper, a margin line, a form's box, a canvas border.

    A candidate is a thin horizontal or vertical line: ink no thicker than
    LINE_THICKNESS of the picture's short side across it, at least a tenth
    of that side along it. It must be thin along 80% of its length, since a
    stroke that crosses it (kept whole: the ink is thick across the line
    there) is narrow, while a digit's own straight stroke, a 1 or a 7's bar,
    rarely stays that thin; counted beyond the writing if it runs past it,
    as a stroke written along the line makes it thick there (thin_along).
    It must be thinner than the writing's strokes (at most 0.6 of the rest
    of the ink's stroke width), as printed lines are thinner than a pen's:
    a digit drawn with a thin pen has thin straight strokes too (a 1, the
    base of a 2), and they must not go; unless three such lines or more run
    along the same axis (ruled or squared paper). And the rest of the ink must hold a tenth as much ink as
    the line at least: a thin 1 beside a speck of dust is the digit, not the
    dust. Whether it is the paper's, see of_the_paper. Small pictures
    (doodles, scans of one digit) have no such lines, and their 1-pixel
    strokes would all be candidates.
    """
    h, w = mask.shape
    if min(h, w) <= 64 or (span(mask.any(axis=0)) < w / 2 and span(mask.any(axis=1)) < h / 2):
        return np.zeros_like(mask)      # too small, or no ink long enough: see of_the_paper
    thin = max(2, round(LINE_THICKNESS * min(h, w)))
    runs = {0: run_lengths(mask, 0), 1: run_lengths(mask, 1)}     # 0: vertical, 1: horizontal
    long = {axis: runs[axis] >= min(h, w) // 10 for axis in (0, 1)}
    candidates = {axis: long[axis] & (runs[1 - axis] <= thin) for axis in (0, 1)}
    # A quick look first: a line of the paper is thin along a quarter of the
    # picture at least (long, and thin along most of it, if faded in places).
    axes = [axis for axis in (0, 1) if candidates[axis].any(axis=1 - axis).sum() >= mask.shape[axis] / 4]
    rest = keep_strokes(mask & ~candidates[0] & ~candidates[1]) if axes else None
    if rest is None or not rest.any():
        return np.zeros_like(mask)
    writing, ink, pen = around(rest, margin=0), rest.sum(), stroke_width(rest)
    pieces = [(axis, box, piece, piece & candidates[axis][box])
              for axis in axes for box, piece in whole_lines(long[axis], axis)]
    pieces = [p for p in pieces if p[3].sum() <= 10 * ink]
    # Three long lines or more along an axis are ruled or squared paper:
    # those need not be thinner than the pen (a ballpoint on a lined page).
    ruled = {a: sum(axis == a and box[a].stop - box[a].start >= mask.shape[a] / 2
                    for axis, box, _, _ in pieces) >= 3 for a in (0, 1)}
    pieces = [(axis, box, piece, line) for axis, box, piece, line in pieces
              if ruled[axis] or line.sum() <= 0.6 * pen * line.any(axis=1 - axis).sum()]
    paper = np.zeros_like(mask)     # the paper's lines, with where they are crossed
    for _ in range(2):              # the second time, a margin crossed by ruled lines is uncrossed
        for axis, box, piece, line in pieces:
            crossed = piece & ~line & ~paper[box]     # by strokes, or lines not the paper's
            if (thin_along(piece, line, axis, box, writing) >= 0.8
                    and of_the_paper(box, axis, writing, crossed, mask.shape)):
                paper[box] |= piece
    return paper & (candidates[0] | candidates[1])


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
    against the box of the rest of the ink (`writing`: all but the candidate
    lines; its height stands for the size of the handwriting) and where it
    is `crossed` (a mask in `box`).

    The paper's lines are long: half the picture. And they run past the
    writing at both ends, as a digit's straight strokes do not: they end
    where its other strokes are. But an open 4's
    stem may rise above the rest of the 4, so a line crossed away from its
    ends (by a 4's bar; by the digit a ruled line runs through) must run past
    by a third of the writing's height. One crossed at its ends only (a box's
    side, at its corners) needs a sixth, or to lie beside the writing (a
    ruled line above the digit, faded out where it would run past). A
    horizontal line from edge to edge 1.5 times as long as the writing is
    tall is ruled paper cropped to a number.
    """
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


def span(flags):
    """From the first True to the last, in places (0 if none)."""
    where = np.flatnonzero(flags)
    return where[-1] - where[0] + 1 if where.size else 0


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
    band_y, band_x = max(1, 0.1 * h), max(1, 0.1 * w)
    near = (ys < band_y) | (ys >= h - band_y) | (xs < band_x) | (xs >= w - band_x)
    return near.mean()


def stroke_width(mask):
    """Mean stroke width in pixels: ink area over half its outline length."""
    m = np.pad(mask, 1)
    edges = (m[1:, :] != m[:-1, :]).sum() + (m[:, 1:] != m[:, :-1]).sum()
    return 2.0 * m.sum() / max(1, edges)


def normalise_strokes(ink):
    """Bring the stroke width of a cropped digit to MNIST's: a thin pen line on
    a big canvas and a 1-pixel doodle are thickened, fat marker thinned."""
    if ink.max() <= 0:
        raise ImageError('no digit found')
    ink = ink / ink.max()   # a faint piece's strokes measured as a dark one's
    h, w = ink.shape
    width = stroke_width(ink > 0.5) * 20 / max(h, w)
    if 0.65 * MNIST_STROKE <= width <= 1.8 * MNIST_STROKE:
        return ink
    scale = THICK_SCALE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    big = np.asarray(Image.fromarray(ink).resize(size, Image.BILINEAR if scale > 1 else Image.BOX))
    # Shrinking a thin line greys it: bring its strokes back to full strength.
    big = np.clip(big / np.percentile(big[big > 0.05 * big.max()], 95), 0, 1)
    current = stroke_width(big > 0.5)
    target = MNIST_STROKE * THICK_SCALE / 20
    radius = round(abs(target - current) / 2)
    if radius == 0:
        return big
    if current < target:
        # Pad first so strokes grow outwards too, then crop to the new extent,
        # as if the digit had been written with a broader pen.
        thick = ndimage.grey_dilation(np.pad(big, radius), footprint=_disk(radius))
        return crop(thick, thick > 0.05)
    thinner = ndimage.grey_erosion(big, footprint=_disk(max(1, round((current - 1.3 * target) / 2))))
    return thinner if thinner.max() > 0.5 else big


def _disk(r):
    y, x = np.ogrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= r * r + r


def to_mnist(ink):
    """MNIST's normalisation of a cropped ink image: fit the box into 20x20
    (area-averaged, aspect kept), darkest ink to 1.0, centre of mass at the
    centre of 28x28."""
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = ink
    picture = Image.fromarray(square)
    if side < THICK_SCALE:
        # Enlarge small crops smoothly first, so a 16x16 binary scan gets
        # MNIST's anti-aliased edges instead of blocky pixels.
        picture = picture.resize((THICK_SCALE, THICK_SCALE), Image.BILINEAR)
    small = np.asarray(picture.resize((20, 20), Image.BOX), np.float32)
    small = np.clip(small, 0, None)
    if small.max() <= 0:
        raise ImageError('no digit found')
    small /= small.max()
    cy, cx = ndimage.center_of_mass(small)
    top, left = int(round(14 - cy - 0.5)), int(round(14 - cx - 0.5))
    top, left = min(max(top, 0), 8), min(max(left, 0), 8)
    out = np.zeros((28, 28), np.float32)
    out[top:top + 20, left:left + 20] = small
    # The rest of the way by a sub-pixel shift, so the same digit always lands
    # in the same place whatever its size and position in the picture.
    out = np.clip(ndimage.shift(out, (13.5 - top - cy, 13.5 - left - cx), order=1), 0, None)
    return out / out.max()


def around(mask, margin=2):
    """The box of `mask`'s strokes, widened by `margin` pixels (as slices)."""
    ys, xs = np.nonzero(mask)
    return (slice(max(0, ys.min() - margin), ys.max() + margin + 1),
            slice(max(0, xs.min() - margin), xs.max() + margin + 1))


def crop(ink, mask):
    """The ink within 2 pixels of `mask`'s strokes, cropped to the strokes."""
    box = around(mask)
    near = ndimage.binary_dilation(mask[box], iterations=2)
    return np.where(near, ink[box], 0)[around(mask[box], margin=0)]


def prepare_image(img):
    """A Pillow image -> 28x28 float32 array in 0..1, ink high (for a
    stretched scan, the digit at MNIST's median width: see prepare_widths)."""
    ink, mask = ink_map(img)
    if stretched(mask):
        return prepare_widths(ink, mask, [MNIST_ASPECTS[MEDIAN]])[0]
    return prepare_digit(ink, mask)


def imageprepare(path):
    """The 784 values (0..1, ink high) the models take, from an image file.
    (For a stretched scan, the digit at MNIST's median width; the predict
    scripts read it at five widths, see prepare_widths.)"""
    img = load_image(path)
    try:
        return prepare_image(img).reshape(784)
    except ImageError as e:
        raise ImageError(f'{path}: {e}') from None


def digit_candidates(img, single=False):
    """The digits in a picture, left to right, for reading a whole number.

    Each entry is (whole, piece): the 28x28 of one digit and, when its ink
    is wide enough to be touching digits, that ink and its mask cropped to it
    and its width over height (else None), for `cut_candidates` to cut only
    if the model's head takes it for several digits: most wide pieces are
    one digit, and preparing the parts they could be cut into would cost
    more than the digit itself.
    With `single`, all ink is one digit; so it is in a stretched scan, whose
    whole is a [5, 28, 28] stack of widths (prepare_widths).
    """
    ink, mask = ink_map(img)
    if stretched(mask):
        return [(prepare_widths(ink, mask), None)]
    if single:
        return [(prepare_digit(ink, mask), None)]
    entries = []
    for m in segment.group_digits(mask):
        box = around(m)   # all that crop() looks at: the same digit, found faster
        digit_ink, digit_mask = ink[box], m[box]
        ratio = segment.aspect(digit_mask)
        piece = ((digit_ink.copy(), digit_mask.copy(), ratio)
                 if ratio >= segment.MIN_ASPECT else None)
        entries.append((prepare_digit(digit_ink, digit_mask), piece))
    return entries


def cut_candidates(piece):
    """(parts, ways) for a piece of digit_candidates: the 28x28s of the
    parts it could be cut into and the ways to cut it (tuples of indices
    into parts, see segment.splits)."""
    ink, mask, _ = piece
    parts, ways = segment.splits(mask)
    try:
        return [prepare_digit(ink, p) for p in parts], ways
    except ImageError:   # a part too faint to prepare: then the piece stays whole
        return [], []


def prepare_digit(ink, mask):
    """The 28x28 of the ink under `mask`."""
    return to_mnist(normalise_strokes(crop(ink, mask)))


# Width over height of MNIST's training digits at its 10th, 25th, 50th, 75th
# and 90th percentiles (measured on the first 20,000, ink above 0.3).
MNIST_ASPECTS = (0.5, 0.65, 0.8, 0.9, 1.05)
MEDIAN = 2   # the index of the 50th percentile: the width shown for a stretched scan


SCAN_SIZE = 32   # size-normalised scans are small: 16x16 in Semeion and USPS


def stretched(mask):
    """Whether the picture is a size-normalised scan, as datasets such as
    Semeion and USPS store digits: a small square (at most SCAN_SIZE) with
    the ink touching all four edges. Such scans hold one digit each,
    stretched to fill the square, so a 1 comes out as wide as a 0 and the
    digit's own width is lost. A larger picture cropped to its ink (a
    user's crop of a digit or a number) keeps its own width."""
    h, w = mask.shape
    return (h == w <= SCAN_SIZE and mask[0].any() and mask[-1].any()
            and mask[:, 0].any() and mask[:, -1].any())


def prepare_widths(ink, mask, aspects=MNIST_ASPECTS):
    """For a stretched scan, a [len(aspects), 28, 28] stack: the digit at each
    of MNIST's typical widths, since its own is unknown, for the reader to
    average the model's probabilities over. Read square as stored,
    Semeion's 1s look like 7s."""
    digit = Image.fromarray(crop(ink, mask))
    return np.stack([to_mnist(normalise_strokes(np.asarray(digit.resize(
        (max(1, round(THICK_SCALE * aspect)), THICK_SCALE), Image.BILINEAR))))
        for aspect in aspects])


def shown(whole):
    """The one 28x28 of a whole to show (--save-prepared, reports): for a
    stretched scan's stack, the digit at MNIST's median width."""
    return whole[MEDIAN] if whole.ndim == 3 else whole
