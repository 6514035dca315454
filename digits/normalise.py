"""Bring a digit's ink to MNIST's form: its stroke width, then MNIST's own normalisation.

ink [h, w] float in 0..1 and mask [h, w] bool, cropped to one digit ->
28x28 float32 in 0..1, ink high: box into 20x20 (area-averaged, aspect
kept), darkest ink 1.0, centre of mass at the centre. Why: docs/design.md,
steps 4-6.
"""
import numpy as np
from PIL import Image
from scipy import ndimage

from .decode import ImageError
from .masks import THICK_SCALE, crop, stroke_width


MNIST_STROKE = 1.9       # median stroke width of MNIST digits in their 20x20 box
STROKE_RANGE = 0.65, 1.8   # widths within this range of MNIST_STROKE are left alone
THINNED = 1.3            # fat strokes are thinned to about this many times MNIST_STROKE
# Width over height of MNIST's training digits at its 10th, 25th, 50th, 75th
# and 90th percentiles (measured on the first 20,000, ink above 0.3).
MNIST_ASPECTS = (0.5, 0.65, 0.8, 0.9, 1.05)
MEDIAN = 2   # the index of the 50th percentile: the width shown for a stretched scan
SCAN_SIZE = 32   # size-normalised scans are small: 16x16 in Semeion and USPS


def normalise_strokes(ink):
    """Bring the stroke width of a cropped digit to MNIST's: a thin pen line on
    a big canvas and a 1-pixel doodle are thickened, fat marker thinned."""
    if ink.max() <= 0:
        raise ImageError('no digit found')
    ink = ink / ink.max()   # a faint piece's strokes measured as a dark one's
    h, w = ink.shape
    width = stroke_width(ink > 0.5) * 20 / max(h, w)
    if STROKE_RANGE[0] * MNIST_STROKE <= width <= STROKE_RANGE[1] * MNIST_STROKE:
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
    thinner = ndimage.grey_erosion(big, footprint=_disk(max(1, round((current - THINNED * target) / 2))))
    return thinner if thinner.max() > 0.5 else big


def _disk(r):
    y, x = np.ogrid[-r:r + 1, -r:r + 1]
    return x * x + y * y <= r * r + r


def boxed(ink, enlarge=True):
    """A cropped ink image's box fitted into 20x20 (area-averaged, aspect
    kept, centred), darkest ink 1.0: MNIST's first step, shared by
    to_mnist and lines.digit_at (which passes enlarge=False: a line image
    is smooth already, and the step would double its cost)."""
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = ink
    picture = Image.fromarray(square)
    if enlarge and side < THICK_SCALE:
        # Enlarge small crops smoothly first, so a 16x16 binary scan gets
        # MNIST's anti-aliased edges instead of blocky pixels.
        picture = picture.resize((THICK_SCALE, THICK_SCALE), Image.BILINEAR)
    small = np.asarray(picture.resize((20, 20), Image.BOX), np.float32)
    small = np.clip(small, 0, None)
    if small.max() <= 0:
        raise ImageError('no digit found')
    return small / small.max()


def to_mnist(ink):
    """MNIST's normalisation of a cropped ink image: fit the box into 20x20
    (boxed), then its centre of mass at the centre of 28x28."""
    small = boxed(ink)
    cy, cx = ndimage.center_of_mass(small)
    top, left = int(round(14 - cy - 0.5)), int(round(14 - cx - 0.5))
    top, left = min(max(top, 0), 8), min(max(left, 0), 8)
    out = np.zeros((28, 28), np.float32)
    out[top:top + 20, left:left + 20] = small
    # The rest of the way by a sub-pixel shift, so the same digit always lands
    # in the same place whatever its size and position in the picture.
    out = np.clip(ndimage.shift(out, (13.5 - top - cy, 13.5 - left - cx), order=1), 0, None)
    return out / out.max()


def prepare_digit(ink, mask):
    """The 28x28 of the ink under `mask`."""
    return to_mnist(normalise_strokes(crop(ink, mask)))


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
