"""digits.rows: a page with numbers written one under another is cut into
its rows; one number, however its pen skipped or whatever marks it has,
stays one row."""
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

import synth
from digits.ink import ink_map
from digits.pieces import Candidates, Page, digit_candidates, pieces, rows_of_pieces, upright
from digits.rows import side_by_side

pytestmark = pytest.mark.quick


def mask_of(img):
    return ink_map(img)[1]


def split_rows(mask):
    """The masks of the rows of writing in `mask` (pieces.rows_of_pieces)."""
    return [np.logical_or.reduce([p[4] for p in row]) for row in rows_of_pieces(pieces(mask))]


def rows_span(rows):
    """(first, last) inked row of each row mask."""
    return [tuple(np.flatnonzero(r.any(axis=1))[[0, -1]]) for r in rows]


def test_numbers_one_under_another_are_cut_into_their_rows():
    mask = mask_of(synth.rows(['4071', '2385', '19']))
    rows = split_rows(mask)
    assert len(rows) == 3
    spans = rows_span(rows)
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:])), spans      # top to bottom, apart
    assert (np.logical_or.reduce(rows) == mask).all()                     # no ink lost or shared
    assert sum(r.sum() for r in rows) == mask.sum()


def test_a_page_of_rows_gives_each_row_its_own_digits_and_line():
    page = digit_candidates(synth.rows(['305', '72']))
    assert isinstance(page, Page) and [len(row) for row in page] == [3, 2]
    assert all(isinstance(row, Candidates) and row.line is not None for row in page)


@pytest.mark.parametrize('texts', [['6483', '71256'], ['943', '3030', '75689'], ['59', '7924']])
def test_numbers_written_joined_up_one_under_another_are_rows(texts):
    # Each row's digits all touch: one piece, so no row holds pieces side
    # by side, yet each is a row of digits, not a flourish under another.
    mask = mask_of(synth.rows(texts, touching=True))
    assert [len(pieces(row)) for row in split_rows(mask)] == [1] * len(texts)
    assert [upright(m[y0:y1, x0:x1]) for x0, x1, y0, y1, m in pieces(mask)] == [True] * len(texts)


