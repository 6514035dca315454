"""A small sheet photographed on a darker surface (digits/sheet.py)."""
import numpy as np
import pytest
from PIL import Image, ImageDraw

import synth
from digits.decode import load_image, reduce
from digits.ink import ink_map, sheet_look
from digits.sheet import on_a_sheet, sheet_in

quick = pytest.mark.quick


def desk_with(sheet_box, angle=10, size=(120, 90), desk=0.3, paper=0.9):
    """A small grey picture: a square sheet turned by `angle` on a darker
    desk, three dark strokes written on it; and the sheet's mask."""
    img = Image.new('F', size, desk)
    sheet = Image.new('L', size, 0)
    x0, y0, x1, y1 = sheet_box
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    cx, cy, a = (x0 + x1) / 2, (y0 + y1) / 2, np.radians(angle)
    turned = [(cx + (x - cx) * np.cos(a) - (y - cy) * np.sin(a), cy + (x - cx) * np.sin(a) + (y - cy) * np.cos(a))
              for x, y in corners]
    ImageDraw.Draw(img).polygon(turned, fill=paper)
    ImageDraw.Draw(sheet).polygon(turned, fill=255)
    for dx in (-8, 0, 8):
        ImageDraw.Draw(img).line([(cx + dx, cy - 6), (cx + dx, cy + 6)], fill=desk)
    return np.array(img, np.float32), np.asarray(sheet) > 0


@quick
def test_a_sheet_on_a_desk_is_found_with_its_writing():
    grey, truth = desk_with((35, 20, 85, 70))
    found, level = sheet_in(grey)
    assert 0.3 <= level < 0.9
    assert (found & truth).sum() >= 0.95 * truth.sum() and (found & ~truth).sum() <= 0.02 * truth.sum()


@quick
@pytest.mark.parametrize('what', ['page', 'strip', 'lit_desk', 'faint', 'hollow', 'lit_corner'])
def test_what_is_not_a_sheet_on_a_desk(what):
    grey, _ = {'page': lambda: desk_with((-20, -20, 140, 110)),        # paper is the whole picture
               'strip': lambda: desk_with((10, 40, 110, 60), angle=0),  # 5:1, a ruled line's highlight
               'lit_desk': lambda: desk_with((35, 20, 85, 70), desk=0.8),   # the desk as bright as paper
               'faint': lambda: desk_with((35, 20, 85, 70), desk=0.75),  # no contrast to speak of
               'hollow': lambda: desk_with((35, 20, 85, 70), angle=45),
               'lit_corner': lambda: desk_with((60, -30, 160, 50), angle=0)}[what]()   # a page's shadow round it
    if what == 'hollow':                      # a bold white ring: its hole is no writing
        grey[35:55, 50:70] = 0.3
    assert sheet_in(grey) is None


@quick
@pytest.mark.parametrize('width', [30, 40, 50])
def test_a_bold_white_digit_on_black_is_not_a_sheet(width):
    for d in range(10):
        img = synth.draw_digit(d, size=200, width=width, margin=0.1, ink=(255, 255, 255), paper=(0, 0, 0))
        assert on_a_sheet(img) is None, d


@quick
def test_the_picture_is_cut_down_to_the_note_and_its_corners_painted_as_paper(tmp_path):
    img = reduce(load_image(synth.note_on_desk(7, str(tmp_path))))
    sheet = on_a_sheet(img)
    assert sheet is not None and sheet.width < img.width / 2 and sheet.height < img.height / 1.5
    rgb = np.asarray(sheet, np.float32)
    paper = np.median(rgb.reshape(-1, 3), axis=0)
    for corner in (rgb[:3, :3], rgb[:3, -3:], rgb[-3:, :3], rgb[-3:, -3:]):
        assert np.abs(corner - paper).max() < 40          # yellow, not the brown desk
    ink, mask = ink_map(img)
    assert mask.sum() < 0.1 * mask.size                    # the 7's strokes, not the note


@quick
def test_an_empty_note_is_looked_at_whole(tmp_path):
    blank = reduce(load_image(synth.note_on_desk('', str(tmp_path))))
    assert on_a_sheet(blank) is not None and sheet_look(blank) is None


@quick
@pytest.mark.parametrize('gap', [3, 4])
def test_writing_close_to_the_sheets_edge_is_kept(gap):
    """The sheet's edge is placed on the picture itself, not on the small
    copy it was found on (5 px a pixel here): a 1 written `gap` px from it
    stays whole."""
    rgb = np.zeros((450, 600, 3), np.uint8) + np.array([60, 50, 40], np.uint8)
    rgb[150:300, 200:400] = (240, 235, 200)
    rgb[180:270, 200 + gap:204 + gap] = (20, 20, 60)            # the 1 near the left edge, 4 px wide
    rgb[200:250, 290:294] = rgb[200:204, 290:330] = (20, 20, 60)  # more writing in the middle
    sheet = on_a_sheet(Image.fromarray(rgb))
    assert sheet is not None
    grey = np.asarray(sheet.convert('L'))
    assert (grey[:, :40] < 100).sum() >= 0.95 * 90 * 4           # all of it
