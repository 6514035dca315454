"""The number reader: its training numbers, CTC decoding, a tiny model trained and
restored, and whole numbers read through predict_2.py."""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import types

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, ctrl_c_reaches_children, mnist_dir, needs_mnist, run
from digits import ctc
from digits.lines import HEIGHT, INNER, STEP, batch_lines, digit_at, strokes_box, to_line
from digits.number_synth import ENDINGS, SEPARATORS, compose, layout, number_text, place, synthesise

quick = pytest.mark.quick


def block_crops(width=16, height=20):
    """Per digit d, one solid block of ink (d + 1) / 11: a digit that can be told by its ink."""
    return [[np.full((height, width), (d + 1) / 11, np.float32)] for d in range(10)]


@quick
@pytest.mark.parametrize('seed', range(40))
def test_the_label_is_the_digits_placed_left_to_right(seed):
    rng = np.random.default_rng(seed)
    text = number_text(rng)
    placed = place(text, block_crops(), rng)
    digits = [(x, what, a) for a, x, _, what in placed if what.isdigit()]
    assert ''.join(what for _, what, _ in digits) == text
    assert [x for x, _, _ in digits] == sorted(x for x, _, _ in digits)
    # each digit drawn is one of that digit's crops (block d has ink (d + 1) / 11; a 1 or
    # 7 may get a flag or bar drawn on it)
    assert all(abs(np.median(a[a > 0.05]) - (int(what) + 1) / 11) < 1e-4 for _, what, a in digits)
    assert all(what in SEPARATORS + ENDINGS + ["'", '/', '~'] for _, _, _, what in placed if not what.isdigit())
    ink, box = compose(text, block_crops(), np.random.default_rng(seed))
    assert ink.shape[0] >= box[1] > box[0] and ink.shape[1] >= box[3] > box[2]


@quick
def test_separators_are_never_in_the_label_and_are_drawn():
    rng = np.random.default_rng(0)
    marks = [m for _ in range(300) for m in layout(number_text(rng), rng) if m]
    assert set(marks) <= set(SEPARATORS + ENDINGS + ["'", '/'])
    assert {'.', ',', '-', '/'} <= set(marks)          # each kind of separator does occur
    for _ in range(200):
        line, text = synthesise(block_crops(), rng)
        assert text.isdigit() and 1 <= len(text) <= 8
        assert line.shape[0] == HEIGHT and line.shape[1] % STEP == 0
        assert 0 <= line.min() and line.max() <= 1


@quick
def test_date_numbers_have_marks_between_a_dates_groups_and_slashes_of_ones_only_there():
    """With dates=True (the date reader's training numbers), the label is
    still the digits placed; a slash written as a 1 ('/1', drawn from the 1s'
    crops) comes only as both marks of a day, month and year (DATES), and
    never without dates=True."""
    from digits.number_synth import DATES
    seen = 0
    for seed in range(1500):
        rng = np.random.default_rng(seed)
        text = number_text(rng)
        placed = place(text, block_crops(), rng, dates=True)
        assert ''.join(what for _, _, _, what in placed if what.isdigit()) == text
        order = ''.join('/' if what == '/1' else what for _, _, _, what in placed if what == '/1' or what.isdigit())
        if '/' in order:
            seen += 1
            assert tuple(len(g) for g in order.split('/')) in DATES[len(text)] and order.count('/') == 2
            ones = [a for a, _, _, what in placed if what == '/1']
            assert all(abs(np.median(a[a > 0.05]) - 2 / 11) < 1e-4 for a in ones)   # block 1's ink
        assert '/1' not in [what for _, _, _, what in place(text, block_crops(), np.random.default_rng(seed))]
    assert 3 <= seen <= 30        # about 0.7% of the numbers


@quick
def test_small_digits_are_those_after_the_last_separator_or_the_last_few(monkeypatch):
    from digits import number_synth
    monkeypatch.setattr(number_synth, 'SMALL', 1.0)
    rng = np.random.default_rng(0)
    assert number_synth.small_from('125000', ['', '', '', '.', '', '', ''], rng) == 3
    assert number_synth.small_from('125000', ['', '', '.', '', '', '.', ''], rng) == 5
    assert {number_synth.small_from('125000', [''] * 7, rng) for _ in range(50)} == {3, 4}
    assert number_synth.small_from('12', [''] * 3, rng) == 2          # too short: none small
    heights = []
    for seed in range(20):        # drawn: the small digits' blocks are lower than the rest
        placed = place('125000', block_crops(), np.random.default_rng(seed))
        digits = [a.shape[0] for a, _, _, what in placed if what.isdigit()]
        heights.append(min(digits[3:]) < 0.8 * max(digits[:3]))
    assert sum(heights) >= 15


@quick
def test_line_image_puts_the_strokes_in_the_middle_rows():
    ink = np.zeros((100, 300), np.float32)
    ink[20:80, 40:250] = 1
    line = to_line(ink, strokes_box(ink > 0.5))
    rows = np.flatnonzero(line.max(axis=1) > 0.5)
    assert line.shape[0] == HEIGHT and rows[0] == (HEIGHT - INNER) // 2 and rows[-1] == HEIGHT - 3
    assert line.shape[1] == round((210 + 2 * 0.15 * 60) * INNER / 60 / STEP) * STEP
    assert batch_lines([line, line[:, :8]]).shape == (2, HEIGHT, line.shape[1])


