"""Telling one digit from several touching ones.

A wide piece of ink may be one wide digit (a 0, a 2) or digits whose
strokes touch. The digit probabilities cannot tell the two apart: a single
digit read unsurely looks just like a squeezed pair (see the README). So
each model has a head of two logistic regressions on what the network sees
just before its last layer (model 2: the 1024 hidden features; model 1: the
pixels): `several`, the probability that a 28x28 holds more than one digit,
and `one_digit`, that a part cut from such a piece is exactly one of its
digits. They are fitted once the digits are trained, the network frozen, on
pictures made here from MNIST digits: single digits at two sizes and 2-4
digits pushed together until their strokes touch, each prepared exactly as
a picture to read is (pieces.digit_candidates), and the parts the
latter can be cut into (pieces.cut_candidates). Why: docs/design.md, Numbers.
"""
import numpy as np
from PIL import Image
from scipy import ndimage, optimize

from . import pieces
from .decode import ImageError
from .session import in_batches, load_weights


ENLARGED = 112   # MNIST's 28 px enlarged 4x: a digit written on a page
L2 = 1e-3        # the logistic regressions' weight decay, on standardised features
PARTS_SHARE = 8  # pictures whose cuts fit the second half: an eighth of --head-pictures


def inked_columns(img):
    """`img` cropped sideways to its ink."""
    columns = np.flatnonzero(img.max(axis=0) > 100)
    return img[:, columns.min():columns.max() + 1]


def enlarged(digit):
    """A 28x28 uint8 digit enlarged 4x, cropped sideways to its ink."""
    return inked_columns(np.asarray(Image.fromarray(digit).resize((ENLARGED, ENLARGED), Image.BILINEAR)))


def pushed_together(digits, rng):
    """MNIST digits (28x28 uint8, ink high) enlarged 4x side by side, each
    after the first up to 8 px higher or lower and slid left until its ink
    touches the ink before it, then 0-6 px more: black on white."""
    digits = [enlarged(d) for d in digits]
    page = np.zeros((ENLARGED + 60, sum(d.shape[1] for d in digits) + 80), np.uint8)
    page[30:30 + ENLARGED, 20:20 + digits[0].shape[1]] = digits[0]
    right = 20 + digits[0].shape[1]
    for b in digits[1:]:
        dy, closer = int(rng.integers(-8, 9)), int(rng.integers(0, 7))
        rows = slice(30 + dy, 30 + ENLARGED + dy)
        before = ndimage.binary_dilation(page > 100)
        x = right + 10
        while x > 20 and not (before[rows, x:x + b.shape[1]] & (b > 100)).any():
            x -= 1
        x -= closer
        region = page[rows, x:x + b.shape[1]]
        np.maximum(region, b, out=region)
        right = max(right, x + b.shape[1])
    return Image.fromarray(255 - page[:, :np.flatnonzero(page.max(axis=0)).max() + 30])


def single(digit, rng):
    """One MNIST digit, black on white: enlarged 4x, or as it is (28 px)
    somewhere on a small page."""
    if rng.random() < 0.5:
        return Image.fromarray(255 - np.pad(enlarged(digit), 30))
    h, w = rng.integers(40, 120, 2)
    page = np.zeros((h, w), np.uint8)
    y, x = rng.integers(0, h - 27), rng.integers(0, w - 27)
    page[y:y + 28, x:x + 28] = digit
    return Image.fromarray(255 - page)


def as_bytes(images):
    """MNIST images ([N, 784], 0..1) as [N, 28, 28] uint8."""
    return np.round(np.asarray(images).reshape(-1, 28, 28) * 255).astype(np.uint8)


def examples(images, count, rng):
    """(wholes [n, 28, 28], several [n] bool): about `count` pictures, half
    single digits, half 2-4 touching ones (mostly 2), from `images` ([N, 784],
    0..1), prepared as predict prepares them. Only pieces wide enough to be
    cut are kept, as only those are asked whether to cut (the parts of a
    cut are asked too, narrow ones included, to rank the ways); a picture
    whose digits came apart is skipped, since it is not touching digits."""
    images = as_bytes(images)
    wholes, several = [], []
    for n in range(count):
        k = 1 if n % 2 == 0 else int(rng.choice([2, 2, 2, 3, 4]))
        picks = images[rng.integers(0, len(images), k)]
        picture = single(picks[0], rng) if k == 1 else pushed_together(picks, rng)
        try:
            entries = pieces.digit_candidates(picture)
        except ImageError:
            continue
        if len(entries) == 1 and entries[0][1] is not None:
            wholes.append(entries[0][0])
            several.append(k > 1)
    return np.array(wholes, np.float32).reshape(-1, 28, 28), np.array(several, bool)


