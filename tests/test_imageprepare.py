"""imageprepare(): MNIST's normalisation, on synthetic images of every shape
and on the conditions real pictures bring (see tests/synth.py).

The design card's imageprepare(path) is the top-level imageprepare.py; the
rest is the package's image preparation (digits.picture, digits.ink, ...).
All tests are quick but those reading with the shipped model (model2)."""
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps
from scipy import ndimage

import synth
from conftest import mnist_dir, needs_mnist
from digits.decode import ImageError
from digits.ink import otsu
from digits.picture import prepare_image
from imageprepare import imageprepare

quick = pytest.mark.quick


def save(img, path):
    img.save(path)
    return str(path)


def bar(size, box):
    img = Image.new('L', size, 255)
    ImageDraw.Draw(img).rectangle(box, fill=0)
    return img


@quick
@pytest.mark.parametrize('size, box', [
    ((300, 60), (20, 20, 280, 40)),      # wide
    ((60, 300), (20, 20, 40, 280)),      # tall
    ((100, 100), (30, 30, 70, 70)),      # square
    ((50, 1), (5, 0, 45, 0)),            # 1 pixel high
    ((28, 28), (12, 4, 15, 23)),         # already 28x28
])
def test_shape_range_centring_ink_high(tmp_path, size, box):
    out = imageprepare(save(bar(size, box), tmp_path / 'x.png'))
    assert out.shape == (784,) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() == pytest.approx(1.0)
    img = out.reshape(28, 28)
    cy, cx = ndimage.center_of_mass(img)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1
    assert img[0].max() == 0 and img[:, 0].max() == 0 and img[-1].max() == 0 and img[:, -1].max() == 0
    ys, xs = np.nonzero(img > 0.05)
    assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 in (19, 20, 21, 22)   # fits 20x20


@quick
def test_aspect_ratio_kept(tmp_path):
    img = imageprepare(save(bar((300, 100), (20, 30, 280, 70)), tmp_path / 'x.png')).reshape(28, 28)
    ys, xs = np.nonzero(img > 0.3)
    width, height = xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    assert 18 <= width <= 21 and 2 <= height <= 6


def mnist_like(digit=7):
    """A 28x28 white-on-black digit in MNIST's own form."""
    clean = synth.clean(digit)
    return (prepare_image(clean) * 255).astype(np.uint8)


@quick
@pytest.mark.parametrize('invert', [False, True])
def test_already_mnist_is_nearly_unchanged(invert):
    a = mnist_like()
    img = Image.fromarray(255 - a if invert else a)
    out = prepare_image(img)
    assert np.corrcoef(out.ravel(), a.ravel() / 255.0)[0, 1] > 0.95


def corr(a, b):
    """Correlation after a 1-pixel blur, which forgives sub-pixel differences
    in where a stroke's edge falls (thin lines and photos are drawn thinner)."""
    blur = lambda x: ndimage.gaussian_filter(np.reshape(x, (28, 28)), 1.0).ravel()
    return np.corrcoef(blur(a), blur(b))[0, 1]


@pytest.fixture(scope='module')
def model2():
    import os
    from conftest import ROOT, load_classifier
    if not os.path.isfile(os.path.join(ROOT, 'models/model_2/checkpoint')):
        pytest.skip('no shipped model 2 in models/model_2')
    return load_classifier(2, os.path.join(ROOT, 'models/model_2'))


CONDITIONS = {
    'uncropped': lambda d, tmp: synth.uncropped(d),
    'white_on_black': lambda d, tmp: synth.white_on_black(d),
    'transparent_rgba': lambda d, tmp: synth.transparent_rgba(d),
    'exif_rotated_jpeg': lambda d, tmp: synth.exif_rotated_jpeg(d, tmp),
    'photo': lambda d, tmp: synth.photo(d, tmp),
    'shadowed_photo': lambda d, tmp: synth.shadowed_photo(d, tmp),
    'grainy_photo': lambda d, tmp: synth.grainy_photo(d, tmp),
    'sheet_on_table': lambda d, tmp: synth.sheet_on_table(d, tmp),
    'note_on_desk': lambda d, tmp: synth.note_on_desk(d, tmp),
    'table_in_a_corner': lambda d, tmp: synth.table_in_a_corner(d, tmp),
    'thin_strokes': lambda d, tmp: synth.thin_strokes(d),
    'notebook_photo': lambda d, tmp: synth.notebook_photo(d, tmp),
    'boxed': lambda d, tmp: synth.boxed(d),
    'circled': lambda d, tmp: synth.circled(d),
    'boxed_by_hand': lambda d, tmp: synth.boxed_by_hand(d),
    'palette_png': lambda d, tmp: synth.palette_png(d, tmp),
    'sixteen_bit_png': lambda d, tmp: synth.sixteen_bit_png(d, tmp),
}