@quick
def test_digit_shown_for_a_frame_is_the_columns_there_boxed_as_mnist():
    line = np.zeros((HEIGHT, 80), np.float32)
    line[2:30, 10:18] = 1                    # a tall bar: a 1 in the first columns
    line[2:30, 50:70] = 1                    # a wide block further right
    one = digit_at(line, 14 // STEP)
    rows, cols = np.flatnonzero(one.max(axis=1) > 0.5), np.flatnonzero(one.max(axis=0) > 0.5)
    assert one.shape == (28, 28) and one.max() == pytest.approx(1)
    assert (rows[0], rows[-1]) == (4, 23) and 9 <= cols[0] and cols[-1] <= 18   # 20 rows high, narrow
    block = digit_at(line, 60 // STEP)
    assert np.flatnonzero(block.max(axis=0) > 0.5).size > cols.size   # the wide one is wider
    assert not digit_at(np.zeros((HEIGHT, 40), np.float32), 3).any()  # no ink, nothing shown


@quick
def test_digit_shown_for_a_frame_is_centred_on_that_frame_and_shows_faint_ink():
    # Frame 10's centre is column 10 * STEP + STEP // 2; the part shown is the INNER columns round it.
    centre = 10 * STEP + STEP // 2
    first, last = centre - INNER // 2, centre + INNER // 2 - 1
    for column, shown in [(first - 1, False), (first, True), (last, True), (last + 1, False)]:
        line = np.zeros((HEIGHT, 100), np.float32)
        line[6:26, column] = 1
        assert digit_at(line, 10).any() == shown, column
    faint = np.zeros((HEIGHT, 60), np.float32)
    faint[6:26, 20:24] = 0.2                            # all of it under the 0.3 the box uses
    shown = digit_at(faint, 22 // STEP)
    assert shown.max() > 0.1 and np.flatnonzero(shown.max(axis=1) > 0.1).size >= 10


def frames(*classes, sure=0.9):
    """Frame probabilities [t, 11], each frame `sure` of its class."""
    out = np.full((len(classes), 11), (1 - sure) / 10, np.float32)
    out[np.arange(len(classes)), classes] = sure
    return out


@quick
def test_ctc_greedy_merges_repeats_and_drops_blanks():
    B = ctc.BLANK
    assert [d for d, _, _ in ctc.greedy(frames(B, 1, 1, B, 1, B, B, 7, 7))] == [1, 1, 7]
    assert [d for d, _, _ in ctc.greedy(frames(3, 3, 3))] == [3]
    assert ctc.greedy(frames(B, B, B)) == []
    assert ctc.greedy(np.zeros((0, 11), np.float32)) == []


@quick
def test_ctc_decode_finds_the_likeliest_number_not_the_likeliest_path():
    B = ctc.BLANK
    unsure = np.full((2, 11), 0.0, np.float32)
    unsure[:, [B, 1, 2]] = 0.4, 0.35, 0.25
    # The likeliest path is two blanks (0.16), but '1' is spelled by three
    # paths (1 1, 1 -, - 1: 0.4025 together), more than '' or any other number.
    assert ctc.greedy(unsure) == []
    (digit, p, at), = ctc.decode(unsure)
    assert digit == 1 and at in (0, 1) and abs(p.sum() - 1) < 1e-6
    assert ctc.beam_search(unsure) == (1,)
    # A repeat needs its blank: '77' over 7, -, 7; '7' alone over 7, 7, 7.
    assert [d for d, _, _ in ctc.decode(frames(7, B, 7, sure=0.6))] == [7, 7]
    assert [d for d, _, _ in ctc.decode(frames(7, 7, 7, sure=0.6))] == [7]
    # Where the greedy path holds over half the probability, it is the answer.
    sure = frames(B, 1, 1, B, 1, B, B, 7, 7, sure=0.95)
    assert [(d, at) for d, _, at in ctc.decode(sure)] == [(d, at) for d, _, at in ctc.greedy(sure)]
    assert ctc.decode(np.zeros((0, 11), np.float32)) == []
    assert ctc.runs(unsure, ()) == []                # the beam may find no digit at all
    assert [list(r) for r in ctc.runs(frames(7, B, 7, 7), (7, 7))] == [[0], [2, 3]]


@quick
@pytest.mark.parametrize('seed', range(5))
def test_ctc_beam_search_matches_all_paths_summed_on_short_lines(seed):
    """On 4 frames every path can be listed: the beam's number must be the
    one whose paths add up to the most."""
    import itertools
    rng = np.random.default_rng(seed)
    f = rng.dirichlet(np.full(11, 0.5), size=4)
    f[:, :ctc.BLANK] *= np.arange(1, 11) <= 3       # digits 0-2 only, so the beam holds every number
    f /= f.sum(axis=1, keepdims=True)
    totals = {}
    for path in itertools.product(range(11), repeat=4):
        merged = [c for k, c in enumerate(path) if c != ctc.BLANK and (k == 0 or path[k - 1] != c)]
        totals[tuple(merged)] = totals.get(tuple(merged), 0) + np.prod(f[np.arange(4), path])
    assert ctc.beam_search(f, width=100) == max(totals, key=totals.get)
    number = tuple(d for d, _, _ in ctc.decode(f))
    assert totals[number] >= max(totals.values()) * 0.999 or np.prod(f.max(axis=1)) > 0.5


@quick
def test_edit_distance_counts_digits_left_out_added_and_misread():
    assert ctc.edit_distance('1990', '1990') == 0
    assert ctc.edit_distance('190', '1990') == 1      # one left out
    assert ctc.edit_distance('19900', '1990') == 1    # one added
    assert ctc.edit_distance('1890', '1990') == 1     # one misread
    assert ctc.edit_distance('21', '12') == 2
    assert ctc.edit_distance('', '123') == ctc.edit_distance('123', '') == 3


@quick
def test_ctc_digit_gets_its_surest_frame_without_the_blank():
    f = frames(ctc.BLANK, 4, 4, ctc.BLANK)
    f[2] = [0.01] * 4 + [0.6] + [0.01] * 5 + [0.31]     # frame 2 is surer of the 4, 0.6 of it
    (digit, p, at), = ctc.greedy(f)
    assert digit == 4 and at == 1                       # frame 1: 0.9 of it
    assert p.shape == (10,) and abs(p.sum() - 1) < 1e-6 and p.argmax() == 4
    assert abs(p[4] - 0.9 / (0.9 + 9 * 0.01)) < 1e-5


@quick
def test_one_piece_reads_as_the_number_readers_digits_only_when_both_allow_it():
    """A piece the CNN reads as one digit is taken for the number reader's
    two only if the line is too wide for one digit, or the reader is sure of
    both and the head does not rule out several (reading.number_wins)."""
    from digits.reading import NUMBER_SEVERAL, NUMBER_SURE, ONE_DIGIT_LINE, number_wins

    def number(*sureness):
        return [(k, np.eye(10)[k] * s + (1 - s) / 10, k) for k, s in enumerate(sureness)]

    narrow, wide = np.zeros((HEIGHT, 40)), np.zeros((HEIGHT, int(ONE_DIGIT_LINE) + 4))
    sure, unsure = NUMBER_SURE + 0.05, NUMBER_SURE - 0.1
    doubt, ruled_out = NUMBER_SEVERAL * 2, NUMBER_SEVERAL / 2
    assert number_wins(number(1, 1), narrow, doubt)
    assert not number_wins(number(1, 1), narrow, ruled_out)
    assert not number_wins(number(1, unsure), narrow, 0.99)
    assert number_wins(number(unsure, unsure), wide, 0.0)
    assert not number_wins(number(1), wide, 0.99)     # one digit read: nothing to take

@quick
def test_a_piece_the_head_takes_for_several_is_read_again_wider():
    """A picture with a piece the head takes for several digits, of which
    the number reader finds no more digits than pieces, is read again WIDER
    times wider; that reading is taken only if sure of more digits than
    pieces and, with several pieces, than the first reading found; its
    frames are put back on the line as it was, also where MAX_WIDTH capped
    the widening (reading.second_look)."""
    from digits.lines import MAX_WIDTH, widened
    from digits.reading import NUMBER_SURE, SEVERAL, WIDER, second_look

    def digits(sureness, last=3):    # digit k read at sureness[k]; the last one at frame `last`
        return [(k, np.eye(10)[k] * s + (1 - s) / 10, last if k == len(sureness) - 1 else 0)
                for k, s in enumerate(sureness)]

    class Numbers:      # reads a line wider than `narrow` as `sureness`, the last digit in its last frame
        def __init__(self, sureness, narrow=40):
            self.sureness, self.narrow, self.widths = sureness, narrow, []

        def read(self, lines):
            self.widths += [line.shape[1] for line in lines]
            return [digits(self.sureness, line.shape[1] // STEP - 1) if line.shape[1] > self.narrow
                    else digits([1]) for line in lines]

    class Picture(list):     # a picture's pieces, and its line
        def __init__(self, pieces=1, width=40):
            super().__init__([None] * pieces)
            self.line = np.zeros((HEIGHT, width), np.float32)

    several, ruled_out = (SEVERAL + 1) / 2, SEVERAL / 2
    read = {0: digits([1]), 1: digits([1]), 2: digits([1, 1])}
    reader = Numbers((1, 1))
    second_look(reader, [Picture()] * 3, read, {0: several, 1: ruled_out, 2: several})
    assert reader.widths == [int(round(40 * WIDER / STEP)) * STEP]     # picture 0 alone
    assert [(d, frame) for d, _, frame in read[0]] == [(0, 0), (1, 40 // STEP - 1)]
    assert [d for d, _, _ in read[1]] == [0] and [d for d, _, _ in read[2]] == [0, 1]
    capped = {0: digits([1])}
    second_look(Numbers((1, 1), narrow=MAX_WIDTH - 8), [Picture(width=MAX_WIDTH - 8)], capped, {0: several})
    assert [(d, frame) for d, _, frame in capped[0]] == [(0, 0), (1, (MAX_WIDTH - 8) // STEP - 1)]
    unsure = {0: digits([1])}
    second_look(Numbers((1, NUMBER_SURE - 0.1)), [Picture()], unsure, {0: several})
    assert [d for d, _, _ in unsure[0]] == [0]                   # not sure of both: kept
    # two pieces: read as two digits, then three; not taken if no more than the pieces
    # or than the first reading; not looked at if the first was sure of more than the pieces
    def two_pieces(first, wider):
        read, reader = {0: digits(first)}, Numbers(wider)
        second_look(reader, [Picture(pieces=2)], read, {0: several})
        return [float(p.max()) for _, p, _ in read[0]], len(reader.widths)

    assert two_pieces([1, 1], (1, 1, 1)) == ([1, 1, 1], 1)
    assert two_pieces([1], (1, 1)) == ([1], 1)                       # no more than the pieces
    assert two_pieces([1, 1], (1, 1)) == ([1, 1], 1)
    assert two_pieces([1, 1, 0.5], (1, 1, 1)) == ([1, 1, 0.55], 1)   # nor than the first reading
    assert two_pieces([1, 1, 1], (1, 1, 1, 1)) == ([1, 1, 1], 0)     # the first sure of more: no look
    assert widened(np.zeros((HEIGHT, 44), np.float32), 1.5).shape == (HEIGHT, 64)
    assert widened(np.zeros((HEIGHT, MAX_WIDTH), np.float32), 1.5).shape == (HEIGHT, MAX_WIDTH)


@quick
@pytest.mark.parametrize('width', [40, 42, 44, 300])
def test_a_second_look_puts_each_digit_on_the_nearest_frame_of_the_line(width):
    """reading.second_look: a digit read at a frame of the widened line is put
    on the frame of the line whose centre is nearest that frame's centre, not
    on the frame number scaled down and truncated, which was up to a frame left
    (with 44 columns, read 64 wide, frame 1's centre is at column 4.1 of the
    line: frame 1, not 0) and could put a separator on the wrong side of it.
    The widths: WIDER exactly (40), not a multiple of STEP (42), rounded to
    one (44), and 300, whose widened line is capped at MAX_WIDTH (320)."""
    from digits.lines import widened
    from digits.reading import SEVERAL, WIDER, second_look

    class Numbers:      # reads a digit, surely, at every frame of a wide line
        def read(self, lines):
            return [[(f % 10, np.eye(10)[f % 10], f) for f in range(ctc.frames_in(line.shape[1], STEP))]
                    for line in lines]

    class Picture(list):     # one piece, and its line
        line = np.zeros((HEIGHT, width), np.float32)

    read = {0: [(0, np.eye(10)[0], 0)]}
    second_look(Numbers(), [Picture([None])], read, {0: (SEVERAL + 1) / 2})
    wide = widened(Picture.line, WIDER).shape[1]
    assert wide != width and len(read[0]) == ctc.frames_in(wide, STEP)
    centres = [(g + 0.5) * STEP for g in range(ctc.frames_in(width, STEP))]   # the line's frames'
    for f, (_, _, frame) in enumerate(read[0]):
        centre = (f + 0.5) * STEP * width / wide     # of frame f of the wide line, on the line
        assert isinstance(frame, int) and 0 <= frame < len(centres)
        assert abs(centres[frame] - centre) == pytest.approx(min(abs(c - centre) for c in centres)), f


@quick
def test_a_date_reader_reading_is_taken_only_for_a_digit_more_at_each_date_boundary():
    """reading.reread_dates: a row of 6-10 digits is read again by the date
    reader, whose reading is taken only if the first is it with one digit
    more between day and month and between month and year."""
    from digits.reading import Digit, Reading, date_with_slashes_read, reread_dates
    assert date_with_slashes_read('21112120', '211220')         # 21/12/20 read 21112120
    assert date_with_slashes_read('121512026', '1252026')       # 12/5/2026
    assert date_with_slashes_read('1711122', '17122')           # 17/1/22
    assert not date_with_slashes_read('2111220', '211220')      # one digit more
    assert not date_with_slashes_read('21112120', '211200')     # another digit differs
    assert not date_with_slashes_read('211121207', '2112207')   # a year of three
    assert not date_with_slashes_read('1234567890', '12345678')  # not at the boundaries

    class Numbers:
        dates = True

        def __init__(self, read):
            self.read, self.lines = read, []

        def read_dates(self, lines):
            self.lines += lines
            return [[(int(c), np.eye(10)[int(c)], 2 * k) for k, c in enumerate(self.read)] for _ in lines]

    class Picture(list):
        line = np.ones((HEIGHT, 64), np.float32)

    def results(*numbers):
        return [Reading(Digit(np.zeros((28, 28)), np.eye(10)[int(c)]) for c in n) for n in numbers]

    got = results('21112120', '211220', '2111220') + ['error: not a picture']
    numbers = Numbers('211220')
    reread_dates(numbers, [Picture()] * 4, got)
    assert [r if isinstance(r, str) else r.number for r in got] == ['211220', '211220', '2111220',
                                                                    'error: not a picture']
    assert len(numbers.lines) == 3          # the three rows of 6-10 digits, not the error
    assert got[0][1].image.shape == (28, 28) and got[0][1].image.max() > 0   # drawn from the line
    assert got[0].separators == {2: '/', 4: '/'} and got[0].written == '21/12/20'   # where the slashes were
    assert date_with_slashes_read('121512026', '1252026') == (2, 3)
    short = results('12345')
    reread_dates(numbers, [Picture()], short)
    assert short[0].number == '12345' and len(numbers.lines) == 3           # 5 digits: not read again


def slashed_date(groups, seed, path):
    """A date of MNIST test digits 5000-9999 (enlarged 4x, as bench/read_numbers.py
    draws its dates) with '/' between `groups`, each slash drawn about as tall
    as the digits, 24 degrees off the vertical, with a pen as wide as their
    strokes (as people write them; the training numbers' are thin), saved at `path`."""
    from PIL import ImageDraw
    from digits.data import load
    from digits.touching import ENLARGED, as_bytes, enlarged
    import synth
    images, labels = load(mnist_dir())['test']
    images = as_bytes(images)
    by_digit = [np.flatnonzero(labels[5000:] == d) + 5000 for d in range(10)]
    rng = np.random.default_rng(seed)
    slash = Image.new('L', (48, ENLARGED), 0)
    ImageDraw.Draw(slash).line([(42, 15), (5, ENLARGED - 15)], fill=255, width=10)
    inks = []
    for k, group in enumerate(groups):
        inks += [np.asarray(slash)] if k else []
        inks += [enlarged(images[rng.choice(by_digit[int(d)])]) for d in group]
    synth.side_by_side(inks, rng.integers(8, 20, len(inks))).save(path)
    return str(path)


@needs_mnist
def test_dates_written_with_slashes_read_as_their_digits(tmp_path):
    """predict_2.py reads dates written with '/' (which the number reader
    alone takes for 1s) by reading them again with the date reader; dates
    written with '-' read as before."""
    rng = np.random.default_rng(7)
    dates = [(f'{rng.integers(1, 29):02d}', f'{rng.integers(1, 13):02d}', str(rng.integers(1950, 2030)))
             for _ in range(20)]
    paths = [slashed_date(d, i, tmp_path / f'{i}.png') for i, d in enumerate(dates)]
    truths = [''.join(d) for d in dates]
    read = run('predict_2.py', *paths)
    alone = run('predict_2.py', '--no-date-model', *paths)
    assert read.returncode == alone.returncode == 0, read.stderr + alone.stderr
    right = sum(line.split('\t')[1] == t for line, t in zip(read.stdout.splitlines(), truths))
    right_alone = sum(line.split('\t')[1] == t for line, t in zip(alone.stdout.splitlines(), truths))
    # measured: 8 of 20 read right, 2 without the date reader (bench/read_numbers.py: 36 and 17 of 100)
    assert right >= right_alone + 4, (read.stdout, alone.stdout)
    # with --separators, the dates the date reader mended are printed with their slashes
    kept = run('predict_2.py', '--separators', *paths).stdout.splitlines()
    mended = 0
    for plain, first, marked, groups in zip(read.stdout.splitlines(), alone.stdout.splitlines(), kept, dates):
        plain, first, marked = (line.split('\t')[1] for line in (plain, first, marked))
        slashes = re.sub(r'[.,-]', '', marked)      # (an MNIST digit's broken stroke may read as a ',')
        assert slashes.replace('/', '') == plain
        if plain != first and plain == ''.join(groups):
            assert slashes == '/'.join(groups)
            mended += 1
    assert mended >= 4
    dashed = number_picture('12052026', ['', '', '-', '', '-', '', '', '', ''], 3, tmp_path / 'dash.png')
    assert run('predict_2.py', dashed).stdout == run('predict_2.py', '--no-date-model', dashed).stdout


def test_date_model_option_chooses_the_date_reader(tmp_path):
    """--date-model: a digit checkpoint or a missing folder is one clear line
    and exit 1; the shipped date reader is loaded by default, not with
    --no-date-model or --single, its graph built only when a row needs it."""
    picture = os.path.join(ROOT, 'samples', '7.png')
    for wrong, says in [(os.path.join(ROOT, 'models', 'model_2'), 'expected the number reader'),
                        (tmp_path / 'none', 'no checkpoint at')]:
        refused = run('predict_2.py', '--date-model', wrong, picture)
        assert refused.returncode == 1 and 'Traceback' not in refused.stderr
        assert refused.stderr.strip().splitlines() == [refused.stderr.strip()] and says in refused.stderr
    from digits import Reader
    numbers = Reader(2).numbers
    assert numbers.date_prefix == tf_prefix(os.path.join(ROOT, 'models', 'dates'))
    assert Reader(2, dates=False).numbers.dates is None
    # its graph is built when a row is first read again, not before
    line = np.zeros((HEIGHT, 64), np.float32)
    numbers.read([line])
    assert numbers.dates.built is None
    assert numbers.read_dates([line]) == [[]] and numbers.dates.built is not None


@needs_mnist
def test_mnist_digits_overlapping_more_than_the_training_numbers_read_right():
    """MNIST test digits pushed together until one runs into the other,
    which the number reader, reading their line as it is, misreads (as an
    8 or a 3, or 60 unsure; with a digit beside them, 48 or 39): read
    again wider, they are right."""
    from digits import data, reading, session
    from digits.decode import ImageError
    from digits.output import describe
    from digits.preparing import prepare
    from digits.touching import as_bytes, enlarged, pushed_together
    from synth import side_by_side
    session.quiet_tensorflow()
    images, _ = data.load(mnist_dir())['test']
    images = as_bytes(images)

    def pushed(i, j, seed):      # ink high
        return 255 - np.asarray(pushed_together([images[i], images[j]], np.random.default_rng(seed)))

    pairs = [((9883, 6590), 0, '50'), ((5146, 6598), 0, '35'), ((5059, 7217), 2, '81')]
    pictures = [Image.fromarray(255 - pushed(i, j, seed)) for (i, j), seed, _ in pairs]
    pictures += [side_by_side([enlarged(images[6]), pushed(5059, 7217, 2)], 40),
                 side_by_side([pushed(5146, 6598, 0), enlarged(images[7])], 40)]
    truths = [t for _, _, t in pairs] + ['481', '359']
    reader = reading.Reader(2)
    lines = [entries.line for entries in prepare(pictures, single=False)]
    as_they_are = [''.join(str(d) for d, _, _ in number) for number in reader.numbers.read(lines)]
    assert all(read != t for read, t in zip(as_they_are, truths)), as_they_are
    # read among pictures of two pieces and of none, as a call reads them
    apart = side_by_side([enlarged(images[9883]), enlarged(images[6590])], 40)
    two, *read, blank = reader.read_many([apart] + pictures + [Image.new('L', (200, 200), 255)])
    assert describe(two) == '50' and isinstance(blank, ImageError)
    assert [describe(r) for r in read] == truths


@needs_mnist
def test_tiny_reader_learns_save_and_restore_give_the_same(tmp_path):
    """Five hundred steps: it reads numbers like those it was trained on
    better than chance; restored, it gives the same outputs."""
    from digits import session
    session.quiet_tensorflow()
    from digits import data, number_model, number_training
    mnist = data.load(mnist_dir())
    args = types.SimpleNamespace(model=str(tmp_path / 'numbers'), steps=500, batch_size=16,
                                 learning_rate=0.003, seed=0, threads=None, logdir=None,
                                 resume=False, dropout=0.0, average=0.9, validation=50, eval_every=None,
                                 dates=False)
    number_training.train(args, mnist)
    model = number_model.NumberModel(args.model)
    crops = number_training.by_digit(*mnist['validation'])
    rng = np.random.default_rng(5)
    made = [synthesise(crops, rng) for _ in range(50)]
    lines = [line for line, _ in made]
    first = model.read(lines)
    # digit error rate (edit distance over the digits): reading nothing scores 1,
    # random digits of the right length about 0.9. CTC learns in a jump whose step
    # varies with the CPU: at 250 steps 0.46-0.62 here (4 seeds) but 0.83 on CI's
    # machine; at 500 steps 0.09 here for each of 3 seeds, so the bar of 0.5 is far away
    read = [''.join(str(d) for d, _, _ in r) for r in first]
    errors = sum(ctc.edit_distance(r, t) for r, (_, t) in zip(read, made)) / sum(len(t) for _, t in made)
    assert errors < 0.5, list(zip(read, [t for _, t in made]))
    again = number_model.NumberModel(args.model).read(lines)
    assert [[d for d, _, _ in r] for r in first] == [[d for d, _, _ in r] for r in again]
    assert all(np.array_equal(a[1], b[1]) for r, s in zip(first, again) for a, b in zip(r, s))


def test_a_digit_checkpoint_is_refused_as_the_number_reader():
    from digits import session
    session.quiet_tensorflow()
    from digits.checkpoints import CheckpointError
    from digits.number_model import NumberModel
    with pytest.raises(CheckpointError, match='a digit model .*expected the number reader'):
        NumberModel(os.path.join(ROOT, 'models', 'model_2'))


def shipped_runs():
    """The shipped number reader's runs: models/numbers and its second opinions."""
    from digits.reading import MODELS, SECOND_OPINIONS
    return [os.path.join(MODELS, 'numbers')] + [os.path.join(MODELS, n) for n in SECOND_OPINIONS]


@needs_mnist
def test_second_opinions_read_only_where_the_first_run_is_unsure():
    """Lines the first run is sure of read as by it alone, and the other runs
    are not even loaded; the others are read by the average of all runs."""
    from digits import session
    session.quiet_tensorflow()
    from digits import data, number_training
    from digits.number_model import NumberModel
    runs = shipped_runs()
    model = NumberModel(runs)
    assert model.prefixes[1:] == [tf_prefix(r) for r in runs[1:]] and not built(model)
    crops = number_training.by_digit(*data.load(mnist_dir())['validation'])
    rng = np.random.default_rng(3)
    lines = [synthesise(crops, rng)[0] for _ in range(60)]
    first = model.first.frames(lines)
    sure = [ctc.greedy_is_likeliest(p) for p in first]
    assert 0 < sum(sure) < len(lines)        # both kinds are there to test
    model.read([line for line, s in zip(lines, sure) if s])
    assert not built(model)                  # nothing unsure: no second opinion built
    read = model.read(lines)
    assert built(model) == len(runs) - 1
    given = {}                               # what each later run is given to read
    later = [opinion.run() for opinion in model.opinions]
    for run in later:
        def frames(batch, run=run, plain=run.frames):
            given.setdefault(id(run), []).append(batch)
            return plain(batch)
        run.frames = frames
    again = model.read(lines)                # read again, what each later run is given recorded
    assert [[d for d, _, _ in r] for r in again] == [[d for d, _, _ in r] for r in read]
    unsure = [line for line, s in zip(lines, sure) if not s]
    for run in later:
        assert len(given[id(run)]) == 1 and all(a is b for a, b in zip(given[id(run)][0], unsure))
        assert len(given[id(run)][0]) == len(unsure)
    alone = [NumberModel(r).first.frames(lines) for r in runs[1:]]
    for line_read, s, p, *others in zip(read, sure, first, *alone):
        want = ctc.decode(p if s else (p + sum(others)) / len(runs))
        assert [d for d, _, _ in line_read] == [d for d, _, _ in want]
        assert all(np.allclose(a[1], b[1], atol=1e-6) for a, b in zip(line_read, want))
    # and where they differ, the average is not the first run's reading
    assert any([d for d, _, _ in r] != [d for d, _, _ in ctc.decode(p)] for r, p in zip(read, first))


def built(model):
    """How many of the model's second opinions have had their graphs built."""
    return sum(opinion.built is not None for opinion in model.opinions)


def tf_prefix(folder):
    from digits.checkpoints import resolve
    return resolve(folder, 2)


def test_a_second_opinion_missing_mismatched_or_corrupt_is_refused_at_once(tmp_path):
    """Refused before anything is read, though it would be restored only when needed."""
    picture = os.path.join(ROOT, 'samples', '7.png')
    numbers = os.path.join(ROOT, 'models', 'numbers')
    cut = tmp_path / 'cut'
    cut.mkdir()
    for name in os.listdir(numbers):
        if os.path.isfile(os.path.join(numbers, name)):
            data = open(os.path.join(numbers, name), 'rb').read()
            (cut / name).write_bytes(data[:len(data) // 2] if '.data-' in name else data)
    for wrong, says in [(os.path.join(ROOT, 'models', 'model_2'), 'expected the number reader'),
                        (tmp_path / 'none', 'no checkpoint at'), (cut, 'corrupt checkpoint')]:
        refused = run('predict_2.py', '--number-model', numbers, '--number-model', wrong, picture)
        assert refused.returncode == 1 and 'Traceback' not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and says in refused.stderr


def test_the_shipped_reader_has_its_second_opinions():
    from digits import Reader
    assert Reader(2).numbers.prefixes == [tf_prefix(r) for r in shipped_runs()]


@quick
def test_a_second_opinion_without_a_model_is_left_out(tmp_path, monkeypatch):
    """A seed folder whose training was stopped before it saved (resume/ only) is no run."""
    from digits import reading
    for name in ('numbers', 'numbers-seed1', 'numbers-seed2'):
        (tmp_path / name / 'resume').mkdir(parents=True)
    for name in ('numbers', 'numbers-seed2'):
        (tmp_path / name / 'checkpoint').write_text('model_checkpoint_path: "model.ckpt-1"\n')
    monkeypatch.setattr(reading, 'MODELS', str(tmp_path))
    assert reading.shipped_number_reader() == [str(tmp_path / 'numbers'), str(tmp_path / 'numbers-seed2')]


def number_picture(text, marks, seed, path):
    """A number of MNIST test digits with separators `marks` (between[k] before digit k),
    dark ink on light paper, saved at `path`."""
    from digits.data import load
    from digits.number_synth import by_digit, paste, shaped
    images, labels = load(mnist_dir())['test']
    crops = by_digit(images, labels)
    rng = np.random.default_rng(seed)
    pieces, x = [], 0
    for k, digit in enumerate(text):
        if marks[k]:
            from digits.number_synth import draw_separator
            sep = draw_separator(marks[k], 22, 2, rng)
            pieces.append((sep, x, 0))
            x += sep.shape[1] + 4
        crop = crops[int(digit)][rng.integers(len(crops[int(digit)]))]
        d = shaped(crop, 22, 1.0, 0.0)
        pieces.append((d, x, 0))
        x += d.shape[1] + 3
    ink, _ = paste(pieces)
    Image.fromarray((255 - ink * 200).astype(np.uint8)).resize((ink.shape[1] * 3, ink.shape[0] * 3)).save(path)
    return str(path)


@needs_mnist
def test_numbers_with_and_without_separators_read_as_their_digits(tmp_path):
    cases = [('2026', [''] * 4), ('1990', ['', '.', '', '']), ('350', ['', '', '', '']),
             ('12500', ['', '', '.', '', '']), ('1205', ['', '', '/', ''])]
    paths = [number_picture(t, m + [''], i, tmp_path / f'{i}.png') for i, (t, m) in enumerate(cases)]
    result = run('predict_2.py', '--json', *paths)
    assert result.returncode == 0, result.stderr
    read = [json.loads(line) for line in result.stdout.splitlines()]
    right = [r['result'] == t for r, (t, _) in zip(read, cases)]
    assert sum(right) >= 4, [(r['result'], t) for r, (t, _) in zip(read, cases)]
    for r in read:
        assert r['result'].isdigit()
        assert all(len(d['probabilities']) == 10 and abs(sum(d['probabilities']) - 1) < 0.01
                   for d in r['digits'])
    single = run('predict_2.py', '--single', paths[0])
    assert single.returncode == 0 and len(single.stdout.strip()) == 1


def test_number_model_option_chooses_the_number_reader(tmp_path):
    """--number-model: the shipped first run named reads a digit its first
    run is sure of as the default does (no second opinion asked); a digit
    checkpoint or a missing folder is one clear line and exit 1."""
    picture = os.path.join(ROOT, 'samples', '7.png')
    default = run('predict_2.py', '--json', picture)
    named = run('predict_2.py', '--json', '--number-model', os.path.join(ROOT, 'models', 'numbers'), picture)
    assert default.returncode == named.returncode == 0 and named.stdout == default.stdout
    for wrong, says in [(os.path.join(ROOT, 'models', 'model_2'), 'expected the number reader'),
                        (tmp_path / 'none', 'no checkpoint at')]:
        refused = run('predict_2.py', '--number-model', wrong, picture)
        assert refused.returncode == 1 and 'Traceback' not in refused.stderr
        assert refused.stderr.strip().splitlines() == [refused.stderr.strip()] and says in refused.stderr


def test_single_does_not_load_the_number_reader(tmp_path):
    """--single reads one digit with the CNN alone: the number reader is not
    loaded (it would only slow the start), so even a missing one is no error."""
    picture = os.path.join(ROOT, 'samples', '7.png')
    single = run('predict_2.py', '--single', '--number-model', tmp_path / 'none', picture)
    assert single.returncode == 0 and single.stdout.strip() == '7', single.stderr
    from digits import Reader
    assert Reader(2, numbers=False).numbers is None
    assert Reader(2).numbers is not None


@needs_mnist
def test_training_command_stops_on_ctrl_c_keeps_the_model_and_resumes(tmp_path):
    """create_model_2.py --numbers: Ctrl-C saves the state and says how to
    go on, the model that was there is untouched; --resume finishes the run."""
    folder = tmp_path / 'numbers'
    quick_run = ['--numbers', '--model', folder, '--batch-size', 4, '--validation', 10]
    first = run('create_model_2.py', *quick_run, '--steps', 20)
    assert first.returncode == 0, first.stderr
    assert 'numbers read exactly' in first.stdout
    before = {p: open(p, 'rb').read() for p in glob.glob(str(folder / '*')) if os.path.isfile(p)}
    args = [sys.executable, 'create_model_2.py', *map(str, quick_run), '--steps', '600', '--eval-every', '50']
    # a crash says where (one run of the suite, 2026-12-07, ended here by SIGSEGV, not seen again)
    env = dict(os.environ, MNIST_DATA_DIR=os.path.abspath(mnist_dir()), PYTHONFAULTHANDLER='1')
    with ctrl_c_reaches_children():
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:            # wait until it is really training
        if line.startswith('step '):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert 'interrupted at step' in err and '--resume' in err and 'Traceback' not in err
    after = {p: open(p, 'rb').read() for p in glob.glob(str(folder / '*')) if os.path.isfile(p)}
    assert after == before
    resumed = run('create_model_2.py', *quick_run, '--steps', 600, '--eval-every', 50, '--resume')
    assert resumed.returncode == 0, resumed.stderr
    assert 'resuming from step' in resumed.stdout and 'replaced the model' in resumed.stdout
    assert os.path.isdir(folder / 'previous') and not os.path.isdir(folder / 'resume')


@needs_mnist
def test_training_command_trains_the_date_reader_into_its_own_folder(tmp_path):
    from digits.train_cli import parse_numbers_args
    assert os.path.normpath(parse_numbers_args(['--numbers', '--dates']).model).endswith(
        os.path.join('models', 'dates'))
    assert os.path.normpath(parse_numbers_args(['--numbers']).model).endswith(os.path.join('models', 'numbers'))
    folder = tmp_path / 'dates'
    made = run('create_model_2.py', '--numbers', '--dates', '--model', folder, '--batch-size', 4,
               '--validation', 10, '--steps', 5)
    assert made.returncode == 0, made.stderr
    assert 'numbers read exactly' in made.stdout and os.path.isfile(folder / 'checkpoint')


def test_training_command_bad_options_and_nothing_to_resume(tmp_path):
    bad = run('create_model_2.py', '--numbers', '--steps', 0)
    assert bad.returncode == 2 and 'must be a positive number' in bad.stderr
    nothing = run('create_model_2.py', '--numbers', '--model', tmp_path / 'n', '--resume')
    if mnist_dir() is None:
        pytest.skip('MNIST not found: the run stops before it looks for the state')
    assert nothing.returncode == 1 and 'Traceback' not in nothing.stderr
    assert nothing.stderr.strip().splitlines()[-1].startswith('error: nothing to resume in')
