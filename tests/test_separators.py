"""Separators kept on request (digits/separators.py, predict_2.py --separators)."""
import json
import re

import numpy as np
import pytest

from conftest import needs_mnist, run
from digits.lines import column_of, strokes_box, to_line
from digits.pieces import pieces
from digits.reading import Digit, Reading, joined
from digits.separators import between_digits, kind, separators_in

quick = pytest.mark.quick


@quick
def test_a_separator_is_told_by_its_shape_and_place():
    """Sizes in the digits' height; the middle measured down from their top."""
    assert kind(0.5, 0.1, 0.5, False) == '-'           # long, thin, at mid-height
    assert kind(0.12, 0.12, 0.95, False) == '.'        # small, on the line
    assert kind(0.1, 0.3, 0.9, True) == ','            # taller, reaching below the digits
    assert kind(0.1, 0.2, 0.85, False) == '.'          # taller, but not below: a dot drawn as a stroke
    assert kind(0.12, 0.12, 2.5, True) is None         # far below the digits: not between them
    assert kind(0.5, 0.1, 0.95, False) is None         # long and low: an underline's piece
    assert kind(0.12, 0.12, 0.4, False) is None        # small, in the air: a stray mark
    assert kind(0.1, 0.6, 0.5, False) is None          # as tall as a digit: a 1, or a '/'
    assert kind(2.0, 0.1, 0.5, False) is None          # wider than a digit: a line


@quick
def test_separators_are_placed_between_the_digits_only():
    columns = [10, 20, 30]                    # the digits' columns in the line
    marks = [(5, '.'), (15, '-'), (16, '-'), (24, ','), (40, '.')]
    # before the first digit and after the last: left out; a dash in two pieces: one
    assert between_digits(marks, columns) == {1: '-', 2: ','}
    assert between_digits([], columns) == {} and between_digits([(15, '.')], [10]) == {}


def row_of_rings(marks):
    """An ink map: three digits drawn as rings 40 tall, stroke 4, and the
    (x0, y0, w, h, ink) `marks`; with the mask of the digits alone, as
    finding the ink leaves it (dots are dropped there as specks)."""
    ink = np.zeros((80, 200), np.float32)
    for x in (20, 80, 140):
        ink[20:60, x:x + 24] = 1
        ink[24:56, x + 4:x + 20] = 0
    mask = ink > 0.5
    for x0, y0, w, h, value in marks:
        ink[y0:y0 + h, x0:x0 + w] = value
    return ink, mask


@quick
def test_separators_are_found_in_the_ink_map_and_land_where_the_line_shows_them():
    dot, dash = (55, 52, 5, 5, 1.0), (105, 38, 18, 4, 1.0)
    speck, faint, high = (60, 40, 1, 1, 1.0), (175, 52, 5, 5, 0.6), (120, 22, 5, 5, 1.0)
    ink, mask = row_of_rings([dot, dash, speck, faint, high])
    box = strokes_box(mask)
    line = to_line(ink, box)
    found = separators_in(ink, mask, pieces(mask), box, line.shape[1])
    assert [mark for _, mark in found] == ['.', '-']       # not the speck, the faint dot or the one up high
    (dot_at, _), (dash_at, _) = found
    assert line[-9:, int(dot_at)].max() > 0.5              # the dot's ink is there, low in the line
    assert line[10:22, int(dash_at)].max() > 0.5           # the dash's, at mid-height
    columns = [column_of(x + 12, box, line.shape[1]) for x in (20, 80, 140)]   # the rings' middles
    assert between_digits(found, columns) == {1: '.', 2: '-'}


@quick
def test_separators_are_looked_for_in_each_row_only_when_asked():
    """digit_candidates(..., separators=True) notes each row's own
    separators, dots included (which finding the ink drops as specks);
    without it, none are looked for."""
    from PIL import Image
    from digits.pieces import Page, digit_candidates
    top, _ = row_of_rings([(55, 52, 5, 5, 1.0), (105, 38, 18, 4, 1.0)])
    bottom, _ = row_of_rings([(115, 38, 18, 4, 1.0)])
    page = Image.fromarray((255 - 255 * np.vstack([top, bottom])).astype(np.uint8))
    rows = digit_candidates(page, separators=True)
    assert isinstance(rows, Page) and [[m for _, m in r.separators] for r in rows] == [['.', '-'], ['-']]
    assert all(r.separators == () for r in digit_candidates(page))
    one_row = Image.fromarray((255 - 255 * top).astype(np.uint8))
    assert [m for _, m in digit_candidates(one_row, separators=True).separators] == ['.', '-']


@quick
def test_separators_of_rows_are_kept_with_their_digits():
    def reading(text, separators):
        r = Reading(Digit(np.zeros((28, 28)), np.eye(10)[int(c)]) for c in text)
        r.separators = separators
        return r
    page, alone, other = joined([reading('1990', {1: '.'}), reading('1205', {2: '-'}), reading('12', {1: ','}),
                                 reading('3', {}), reading('456', {1: '-', 2: '.'})], [2, 1, 2])
    assert page.number == '1990 1205' and page.written == '1.990 12-05'
    assert alone.written == '1,2' and other.written == '3 4-5.6'
    assert reading('2026', {}).written == '2026'


@needs_mnist
def test_separators_are_printed_only_with_the_option(tmp_path):
    """predict_2.py --separators prints the '.' and '-' drawn between the
    digits; the digits are those printed without it."""
    from test_numbers import number_picture
    cases = [('12052026', ['', '', '-', '', '-', '', '', '', ''], 'dd-dd-dddd'),
             ('1990', ['', '.', '', '', ''], 'd.ddd'), ('12500', ['', '', '.', '', '', ''], 'dd.ddd'),
             ('2026', [''] * 5, 'dddd')]
    paths = [number_picture(t, m, i, tmp_path / f'{i}.png') for i, (t, m, _) in enumerate(cases)]
    plain = run('predict_2.py', *paths)
    kept = run('predict_2.py', '--separators', *paths)
    as_json = run('predict_2.py', '--separators', '--json', *paths)
    assert plain.returncode == kept.returncode == as_json.returncode == 0, kept.stderr
    for line, marked, got, (_, _, shape) in zip(plain.stdout.splitlines(), kept.stdout.splitlines(),
                                                as_json.stdout.splitlines(), cases):
        digits, marked = line.split('\t')[1], marked.split('\t')[1]
        assert digits.isdigit() and re.sub(r'[.,-]', '', marked) == digits
        assert re.sub(r'\d', 'd', marked) == shape
        assert json.loads(got)['result'] == marked