def as_path(img_or_path, tmp_path, name):
    if isinstance(img_or_path, Image.Image):
        return save(img_or_path, tmp_path / f'{name}.png')
    return str(img_or_path)


@pytest.mark.parametrize('condition', sorted(CONDITIONS))
def test_condition_matches_clean_version_and_is_read(tmp_path, condition, model2):
    prepared = []
    for digit in range(10):
        reference = prepare_image(synth.clean(digit))
        path = as_path(CONDITIONS[condition](digit, str(tmp_path)), tmp_path, f'{condition}{digit}')
        prepared.append(imageprepare(path))
        assert corr(prepared[-1], reference) >= 0.85, (condition, digit)
    guesses = model2.probabilities(np.array(prepared)).argmax(axis=1)
    assert guesses.tolist() == list(range(10))


@quick
def test_transparent_canvas_is_not_a_black_page(tmp_path):
    img = synth.transparent_rgba(3)
    assert img.mode == 'RGBA' and img.getpixel((0, 0)) == (0, 0, 0, 0)
    out = imageprepare(save(img, tmp_path / 'x.png')).reshape(28, 28)
    assert out.mean() < 0.4          # ink, not background, is high


@quick
def test_blank_page_is_an_error(tmp_path):
    with pytest.raises(ImageError, match='no digit found'):
        imageprepare(save(synth.blank_page(), tmp_path / 'blank.png'))


@quick
def test_uniform_colour_is_an_error(tmp_path):
    with pytest.raises(ImageError, match='no digit found'):
        imageprepare(save(Image.new('RGB', (200, 100), (40, 90, 200)), tmp_path / 'blue.png'))


def speck_on_blank_page(size, radius, seed=0):
    """A photo of blank paper, grainy, with one round dark speck of dirt."""
    rng = np.random.default_rng(seed)
    a = np.clip(235 + rng.normal(0, 3, (size[1], size[0], 3)), 0, 255).astype(np.uint8)
    img = Image.fromarray(a)
    x, y = size[0] * 0.6, size[1] * 0.4
    ImageDraw.Draw(img).ellipse([x - radius, y - radius, x + radius, y + radius], fill=(40, 40, 40))
    return img


@quick
@pytest.mark.parametrize('size, radius', [((200, 200), 2), ((1200, 900), 4), ((1200, 900), 10), ((200, 200), 6)],
                         ids=['small_speck', 'photo_speck', 'photo_big_dot', 'full_stop_alone'])
def test_a_dot_alone_is_no_digit(tmp_path, size, radius):
    """A blank page with a speck of dirt, or a full stop alone, has no digit:
    'no digit found', as a digit and as a number, not a guess (it read 4).
    (On clean, evenly lit paper: see docs/measured.md, "A dot alone".)"""
    from digits.pieces import digit_candidates
    path = save(speck_on_blank_page(size, radius), tmp_path / 'speck.jpg')
    with pytest.raises(ImageError, match='only specks'):
        imageprepare(path)
    with pytest.raises(ImageError, match='only specks'):
        digit_candidates(Image.open(path))


def bold_digit_on_page(digit, height, pen, page):
    """A digit whose ink is `height` px tall, written with a round pen `pen`
    px wide (none of it cut off), on a white page of size `page`."""
    side = height + 2 * pen + 10
    img = synth.draw_digit(digit, size=side, width=pen, margin=(side - height + pen) / (2 * side))
    out = Image.new('L', page, 255)
    out.paste(img.convert('L'), (int(page[0] * 0.4), int(page[1] * 0.25)))
    return out


@quick
@pytest.mark.parametrize('digit, height, pen, page', [
    (8, 48, 16, (560, 280)),     # the drawing page's canvas and default pen: 3.0 pen widths long
    (8, 60, 20, (700, 700)),     # small in the page, 3.1
    (0, 60, 20, (700, 700)),     # 3.7
])
def test_a_small_bold_digit_is_not_a_dot(tmp_path, digit, height, pen, page):
    """The dot rule leaves small, very bold digits alone: a dot is both
    under 3 stroke widths long and under a tenth of the page."""
    out = imageprepare(save(bold_digit_on_page(digit, height, pen, page), tmp_path / 'bold.png'))
    assert np.asarray(out).size == 784