def part_examples(images, labels, count, rng, read):
    """(parts [n, 28, 28], one_digit [n] bool): the parts that `count`
    pictures of 2-4 touching digits could be cut into
    (pieces.cut_candidates), each marked as one of the digits if it
    belongs to a way of cutting that `read` (28x28s -> probabilities) reads
    as the number written: such a cut is taken to have parted the digits.
    Pictures where no way reads right are skipped: they tell nothing."""
    images = as_bytes(images)
    parts, one_digit = [], []
    for _ in range(count):
        picks = rng.integers(0, len(images), int(rng.choice([2, 2, 2, 3, 4])))
        try:
            entries = pieces.digit_candidates(pushed_together(images[picks], rng))
        except ImageError:
            continue
        if len(entries) != 1 or entries[0][1] is None:
            continue
        cut, ways = pieces.cut_candidates(entries[0][1])
        read_as = read(np.array(cut).reshape(-1, 28, 28)).argmax(axis=1)
        right = {k for way in ways if list(read_as[list(way)]) == list(labels[picks]) for k in way}
        if right:
            parts += cut
            one_digit += [k in right for k in range(len(cut))]
    return np.array(parts, np.float32).reshape(-1, 28, 28), np.array(one_digit, bool)


def fit_logistic(features, targets, l2=L2):
    """(W [F, 1], b [1]) of the logistic regression of `targets` (bool) on
    `features` [n, F], by L-BFGS; the features standardised while fitting
    (so that one L2 weight suits features of any scale) and W and b
    rescaled after, to take raw features."""
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-3
    z = (features - mean) / scale
    y = np.asarray(targets, np.float64)

    def loss_and_gradient(wb):
        w, b = wb[:-1], wb[-1]
        logits = z @ w + b
        # log(1 + e^logits) - y * logits, the cross-entropy, computed stably
        loss = np.mean(np.logaddexp(0, logits) - y * logits) + l2 / 2 * w @ w
        error = (1 / (1 + np.exp(-logits)) - y) / len(y)
        return loss, np.append(z.T @ error + l2 * w, error.sum())

    wb = optimize.minimize(loss_and_gradient, np.zeros(z.shape[1] + 1), jac=True,
                           method='L-BFGS-B', options={'maxiter': 500}).x
    w = wb[:-1] / scale
    return w[:, None].astype(np.float32), np.array([wb[-1] - mean @ w], np.float32)


def fit_head(sess, net, data, args, also=None):
    """Fit the head that tells one digit from several touching ones, and a
    part of a cut that is one digit from one that is not,
    on args.head_pictures pictures made from the training digits and the
    cuts of an eighth as many, and say how often each is right on a quarter
    as many made from the validation digits. The network's weights in
    `sess` are the finished model's; the head is put into `sess` and, if
    given, `also`."""
    rng = np.random.default_rng(args.seed)
    count = args.head_pictures

    def read(images):
        return in_batches(sess, net.probabilities, net.x, images)

    def made_from(images, labels, count):
        return (examples(images, count, rng),
                part_examples(images, labels, count // PARTS_SHARE, rng, read))

    print(f'fitting the touching-digits head on {count} pictures, and on the parts '
          f'{count // PARTS_SHARE} more of touching digits can be cut into')
    (images, several), (parts, one_digit) = made_from(*data['train'], count)
    head = fit_logistic(in_batches(sess, net.features, net.x, images), several)
    if one_digit.any() and not one_digit.all():
        head += fit_logistic(in_batches(sess, net.features, net.x, parts), one_digit)
    else:   # a model too weak to read any cut right: every part is taken for a digit
        head += (np.zeros_like(head[0]), np.array([10], np.float32))
    for s in {sess, also or sess}:
        load_weights(net.head.values(), head, s)
    (images, several), (parts, one_digit) = made_from(*data['validation'], max(100, count // 4))
    right = np.mean((in_batches(sess, net.several, net.x, images) > 0.5) == several)
    right_parts = np.sum((in_batches(sess, net.one_digit, net.x, parts) > 0.5) == one_digit)
    print(f'on pictures made from the validation digits it tells touching digits from one '
          f'in {right:.1%} of {len(several)}, and whole digits among the parts of a cut '
          f'in {right_parts} of {len(parts)}')

