"""digits.level: a number written or photographed askew is turned level
before it is cut into digits; a level one, one digit, or rows are not."""
import numpy as np
import pytest
from PIL import Image

import synth
from digits.ink import ink_map
from digits.level import levelled, tilt
from digits.pieces import Candidates, digit_candidates, pieces

pytestmark = pytest.mark.quick


def tilted(img, angle):
    return img.rotate(angle, expand=True, fillcolor='white', resample=Image.BICUBIC)


@pytest.mark.parametrize('angle', [-40, -25, 25, 40])
def test_a_tilted_number_is_turned_level(angle):
    img = tilted(synth.number('40718'), angle)
    assert abs(tilt(pieces(ink_map(img)[1])) - angle) < 3
    entries = digit_candidates(img)
    assert isinstance(entries, Candidates) and len(entries) == 5     # 2 or 3 merged pieces before
    assert entries.line.shape[1] > 3 * entries.line.shape[0]          # a long, low line: level


@pytest.mark.parametrize('angle', [0, 8, -12])
def test_a_number_tilted_a_little_is_left_as_it_is(angle):
    ink, mask = ink_map(tilted(synth.number('40718'), angle))
    assert abs(tilt(pieces(mask)) - angle) < 3
    out_ink, out_mask, turned = levelled(ink, mask, pieces(mask))
    assert not turned and out_ink is ink and out_mask is mask


def test_rows_two_digits_or_one_digit_have_no_tilt():
    for img in (synth.rows(['4071', '2385']), synth.number('47'), synth.clean(5)):
        assert tilt(pieces(ink_map(tilted(img, 30))[1])) == 0


@pytest.mark.parametrize('angle', [20, 30])
def test_a_thin_pen_stays_whole_when_turned(angle):
    # a ballpoint on a page is about a pixel wide at the working size
    inks = []
    for d in '2026':
        ink = np.asarray(synth.draw_digit(int(d), size=260, width=2, ink=255, paper=0).convert('L'))
        ys, xs = np.nonzero(ink > 127)
        inks.append(ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1])
    page = Image.new('RGB', (1600, 500), 'white')
    page.paste(synth.side_by_side(inks, 40), (100, 100))
    ink, mask = ink_map(tilted(page, angle))
    _, turned_mask, turned = levelled(ink, mask, pieces(mask))
    assert turned and len(pieces(mask)) == len(pieces(turned_mask)) == 4