@quick
def test_specks_and_border_are_ignored(tmp_path):
    page = synth.uncropped(4).convert('L')
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, page.width - 1, page.height - 1), outline=0, width=4)   # page border
    rng = np.random.default_rng(0)
    for x, y in rng.integers(10, min(page.size) - 10, (15, 2)):
        draw.point((int(x), int(y)), fill=0)                                       # dust
    assert corr(imageprepare(save(page, tmp_path / 'x.png')), prepare_image(synth.clean(4))) >= 0.9


@quick
def test_missing_file():
    with pytest.raises(ImageError, match='no such file'):
        imageprepare('does/not/exist.png')


@quick
@pytest.mark.parametrize('invert', [False, True])
@pytest.mark.parametrize('digit', [0, 8])
def test_tight_crop_of_a_bold_digit(invert, digit):
    """Cropped to its ink, a bold digit can cover more of the picture than the
    paper does; it must still be read as ink, in either polarity."""
    img = synth.draw_digit(digit, size=48, width=12, margin=0.0).convert('L')
    img = img.crop(Image.eval(img, lambda v: 255 - v).getbbox())
    if invert:
        img = Image.eval(img, lambda v: 255 - v)
    ink = np.asarray(img) < 128 if not invert else np.asarray(img) >= 128
    assert ink.mean() > 0.5          # the case the test is about
    assert corr(prepare_image(img), prepare_image(synth.clean(digit))) >= 0.85


