"""digits.rows: a page with numbers written one under another is cut into
its rows; one number, however its pen skipped or whatever marks it has,
stays one row."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

import synth
from digits.ink import ink_map
from digits.pieces import Candidates, Page, digit_candidates
from digits.rows import split_rows

pytestmark = pytest.mark.quick


def mask_of(img):
    return ink_map(img)[1]


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


def test_one_number_stays_one_row_with_its_underline_dot_and_dash():
    img = synth.number('1990')
    draw = ImageDraw.Draw(img)
    w, h = img.size
    draw.line((20, h - 12, w - 20, h - 12), fill=(0, 0, 0), width=6)     # underlined, a gap above
    draw.ellipse((w - 30, h // 2 - 4, w - 22, h // 2 + 4), fill=(0, 0, 0))   # a dot after it
    draw.line((5, 20, w // 2, 20), fill=(0, 0, 0), width=4)              # a box's edge above
    mask = mask_of(img)
    assert len(split_rows(mask)) == 1
    assert split_rows(mask)[0] is mask
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


def test_a_digit_whose_pen_skipped_stays_one_row():
    # A 5's bar well above its belly, an 8 as two loops far apart: pieces one
    # above the other, but no row holds digits side by side.
    assert len(split_rows(one_under_another(np.ones((8, 30), bool), np.ones((24, 20), bool), gap=10))) == 1
    assert len(split_rows(one_under_another(np.ones((20, 20), bool), np.ones((22, 22), bool), gap=12))) == 1


def test_rows_apart_of_like_heights_split_too_close_or_unlike_do_not():
    number = number_mask('47')
    height = number.shape[0]
    assert len(split_rows(one_under_another(number, number, gap=height // 3))) == 2
    assert len(split_rows(one_under_another(number, number, gap=height // 6))) == 1
    assert len(split_rows(one_under_another(number, number_mask('47', 0.4), gap=height // 3))) == 1


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


def turned(img, angle):
    return img.rotate(angle, expand=True, fillcolor=(255, 255, 255), resample=Image.BICUBIC)


def test_rows_photographed_askew_are_found_one_number_askew_stays_one():
    page = synth.rows(['4071', '2385'], gap=60)        # a third of a digit's height apart
    for angle in (-8, 8):
        assert len(split_rows(mask_of(turned(page, angle)))) == 2, angle
    number = synth.number('40712385')
    for angle in (-10, -5, 5, 10):
        assert len(split_rows(mask_of(turned(number, angle)))) == 1, angle