def test_a_number_apart_over_one_joined_up_are_two_rows():
    top, bottom = number_mask('4071'), mask_of(synth.number('2385', touching=True))
    ys, xs = np.nonzero(bottom)
    bottom = bottom[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    assert len(split_rows(one_under_another(top, bottom, gap=top.shape[0] // 3))) == 2
    assert len(split_rows(one_under_another(bottom, top, gap=top.shape[0] // 3))) == 2


def test_one_number_on_a_dashed_line_stays_one_row():
    img = synth.number('1990')
    w, h = img.size
    draw = ImageDraw.Draw(img)
    for x in range(20, w - 60, 90):                   # the dashed line of a form, below the number
        draw.line((x, h - 14, x + 60, h - 14), fill=(0, 0, 0), width=8)
    assert mask_of(img)[-15:].any()                   # the dashes are kept, not dropped as specks
    assert len(split_rows(mask_of(img))) == 1


def test_one_number_stays_one_row_with_its_underline_dot_and_dash():
    img = synth.number('1990')
    draw = ImageDraw.Draw(img)
    w, h = img.size
    draw.line((20, h - 12, w - 20, h - 12), fill=(0, 0, 0), width=6)     # underlined, a gap above
    draw.ellipse((w - 30, h // 2 - 4, w - 22, h // 2 + 4), fill=(0, 0, 0))   # a dot after it
    draw.line((5, 20, w // 2, 20), fill=(0, 0, 0), width=4)              # a box's edge above
    mask = mask_of(img)
    assert len(split_rows(mask)) == 1
    assert isinstance(digit_candidates(img), Candidates)


def one_under_another(top, bottom, gap):
    """A mask with `top` above `bottom` (masks), `gap` blank rows between, and a margin."""
    page = np.zeros((top.shape[0] + gap + bottom.shape[0] + 20, max(top.shape[1], bottom.shape[1]) + 20), bool)
    page[10:10 + top.shape[0], 10:10 + top.shape[1]] = top
    page[10 + top.shape[0] + gap:-10, 10:10 + bottom.shape[1]] = bottom
    return page


def number_mask(text, scale=1.0):
    """The ink of synth.number(text), cropped to its strokes, scaled."""
    mask = mask_of(synth.number(text))
    ys, xs = np.nonzero(mask)
    mask = mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    size = (int(mask.shape[1] * scale), int(mask.shape[0] * scale))
    return np.array(Image.fromarray(mask).resize(size)) if scale != 1 else mask


def printed(text, size):
    """The mask of `text` printed in Pillow's own font, `size` px, cropped."""
    img = Image.new('L', (size * len(text), size * 2), 0)
    ImageDraw.Draw(img).text((5, 5), text, font=ImageFont.load_default(size), fill=255)
    mask = np.asarray(img) > 127
    ys, xs = np.nonzero(mask)
    return mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def test_a_flourish_box_edge_or_corners_near_a_number_are_not_a_row():
    number = number_mask('2026')
    h, w = number.shape
    zigzag = Image.new('L', (w, h // 2 + 12), 0)          # the wavy line drawn under a cheque's amount
    ImageDraw.Draw(zigzag).line([(x, 6 + (h // 2) * (k % 2)) for k, x in enumerate(range(0, w, h // 3))],
                                fill=255, width=10)
    assert len(split_rows(one_under_another(number, np.asarray(zigzag) > 127, gap=h // 3))) == 1
    arc = Image.new('L', (w, int(h * 0.9)), 0)             # a deep swoosh under it
    ImageDraw.Draw(arc).arc((0, -int(h * 0.9), w - 1, int(h * 0.9) - 6), 0, 180, fill=255, width=10)
    assert len(split_rows(one_under_another(number, np.asarray(arc) > 127, gap=h // 5))) == 1
    cup = np.zeros((int(h * 0.7), w), bool)                 # the bottom of the form's box above
    cup[:, :8] = cup[:, -8:] = cup[-8:] = True
    assert len(split_rows(one_under_another(cup, number, gap=h // 3))) == 1
    corners = np.zeros((int(h * 0.55), w), bool)           # a form field's top corners
    corners[:8, :h // 2] = corners[:, :8] = corners[:8, -h // 2:] = corners[:, -8:] = True
    assert len(split_rows(one_under_another(corners, number, gap=h // 3))) == 1
    sides = np.zeros((int(h * 0.8), w), bool)              # a box's sides, its bottom line dropped
    sides[:, :8] = sides[:, -8:] = True
    assert len(split_rows(one_under_another(sides, number, gap=h // 3))) == 1


def test_a_coil_under_a_number_is_not_a_row():
    # A coil crosses each column twice, as digits do: it is upright, but
    # lower than the number (JOINED_TALL), so it is a mark.
    number = number_mask('2026')
    h, w = number.shape
    t = np.linspace(0, 2 * np.pi * w / (0.4 * h), 2000)
    xs, ys = 12 + 0.4 * h * t / (2 * np.pi) + 0.27 * h * np.sin(t), 6 + 0.3 * h * (1 - np.cos(t))
    coil = Image.new('L', (w + 40, int(0.6 * h) + 14), 0)
    ImageDraw.Draw(coil).line(list(zip(xs[xs < w + 20], ys[xs < w + 20])), fill=255, width=10)
    coil = np.asarray(coil) > 127
    assert upright(coil[:, np.flatnonzero(coil.any(axis=0))[0]:])
    assert len(split_rows(one_under_another(number, coil, gap=h // 3))) == 1


def test_a_digit_whose_pen_skipped_stays_one_row():
    # A 5's bar well above its belly, an 8 as two loops far apart: pieces one
    # above the other, of like heights, but no row holds digits side by side.
    assert len(split_rows(one_under_another(np.ones((12, 30), bool), np.ones((24, 20), bool), gap=10))) == 1
    assert len(split_rows(one_under_another(np.ones((20, 20), bool), np.ones((22, 22), bool), gap=12))) == 1


def test_pieces_side_by_side_even_where_each_overlaps_the_next():
    band = (0, 40)
    leaning = [(0, 40, 0, 50), (0, 40, 40, 90), (0, 40, 80, 130)]    # the first and the third apart
    assert side_by_side(band, leaning)
    assert not side_by_side(band, [(0, 40, 0, 50), (0, 40, 40, 90)])
    assert not side_by_side(band, [(0, 40, 0, 50), (0, 15, 60, 90)])    # the second too short
    assert not side_by_side(band, [(0, 40, 0, 10), (0, 40, 100, 110)])   # too far apart: a box's sides
    broken_six = [(0, 40, 0, 10), (20, 40, 12, 60), (0, 40, 90, 130)]   # a 6's stem, its loop, then a 6
    assert side_by_side(band, broken_six)


def test_rows_apart_split_too_close_small_or_side_by_side_do_not():
    number = number_mask('47')
    height = number.shape[0]
    assert len(split_rows(one_under_another(number, number, gap=height // 3))) == 2
    assert len(split_rows(one_under_another(number_mask('7'), number, gap=height // 3))) == 2   # '7 47'
    assert len(split_rows(one_under_another(number, number, gap=height // 6))) == 1
    # A row under half the others' height is marks, not a row: a printed
    # label over an amount is not read as digits (nor a small date).
    assert len(split_rows(one_under_another(number_mask('47', 0.4), number, gap=height // 3))) == 1
    amount = 255 - np.asarray(synth.number('1250').convert('L'))
    ys, xs = np.nonzero(amount > 127)
    amount = amount[ys.min():ys.max() + 1, xs.min():xs.max() + 1] > 127
    label = printed('Total due', int(amount.shape[0] * 0.5))
    page = one_under_another(label, amount, gap=int(amount.shape[0] * 0.4))
    assert len(split_rows(mask_of(synth.on_paper(page.astype(np.uint8) * 255, False)))) == 1
    three = one_under_another(one_under_another(number, number, gap=height // 3),
                              number_mask('47', 0.4), gap=height // 3)
    assert len(split_rows(three)) == 2
    # Digits written higher and higher along the row share no columns with
    # those below them: one number, not rows.
    low = 10 + height + height // 3
    stepped = np.zeros((low + height + 10, 2 * number.shape[1] + 40), bool)
    stepped[low:low + height, 10:10 + number.shape[1]] = number
    stepped[10:10 + height, 20 + number.shape[1]:20 + 2 * number.shape[1]] = number
    assert len(split_rows(stepped)) == 1


def test_marks_go_with_the_row_nearest_them():
    img = synth.rows(['4071', '23'], gap=80)
    mask = mask_of(img)
    scale = img.size[1] / mask.shape[0]
    ys = np.flatnonzero(mask.any(axis=1))
    ends = ys[np.flatnonzero(np.diff(ys) > 1)[0]], ys[-1]      # each row's last inked row
    draw = ImageDraw.Draw(img)
    for end in ends:                                            # each row underlined, just below it
        draw.line((30, int((end + 8) * scale), 200, int((end + 8) * scale)), fill=(0, 0, 0), width=5)
    mask = mask_of(img)
    rows = split_rows(mask)
    assert len(rows) == 2
    for k, end in enumerate(ends):
        assert rows[k][end + 8].sum() > 100 and not rows[1 - k][end + 8].any()


def test_a_mark_goes_with_the_nearest_row_not_the_nearest_middle():
    big, small = number_mask('4071'), number_mask('2385', 0.7)
    page = one_under_another(big, small, gap=big.shape[0] // 2)
    y = 10 + big.shape[0] + big.shape[0] // 5      # an underline just under the big row, nearer the small one's middle
    page[y:y + 4, 20:200] = True
    rows = split_rows(page)
    assert len(rows) == 2
    assert rows[0][y].sum() > 100 and not rows[1][y].any()


def turned(img, angle):
    return img.rotate(angle, expand=True, fillcolor=(255, 255, 255), resample=Image.BICUBIC)


def test_rows_photographed_askew_are_found_one_number_askew_stays_one():
    page = synth.rows(['4071', '2385'], gap=60)        # a third of a digit's height apart
    for angle in (-8, 8):
        assert len(split_rows(mask_of(turned(page, angle)))) == 2, angle
    number = synth.number('40712385')
    for angle in (-10, -5, 5, 10):
        assert len(split_rows(mask_of(turned(number, angle)))) == 1, angle


def test_a_page_is_read_a_row_at_a_time_and_its_rows_joined():
    from digits.reading import read_all

    class Fake:
        """Reads the digit in the image's first pixel (times 10), surely."""
        def read(self, images):
            images = np.asarray(images).reshape(-1, 28, 28)
            probs = np.full((len(images), 10), 0.001)
            probs[np.arange(len(images)), np.round(images[:, 0, 0] * 10).astype(int)] = 0.991
            return probs, np.zeros(len(images)), np.ones(len(images))

    def row(text):
        entries = Candidates()
        for d in text:
            img = np.zeros((28, 28), np.float32)
            img[0, 0] = int(d) / 10
            entries.append((img, None))
        return entries

    prepared = [Page([row('12'), row('345')]), row('7'), 'x.png: no digit found',
                Page([row('4'), row('0'), row('99')])]
    for batch in (1, 2, 256):
        results = read_all(Fake(), iter(prepared), batch=batch)
        assert [r if isinstance(r, str) else r.number for r in results] \
            == ['12 345', '7', 'x.png: no digit found', '4 0 99']
        assert results[0].breaks == (2,) and results[1].breaks == () and results[3].breaks == (1, 2)