@quick
def test_digit_filling_a_tight_crop_is_not_a_frame():
    """A thin 0 touching all four edges looks like a page border at first
    sight; it must be kept, and a speck inside it dropped."""
    img = synth.draw_digit(0, size=60, width=3, margin=0.0).convert('L')
    img = img.crop(Image.eval(img, lambda v: 255 - v).getbbox())
    ImageDraw.Draw(img).point([(img.width // 2, img.height // 2)], fill=0)   # a speck
    assert corr(prepare_image(img), prepare_image(synth.clean(0))) >= 0.85


@quick
def test_a_one_at_the_edge_of_a_tight_crop_is_kept_a_border_is_not():
    """In a number cropped tight (a cheque's amount), a 1 may touch the
    bottom edge: it is long and thin like a border, but away from the side it
    runs along or slanted; a straight line along the side is a border."""
    from digits.clean import keep_strokes
    mask = np.zeros((50, 160), bool)
    mask[10:50, 60:64] = True                                   # an upright 1 mid-picture, touching the bottom
    for y in range(12, 50):                                      # a slanted 1 near the left edge
        mask[y, 18 - (y - 12) // 4:22 - (y - 12) // 4] = True
    mask[15:35, 90:110] = True                                   # the rest of the number
    mask[0:50, 156:159] = True                                   # the picture's border on the right
    mask[0:50, 35:37] = True                                     # a notebook's margin, top to bottom
    kept = keep_strokes(mask)
    assert kept[10:50, 60:64].all() and kept[12:50, 9:22].sum() == mask[12:50, 9:22].sum()
    assert not kept[:, 156:159].any() and not kept[:, 35:37].any() and kept[15:35, 90:110].all()


@quick
def test_otsu_threshold_is_the_histogram_one():
    """otsu counts levels with np.bincount: check it against the textbook
    version with np.histogram, on random and two-tone values."""
    def textbook(values):
        hist, edges = np.histogram(values, bins=256, range=(0, 1))
        p = hist / hist.sum()
        omega, mu = np.cumsum(p), np.cumsum(p * edges[:-1])
        between = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-12)
        return edges[int(np.argmax(between))]

    rng = np.random.default_rng(0)
    for _ in range(50):
        paper, ink = rng.normal(0.1, 0.05, 3000), rng.normal(rng.uniform(0.4, 0.9), 0.1, 500)
        values = np.clip(np.concatenate([paper, ink]), 0, 1).astype(np.float32)
        assert otsu(values) == pytest.approx(textbook(values))
        assert 0.1 < otsu(values) < values[3000:].mean()


def stretched_scan(digit, size=16):
    """A digit as Semeion and USPS store them: its ink box stretched to fill
    a small square, then thresholded to black and white."""
    ys, xs = np.nonzero(digit > 0.3)
    crop = Image.fromarray(((1 - digit[ys.min():ys.max() + 1, xs.min():xs.max() + 1]) * 255).astype(np.uint8))
    return crop.resize((size, size), Image.BILINEAR).point(lambda v: 255 if v > 200 else 0)


@needs_mnist
def test_stretched_scans_are_read_at_mnists_widths(model2):
    """A scan stretched to its square has lost the digit's width (a 1 comes
    out as wide as a 0): reading it averaged over MNIST's typical widths is
    right more often than reading it square as stored."""
    from digits import ink, normalise, pieces
    from digits.data import load
    from digits.reading import read_all
    images, labels = load(mnist_dir())['test']
    scans = [stretched_scan(d) for d in images[:500].reshape(-1, 28, 28)]
    masks = [ink.ink_map(s) for s in scans]
    stretched = [normalise.stretched(m) for _, m in masks]
    assert sum(stretched) >= 480
    as_stored = model2.probabilities(np.array([normalise.prepare_digit(*im) for im in masks])).argmax(1)
    read = read_all(model2, [pieces.digit_candidates(s) for s in scans])
    averaged = np.array([digits[0][1].argmax() for digits in read])
    # A stretched scan is one digit (the few not found stretched take the
    # number path, where a wide one may be cut)
    assert all(len(digits) == 1 and digits[0][0].shape == (28, 28)
               for digits, scan in zip(read, stretched) if scan)
    assert (averaged == labels[:500]).mean() >= (as_stored == labels[:500]).mean() + 0.01


@quick
def test_only_a_small_square_filled_to_its_edges_counts_as_stretched():
    from digits import normalise
    filled = np.ones((16, 16), bool)
    filled[4:12, 4:12] = False
    assert normalise.stretched(filled)
    assert not normalise.stretched(filled[:, :12])       # a tight crop keeps its width
    assert not normalise.stretched(np.pad(filled, 2))    # a margin: nothing was stretched
    assert not normalise.stretched(np.kron(filled, np.ones((4, 4), bool)))   # 64x64: a crop


@quick
def test_a_number_filling_a_square_crop_is_still_a_number():
    img = Image.new('L', (64, 64), 255)
    draw = ImageDraw.Draw(img)
    for x in (4, 59):   # 11, each 1 with a foot, the ink touching all four edges
        draw.line([(x, 0), (x, 63)], fill=0, width=8)
        draw.line([(x - 4, 60), (x + 4, 60)], fill=0, width=4)
    from digits import pieces
    assert [whole.shape for whole, _ in pieces.digit_candidates(img)] == [(28, 28)] * 2


@quick
@needs_mnist
def test_mnist_aspects_are_mnists_percentiles():
    """MNIST_ASPECTS are the 10th-90th percentiles of MNIST's own digits'
    width over height, as their comment says, not values fitted to a dev set."""
    from digits import normalise
    from digits.data import load
    images = load(mnist_dir())['train'][0][:20000].reshape(-1, 28, 28) > 0.3
    rows, cols = images.any(axis=2), images.any(axis=1)
    extent = lambda m: m.shape[1] - m[:, ::-1].argmax(axis=1) - m.argmax(axis=1)
    aspects = extent(cols) / extent(rows)
    assert np.allclose(np.percentile(aspects, [10, 25, 50, 75, 90]), normalise.MNIST_ASPECTS, atol=0.01)


# Digits drawn with straight, thin, exactly horizontal and vertical strokes
# (a paint program's line tool): (x0, y0, x1, y1) in a 100x100 box.
STRAIGHT_DIGITS = {
    'open 4': [(30, 10, 20, 60), (20, 60, 80, 60), (65, 0, 65, 100)],
    'open 4, stem well above': [(35, 25, 20, 60), (20, 60, 80, 60), (65, 0, 65, 100)],
    '9 with a straight stem': [(70, 0, 20, 0), (20, 0, 20, 40), (20, 40, 70, 40), (70, 0, 70, 100)],
    '7': [(10, 0, 90, 0), (90, 0, 40, 100)],
    '1 with flag and base': [(50, 0, 50, 100), (50, 0, 30, 20), (30, 100, 70, 100)],
    '5 with a detached bar': [(30, 0, 85, 0), (30, 8, 25, 45), (25, 45, 75, 60), (75, 60, 60, 95),
                              (60, 95, 20, 90)],
}


def straight_digit(strokes, size, scale, offset, width=3):
    img = Image.new('L', size, 0)
    draw = ImageDraw.Draw(img)
    for x0, y0, x1, y1 in strokes:
        draw.line([(offset[0] + scale * x0, offset[1] + scale * y0),
                   (offset[0] + scale * x1, offset[1] + scale * y1)], fill=255, width=width)
    return np.asarray(img) > 127


@quick
@pytest.mark.parametrize('name', sorted(STRAIGHT_DIGITS))
@pytest.mark.parametrize('size, scale, offset', [
    ((400, 400), 2.0, (100, 100)),       # on a canvas
    ((202, 202), 2.0, (1, 1)),           # cropped tight
    ((600, 300), 2.5, (200, 25)),        # on a wide page
])
@pytest.mark.parametrize('width', [2, 3])
def test_a_digits_straight_strokes_are_not_page_lines(name, size, scale, offset, width):
    from digits.clean import page_lines
    mask = straight_digit(STRAIGHT_DIGITS[name], size, scale, offset, width)
    assert not page_lines(mask).any()


# Numbers drawn with a thin pen, straight strokes: (x0, y0, x1, y1) on 400x300.
STRAIGHT_NUMBERS = {
    '14': [(100, 60, 100, 260), (250, 60, 180, 190), (180, 190, 290, 190), (260, 60, 260, 260)],
    '17': [(100, 60, 100, 260), (160, 60, 280, 60), (280, 60, 200, 260)],
    '71': [(60, 60, 180, 60), (180, 60, 100, 260), (260, 60, 260, 260)],
    '41': [(90, 80, 70, 190), (70, 190, 170, 190), (150, 60, 150, 260), (260, 60, 260, 260)],
    '222': [(x + dx, y0, x + dx1, y1) for x in (0, 130, 260) for dx, y0, dx1, y1 in
            [(20, 60, 50, 40), (50, 40, 80, 60), (80, 60, 15, 140), (15, 140, 85, 140)]],
    '777': [(x + dx, y0, x + dx1, y1) for x in (0, 130, 260) for dx, y0, dx1, y1 in
            [(10, 40, 90, 40), (90, 40, 40, 140)]],
}


@quick
@pytest.mark.parametrize('name', sorted(STRAIGHT_NUMBERS))
@pytest.mark.parametrize('tight', [False, True])
@pytest.mark.parametrize('width', [2, 3])
def test_a_numbers_straight_strokes_are_not_page_lines(name, tight, width):
    from digits.clean import page_lines
    from digits.masks import around
    mask = straight_digit(STRAIGHT_NUMBERS[name], (400, 300), 1.0, (0, 0), width)
    if tight:
        mask = mask[around(mask, margin=0)]
    assert not page_lines(mask).any()


def ruled_page(draw):
    for y in range(30, 450, 40):
        draw.line((0, y, 600, y + 6), fill=255, width=2)          # slightly tilted
    draw.line((60, 0, 60, 450), fill=255, width=2)               # margin


def squared_page(draw):
    for x in range(10, 600, 30):
        draw.line((x, 0, x, 450), fill=255, width=1)
    for y in range(10, 450, 30):
        draw.line((0, y, 600, y), fill=255, width=1)


def form_box(draw):
    draw.rectangle((150, 20, 500, 430), outline=255, width=3)


@quick
@pytest.mark.parametrize('paper', [ruled_page, squared_page, form_box])
def test_page_lines_are_found_and_the_strokes_crossing_them_kept(paper):
    from digits.clean import page_lines
    digit = straight_digit([(30, 0, 45, 100), (45, 100, 80, 60)], (600, 450), 1.6, (240, 140), width=8)
    page = Image.new('L', (600, 450), 0)
    paper(ImageDraw.Draw(page))
    lines = np.asarray(page) > 127
    found = page_lines(lines | digit)
    assert (found & digit).sum() <= 0.01 * digit.sum()      # a stroke's tip on a line, at most
    away = lines & ~ndimage.binary_dilation(digit, iterations=3)   # not where they cross
    assert (found & away).sum() >= 0.95 * away.sum()


def form_cells(draw, ticks, line):
    """A form's row of five cells, 100x140, on 600x250: rails and walls, or
    (`ticks`) the baseline and ticks rising a third of the way."""
    draw.line((50, 200, 550, 200), fill=255, width=line)
    if not ticks:
        draw.line((50, 60, 550, 60), fill=255, width=line)
    for x in range(50, 551, 100):
        draw.line((x, 155 if ticks else 60, x, 200), fill=255, width=line)


@quick
@pytest.mark.parametrize('ticks, line', [(False, 2), (False, 6), (True, 2), (True, 6)])
def test_a_forms_cells_are_page_lines(ticks, line):
    from digits.clean import page_lines
    digits = straight_digit([(x, 80, x + 10, 180) for x in range(90, 500, 100)]       # five 1s
                            + [(270, 80, 330, 80), (330, 80, 290, 180)], (600, 250), 1.0, (0, 0), width=8)
    page = Image.new('L', (600, 250), 0)
    form_cells(ImageDraw.Draw(page), ticks, line)
    lines = np.asarray(page) > 127
    found = page_lines(lines | digits)
    assert (found & digits).sum() == 0
    assert (found & lines).sum() >= 0.95 * lines.sum()


# Upright strokes standing on an underline, on 600x250: (x0, y0, x1, y1).
ON_AN_UNDERLINE = {
    '111, uneven tops': [(100, 60, 100, 198), (250, 75, 250, 198), (400, 90, 400, 198)],
    '1111, even tops': [(x, 60, x, 198) for x in (100, 220, 340, 460)],
    '1414, even tops': [(100, 60, 100, 198), (250, 60, 250, 198), (250, 60, 190, 150), (190, 150, 280, 150),
                        (340, 60, 340, 198), (490, 60, 490, 198), (490, 60, 430, 150), (430, 150, 520, 150)],
}


@quick
@pytest.mark.parametrize('name', sorted(ON_AN_UNDERLINE))
@pytest.mark.parametrize('width', [4, 6])
@pytest.mark.parametrize('ruled', [False, True])
def test_upright_strokes_on_an_underline_are_kept(name, width, ruled):
    """Upright 1s and 4s' stems standing on an underline are no form's
    ticks: ticks rise less than half the ink's height (TICK), and a
    handwritten row's tops seldom end within WALLS_EVEN of each other.
    Nor, on ruled paper, from line to line, a comb field's walls: those
    are as thick as its rails, and a pen is not a printer's."""
    from digits.clean import page_lines
    strokes = straight_digit(ON_AN_UNDERLINE[name], (600, 250), 1.0, (0, 0), width=width)
    lines = straight_digit([(0, 199, 600, 199)] + [(0, 59, 600, 59)] * ruled, (600, 250), 1.0, (0, 0), width=2)
    assert not (page_lines(strokes | lines) & strokes & ~lines).any()


@quick
@pytest.mark.parametrize('shape', ['ellipse', 'box'])
@pytest.mark.parametrize('room', [5, 40, 100])
def test_a_circle_or_box_drawn_round_a_number_is_left_out(shape, room):
    from digits.ink import ink_map
    from digits.pieces import digit_candidates
    img = synth.drawn_round('2026', shape, room=room)
    ink, mask = ink_map(img)
    scale = ink.shape[1] / img.width
    edge = int(np.ceil(25 * scale))        # the shape's pen, 10 px from the picture's sides
    assert not mask[:, :edge].any() and not mask[:, -edge:].any()
    assert ink[:, :edge].max() == 0 and ink[:, -edge:].max() == 0     # wiped from the number's ink too
    assert len(digit_candidates(img)) == 4


@quick
def test_digits_circled_one_by_one_are_left_without_their_circles():
    from digits.ink import ink_map
    from digits.pieces import pieces
    inks = [255 - np.asarray(synth.circled(d).convert('L')) for d in (1, 2, 7)]
    ink, mask = ink_map(synth.side_by_side(inks, 20))
    assert len(pieces(mask)) == 3 and not mask[:, :ink.shape[1] // 60].any()


def ring(size, pen):
    """A mask: an ellipse `pen` px thick filling a (h, w) picture."""
    img = Image.new('L', size[::-1], 0)
    ImageDraw.Draw(img).ellipse((2, 2, size[1] - 3, size[0] - 3), outline=255, width=pen)
    return np.asarray(img) > 127


@quick
def test_a_digits_loop_holding_a_dot_or_grey_encloses_nothing():
    from digits.clean import enclosures, label_pieces
    dotted = ring((120, 90), 12)               # a dotted 0
    dotted[55:65, 40:50] = True
    sliver = ring((120, 90), 22)               # a bold 0, grey left in its narrow hole
    sliver[40:80, 29:32] = True
    drawn = ring((240, 180), 10)               # a 1 with a circle drawn round it
    one = drawn.copy()
    one[60:180, 85:95] = True
    for mask, encloses in ((dotted, False), (sliver, False), (one, True)):
        assert (enclosures(mask, label_pieces(mask)) == (drawn if encloses else False)).all()


def marked_zero(mark):
    """A 0 (ink high, cropped) with a slash or a dot inside, not touching it."""
    zero = synth.draw_digit(0, size=200, width=12, ink=255, paper=0, margin=0.15)
    draw = ImageDraw.Draw(zero)
    if mark == 'slash':
        draw.line((112, 62, 88, 138), fill=255, width=11)
    else:
        draw.ellipse((92, 88, 108, 112), fill=255)
    ink = np.asarray(zero.convert('L'))
    ys, xs = np.nonzero(ink > 127)
    return ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


@quick
@pytest.mark.parametrize('mark', ['slash', 'dot'])
def test_a_slashed_or_dotted_0_among_digits_is_kept(mark):
    # Alone, a 0 round a long slash is a circled 1 as much as a slashed 0;
    # beside digits as tall, it is one of them.
    from digits.ink import ink_map
    from digits.pieces import pieces
    one = np.asarray(synth.draw_digit(1, size=200, width=12, ink=255, paper=0, margin=0.15).convert('L'))
    ys, xs = np.nonzero(one > 127)
    img = synth.side_by_side([one[ys.min():ys.max() + 1, xs.min():xs.max() + 1]] + [marked_zero(mark)] * 3, 30)
    heights = [y1 - y0 for _, _, y0, y1, _ in pieces(ink_map(img)[1])]
    assert sum(h >= 0.8 * max(heights) for h in heights) == 4     # the 1 and the three 0s


@quick
def test_a_1_written_along_a_squared_papers_line_is_kept():
    """The line through the 1 is as thick as the 1 there; it used to count
    as a digit's own stroke (thin along too little of it), so it stayed,
    and the 1 went with it as a line along the whole picture."""
    from digits.ink import full_look
    page = Image.new('L', (500, 500), 255)
    draw = ImageDraw.Draw(page)
    for x in range(13, 500, 30):
        draw.line((x, 0, x, 500), fill=170, width=2)
        draw.line((0, x, 500, x), fill=170, width=2)
    draw.line((253, 150, 253, 350), fill=30, width=24)           # the 1, on the line at x=253
    _, mask = full_look(page.convert('RGB'))    # not quick_look's small copy
    ys, xs = np.nonzero(mask)
    assert 140 <= ys.min() and ys.max() <= 360 and 230 <= xs.min() and xs.max() <= 276


@quick
def test_a_thin_1_beside_a_speck_is_the_digit():
    from digits.clean import page_lines
    mask = straight_digit([(50, 0, 50, 100)], (600, 450), 3.0, (150, 75), width=3)
    mask[100:104, 420:424] = True      # dust
    assert not page_lines(mask).any()


@quick
def test_dashes_along_the_papers_lines_are_not_the_writing():
    """What uneven light leaves of a ruled line, dashes lying along it, is
    dropped (ink.off_the_lines); a digit crossing the line is kept, and if
    nothing but dashes is left, they are."""
    from digits.ink import off_the_lines, thin_parts
    lines = np.zeros((100, 200), bool)
    lines[40:42] = True
    mask = np.zeros_like(lines)
    mask[40:42, 10:30] = mask[39:42, 60:75] = True              # dashes, one a pixel thicker
    mask[25:60, 120:124] = True                                  # a 1 crossing the line
    kept = off_the_lines(mask, lines)
    assert not kept[:, :100].any() and kept[25:60, 120:124].all()
    dashes = mask.copy()
    dashes[:, 100:] = False
    assert np.array_equal(off_the_lines(dashes, lines), dashes)
    assert np.array_equal(off_the_lines(mask, np.zeros_like(lines)), mask)
    card = np.zeros_like(lines)                  # a bright card taken whole for the paper's lines
    card[20:80, 50:150] = True
    ones = np.zeros_like(lines)
    ones[30:70, 52:55] = ones[30:70, 160:163] = True     # a 1 written 2 px from its edge, one beside it
    assert np.array_equal(off_the_lines(ones, thin_parts(card)), ones)


@quick
def test_ruled_lines_as_thick_as_a_ballpoint_are_found():
    from digits.clean import page_lines
    digit = straight_digit([(30, 0, 45, 100), (45, 100, 80, 60)], (640, 480), 1.6, (260, 150), width=4)
    page = Image.new('L', (640, 480), 0)
    draw = ImageDraw.Draw(page)
    for y in range(40, 480, 70):
        draw.line((0, y, 640, y), fill=255, width=3)
    lines = np.asarray(page) > 127
    found = page_lines(lines | digit)
    away = lines & ~ndimage.binary_dilation(digit, iterations=3)
    assert (found & away).sum() >= 0.95 * away.sum()
    assert (found & digit).sum() <= 0.01 * digit.sum()


@quick
def test_a_squarish_0_filling_the_picture_beside_a_speck_is_kept():
    from digits.clean import keep_strokes
    img = Image.new('L', (200, 200), 0)
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((12, 0, 187, 199), radius=30, outline=255, width=4)
    draw.rectangle((100, 100, 102, 102), fill=255)     # a speck
    mask = np.asarray(img) > 127
    kept = keep_strokes(mask)
    assert kept[:, :50].sum() >= 0.9 * mask[:, :50].sum()


def prepared_by_full_look(img):
    """prepare_image without the quick look (digits.ink.quick_look)."""
    from digits.ink import full_look
    from digits.normalise import prepare_digit
    return prepare_digit(*full_look(img))


@quick
@pytest.mark.parametrize('digit', range(10))
def test_a_large_broad_brush_drawing_is_read_from_a_small_copy(digit):
    from digits.ink import QUICK_SIZE, ink_map, quick_look
    img = synth.draw_digit(digit, size=(700, 500), width=36, margin=0.15)
    assert quick_look(img) is not None
    assert max(ink_map(img)[1].shape) == QUICK_SIZE     # the path every picture takes uses it
    assert corr(prepare_image(img), prepared_by_full_look(img)) >= 0.97


FULL_LOOK = {
    'thin pen': lambda d, tmp: synth.draw_digit(d, size=600, width=4, margin=0.15),
    'small digit': lambda d, tmp: synth.draw_digit(d, size=(1200, 900), width=36, margin=0.4),
    'uneven paper': lambda d, tmp: Image.open(synth.shadowed_photo(d, tmp)),
    'at most 1.5 times the copy': lambda d, tmp: synth.draw_digit(d, size=290, width=20),
}


@quick
@pytest.mark.parametrize('name', sorted(FULL_LOOK))
def test_thin_strokes_small_digits_and_photos_get_the_full_look(tmp_path, name):
    from digits.ink import quick_look
    for digit in (0, 4, 8):
        assert quick_look(FULL_LOOK[name](digit, str(tmp_path))) is None, (name, digit)


@quick
def test_a_small_digit_alone_at_the_edge_is_kept():
    """Ink nearly all within the picture's edges is dropped as the table in
    a corner or a finger only when there is writing elsewhere."""
    from digits.ink import ink_map
    img = synth.draw_digit(7, size=400, width=6, margin=0.45, offset=(-182, -182))
    ImageDraw.Draw(img).rectangle((200, 200, 202, 202), fill=0)     # and a speck of dust
    _, mask = ink_map(img)
    ys, xs = np.nonzero(mask)
    assert ys.min() == 0 or xs.min() == 0       # the 7, at the edge
    assert ys.max() < 100 and xs.max() < 100    # not the speck


@quick
def test_a_number_touching_the_pictures_side_keeps_its_last_digit():
    """Only what lies in a corner of the frame is taken for the table there:
    a number's last digit touching the side of a loose crop stays."""
    from digits.pieces import digit_candidates
    page = Image.new('RGB', (400, 300), 'white')
    for digit, x in ((3, 250), (8, None)):
        drawn = synth.draw_digit(digit, size=60, width=6, margin=0.1)
        drawn = drawn.crop(ImageOps.invert(drawn.convert('L')).getbbox())
        page.paste(drawn, (400 - drawn.width + 3 if x is None else x, 125))   # the 8 cut by the edge
    assert len(digit_candidates(page)) == 2


@pytest.mark.parametrize('digit', [1, 3, 7])
def test_a_faint_thin_line_on_lightly_grainy_paper_is_still_found(digit, model2):
    """A 1 px line of little contrast (0.1) on paper with a little grain: the
    grain is strong against the ink, but a 3x3 average would fade the line
    below the threshold, so the picture is read as it is."""
    m = np.asarray(synth.draw_digit(digit, size=(600, 450), width=1, ink=255, paper=0, margin=0.2),
                   np.float32)[..., None] / 255
    grey = 0.85 - 0.1 * m + np.random.default_rng(digit).normal(0, 0.01, (450, 600, 3))
    img = Image.fromarray(np.clip(grey * 255, 0, 255).astype(np.uint8))
    assert model2.probabilities(prepare_image(img)[None]).argmax() == digit
