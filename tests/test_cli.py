"""predict_2.py as a user runs it: what it prints for files, folders, globs and
each option, --evaluate's report, and how well it reads written numbers.

Every test runs the real script in a fresh process (conftest.run). Apart from
test_one_file_prints_only_the_digit, which uses the default model folder, the
tests read with a copy of models/model_2 taken once per session, so a
training run replacing the shipped model mid-session cannot change answers
between tests. Pictures are drawn by tests/synth.py; nothing is committed.
"""
import csv
import json
import os
import re
import shutil
import time

import pytest
from PIL import Image

import synth
from conftest import ROOT, run

SCRIPT = 'predict_2.py'


# ------------------------------------------------------------------ helpers

@pytest.fixture(scope='session')
def model(tmp_path_factory):
    """A copy of models/model_2's current checkpoint (retried if a training
    run replaces it while we copy)."""
    source = os.path.join(ROOT, 'models', 'model_2')
    for _ in range(5):
        dest = tmp_path_factory.mktemp('model_2')
        try:
            with open(os.path.join(source, 'checkpoint')) as f:
                prefix = re.search(r'^model_checkpoint_path: "([^"]+)"', f.read(), re.M).group(1)
            prefix = os.path.basename(prefix)
            files = [n for n in os.listdir(source) if n.startswith(prefix + '.')]
            if not any(n.endswith('.index') for n in files):
                raise FileNotFoundError(prefix)
            for n in files:
                shutil.copy2(os.path.join(source, n), dest / n)
            (dest / 'checkpoint').write_text(f'model_checkpoint_path: "{prefix}"\n'
                                             f'all_model_checkpoint_paths: "{prefix}"\n')
            return str(dest)
        except (FileNotFoundError, AttributeError):
            time.sleep(1)
    pytest.skip('models/model_2 holds no complete checkpoint')


def predict(model, *args):
    """Run predict_2.py with the session's model copy; assert it succeeded."""
    result = run(SCRIPT, '--model', model, *args)
    assert result.returncode == 0, result.stderr
    return result


def tab_lines(stdout):
    return [tuple(line.split('\t')) for line in stdout.splitlines()]


def save(img, path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    img.save(path)
    return str(path)


def sample(name):
    return os.path.join('samples', name)


# ------------------------------------------------------------------ inputs

def test_one_file_prints_only_the_digit():
    result = run(SCRIPT, sample('7.png'))            # the shipped model, default path
    assert result.returncode == 0, result.stderr
    assert result.stdout == '7\n'


def test_several_files_print_path_and_digit_in_input_order(model):
    paths = [sample('9.png'), sample('0.png'), sample('5.png'), sample('3_thin.png')]
    result = predict(model, *paths)
    assert tab_lines(result.stdout) == [(p, os.path.basename(p)[0]) for p in paths]


def test_folder_is_read_recursively_in_sorted_order(model, tmp_path):
    root = tmp_path / 'pictures'
    save(synth.clean(2), root / '2.png')
    save(synth.clean(7), root / 'a_dir' / '7.png')
    save(synth.clean(0), root / 'sub' / '0.png')
    save(synth.clean(5), root / 'sub' / 'deeper' / '5.png')
    (root / 'sub' / 'notes.txt').write_text('not a picture')
    result = predict(model, root)
    expected = [(str(root / rel), digit) for rel, digit in
                [('2.png', '2'), ('a_dir/7.png', '7'), ('sub/0.png', '0'),
                 ('sub/deeper/5.png', '5')]]
    assert tab_lines(result.stdout) == expected


def test_quoted_glob_is_expanded_by_the_script(model, tmp_path):
    for d in (8, 1, 4):
        save(synth.clean(d), tmp_path / f'{d}.png')
    save(synth.clean(6), tmp_path / 'other' / '6.png')          # not matched by *.png
    (tmp_path / '3.txt').write_text('not a picture')
    pattern = str(tmp_path / '*.png')                            # passed literally, no shell
    result = predict(model, pattern)
    assert tab_lines(result.stdout) == [(str(tmp_path / f'{d}.png'), str(d)) for d in (1, 4, 8)]


def test_help():
    result = run(SCRIPT, '--help')
    assert result.returncode == 0
    assert 'usage' in result.stdout.lower()
    assert '--evaluate' in result.stdout


# ------------------------------------------------------------------ options

def test_json_lines(model, tmp_path):
    number = save(synth.number('305'), tmp_path / 'number.png')
    paths = [sample('7.png'), sample('2_transparent.png'), number]
    result = predict(model, '--json', *paths)
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o['path'] for o in objects] == paths
    assert [o['result'] for o in objects] == ['7', '2', '305']
    for o in objects:
        assert {'path', 'result', 'confidence', 'digits'} <= set(o)
        assert o['uncertain'] is False
        assert len(o['digits']) == len(o['result'])
        for d, text in zip(o['digits'], o['result']):
            probs = d['probabilities']
            assert len(probs) == 10
            assert sum(probs) == pytest.approx(1, abs=2e-3)
            assert d['digit'] == int(text) == probs.index(max(probs))
            assert d['confidence'] == pytest.approx(max(probs), abs=1e-4)
        assert o['confidence'] == pytest.approx(min(d['confidence'] for d in o['digits']))


def test_top_k(model):
    result = predict(model, '--top-k', '3', sample('7.png'))
    pairs = [pair.split(':') for pair in result.stdout.split()]
    assert len(pairs) == 3
    digits = [int(d) for d, _ in pairs]
    probs = [float(p) for _, p in pairs]
    assert digits[0] == 7 and len(set(digits)) == 3
    assert probs == sorted(probs, reverse=True)
    assert all(0 <= p <= 1 for p in probs) and sum(probs) <= 1.001


@pytest.mark.parametrize('args, message', [
    (['--top-k', '3', sample('7.png')], "not with --top-k, which prints each digit's choices"),
    (['--serve', '--port', '0'], 'not with --serve, which answers digits only'),
    (['--evaluate', 'samples'], 'not with --evaluate, whose labels are digits only'),
], ids=['top_k', 'serve', 'evaluate'])
def test_separators_with_an_option_that_would_ignore_them_is_a_usage_error(args, message):
    """--separators with an option that prints no number as written was
    ignored without a word; it is refused before anything is read (or served:
    a timeout, not a hang, if it were not)."""
    result = run(SCRIPT, '--separators', *args, timeout=120)
    assert result.returncode == 2 and 'Traceback' not in result.stderr, result.stderr
    assert result.stderr.strip().splitlines()[-1] == \
        f'{SCRIPT}: error: --separators prints the number as written: {message}'
    assert result.stdout == ''


@pytest.mark.quick
def test_separators_with_json_and_top_k_is_taken():
    """--json ignores --top-k and prints the number as written with
    --separators, so the three together are no usage error."""
    from digits.predict_cli import parse_args
    args = parse_args(2, ['--json', '--top-k', '3', '--separators', sample('7.png')])
    assert args.separators and args.json and args.top_k == 3


def test_min_confidence_one_prints_question_mark(model):
    result = predict(model, '--min-confidence', '1.0', sample('7.png'))
    assert result.stdout == '?\n'


def test_min_confidence_one_in_json_is_uncertain(model):
    result = predict(model, '--json', '--min-confidence', '1.0', sample('7.png'))
    o = json.loads(result.stdout)
    assert o['result'] == '?' and o['uncertain'] is True
    assert o['digits'][0]['digit'] == 7                # the guess is still reported


def test_save_prepared_writes_a_280px_picture_per_input(model, tmp_path):
    out = tmp_path / 'prepared'
    predict(model, '--save-prepared', out, sample('4.png'), sample('5_photo.jpg'))
    assert sorted(os.listdir(out)) == ['4.png', '5_photo.png']
    for name in ('4.png', '5_photo.png'):
        with Image.open(out / name) as img:
            assert img.format == 'PNG' and img.size == (280, 280)
            assert img.getextrema()[1] > 200            # the digit is there, light on black


def test_single_reads_a_number_as_one_digit(model, tmp_path):
    path = save(synth.number('47'), tmp_path / '47.png')      # read as '47' without --single
    assert re.fullmatch(r'\d\n', predict(model, '--single', path).stdout)


def test_numbers_one_under_another_are_read_a_row_at_a_time(model, tmp_path):
    path = save(synth.rows(['4071', '2385']), tmp_path / 'rows.png')   # read 3335 as one row
    assert predict(model, path).stdout == '4071 2385\n'
    o = json.loads(predict(model, '--json', path).stdout)
    assert o['result'] == '4071 2385'
    assert [(d['digit'], d['row']) for d in o['digits']] == [(int(c), 0) for c in '4071'] + [(int(c), 1) for c in '2385']
    top = predict(model, '--top-k', '1', path).stdout.strip()
    assert [[pair.split(':')[0] for pair in row.split(' | ')] for row in top.split(' || ')] == [list('4071'), list('2385')]
    assert re.fullmatch(r'\d\n', predict(model, '--single', path).stdout)


def test_numbers_written_joined_up_one_under_another_are_read_a_row_at_a_time(model, tmp_path):
    # Each number's digits all touch: one piece a row (read 983 and 3 before).
    two = save(synth.rows(['6483', '71256'], touching=True), tmp_path / 'two.png')
    three = save(synth.rows(['943', '3030', '75689'], touching=True), tmp_path / 'three.png')
    assert predict(model, two, three).stdout == f'{two}\t6483 71256\n{three}\t943 3030 75689\n'


def test_a_number_or_digit_circled_or_boxed_reads_without_the_shape(model, tmp_path):
    circled = save(synth.drawn_round('2026', 'ellipse', room=5), tmp_path / 'circled.png')
    boxed = save(synth.drawn_round('2026', 'box'), tmp_path / 'boxed.png')     # read 6023 and 120261 before
    assert predict(model, circled, boxed).stdout == f'{circled}\t2026\n{boxed}\t2026\n'
    seven = save(synth.circled(7), tmp_path / 'seven.png')                     # read 0 before
    assert predict(model, '--single', seven).stdout == '7\n'


def test_a_number_photographed_askew_is_read_level(model, tmp_path):
    paths = []
    for angle in (30, -40):                          # read 010 and 90 before
        img = synth.number('40718').rotate(angle, Image.BICUBIC, expand=True, fillcolor='white')
        paths.append(save(img, tmp_path / f'tilted{angle}.png'))
    assert predict(model, *paths).stdout == ''.join(f'{p}\t40718\n' for p in paths)


def test_a_number_on_a_sticky_note_on_a_desk_is_read_from_the_note(model, tmp_path):
    paths = [synth.note_on_desk(text, str(tmp_path)) for text in ('2026', '7')]   # read 1 and 0 before
    assert predict(model, *paths).stdout == f'{paths[0]}\t2026\n{paths[1]}\t7\n'


def test_a_small_number_on_a_notebook_page_in_uneven_light_is_read(model, tmp_path):
    paths = [synth.number_in_a_notebook(text, str(tmp_path)) for text in ('65845', '461')]   # read 1 before
    assert predict(model, *paths).stdout == f'{paths[0]}\t65845\n{paths[1]}\t461\n'


# ------------------------------------------------------------------ --evaluate

def matrix_row(digit, counts):
    """The confusion-matrix line --evaluate prints for truth `digit`."""
    return f'  {digit}: ' + ' '.join(f'{counts.get(g, 0):4d}' for g in range(10))


def test_evaluate_with_labels_csv_and_report(model, tmp_path):
    folder = tmp_path / 'labelled'
    pictures = [(f'clean_{d}.png', synth.clean(d), d) for d in range(10)]
    pictures += [('uncropped_3.png', synth.uncropped(3), 3),
                 ('inverse_7.png', synth.white_on_black(7), 7)]
    rows = []
    for name, img, d in pictures:
        save(img, folder / name)
        rows.append({'filename': name, 'label': 9 if d == 4 else d})   # the 4 is labelled 9
    # a file name starting with a digit: labels.csv wins over it
    save(synth.clean(1), folder / '6_named_six.png')
    rows.append({'filename': '6_named_six.png', 'label': 1})
    with open(folder / 'labels.csv', 'w', newline='') as f:
        writer = csv.DictWriter(f, ['filename', 'label'])
        writer.writeheader()
        writer.writerows(rows)
    report = tmp_path / 'misses.png'
    result = predict(model, '--evaluate', folder, '--report', report)
    lines = result.stdout.splitlines()
    assert lines[0] == 'accuracy 0.9231 (12/13)'
    assert lines[1:11] == ['  digit 0: 1.0000 (1/1)',
                           '  digit 1: 1.0000 (2/2)',
                           '  digit 2: 1.0000 (1/1)',
                           '  digit 3: 1.0000 (2/2)',            # no line for digit 4
                           '  digit 5: 1.0000 (1/1)',
                           '  digit 6: 1.0000 (1/1)',
                           '  digit 7: 1.0000 (2/2)',
                           '  digit 8: 1.0000 (1/1)',
                           '  digit 9: 0.5000 (1/2)',
                           'confusion matrix (rows: truth, columns: guess)']
    assert lines[11] == '        0    1    2    3    4    5    6    7    8    9'
    assert lines[12:22] == [
        '  0:    1    0    0    0    0    0    0    0    0    0',
        '  1:    0    2    0    0    0    0    0    0    0    0',
        '  2:    0    0    1    0    0    0    0    0    0    0',
        '  3:    0    0    0    2    0    0    0    0    0    0',
        '  4:    0    0    0    0    0    0    0    0    0    0',
        '  5:    0    0    0    0    0    1    0    0    0    0',
        '  6:    0    0    0    0    0    0    1    0    0    0',
        '  7:    0    0    0    0    0    0    0    2    0    0',
        '  8:    0    0    0    0    0    0    0    0    1    0',
        '  9:    0    0    0    0    1    0    0    0    0    1']
    assert lines[22:] == ['misses (path, truth, guess):',
                          f'  {folder / "clean_4.png"}\t9\t4',
                          f'report written to {report}']
    with Image.open(report) as img:
        img.load()
        assert img.format == 'PNG' and img.size == (800, 120)   # one row of 4 cells of 200x120


def test_evaluate_with_digit_folders(model, tmp_path):
    folder = tmp_path / 'train'
    save(synth.clean(3), folder / '3' / 'a.png')
    save(synth.uncropped(3), folder / '3' / 'b.png')
    save(synth.clean(8), folder / '8' / 'c.png')
    save(synth.clean(5), folder / '5' / '7_odd_name.png')     # the folder's digit wins
    save(synth.clean(2), folder / 'unsorted' / 'x.png')        # no label: not counted
    result = predict(model, '--evaluate', folder)
    lines = result.stdout.splitlines()
    assert lines[:4] == ['accuracy 1.0000 (4/4)', '  digit 3: 1.0000 (2/2)',
                         '  digit 5: 1.0000 (1/1)', '  digit 8: 1.0000 (1/1)']
    matrix = lines[lines.index('confusion matrix (rows: truth, columns: guess)') + 2:]
    assert matrix == [matrix_row(d, {d: {3: 2, 5: 1, 8: 1}.get(d, 0)}) for d in range(10)]


def test_evaluate_with_file_names_starting_with_the_digit(model, tmp_path):
    folder = tmp_path / 'mine'
    save(synth.clean(7), folder / '7_thin.png')
    save(synth.clean(0), folder / '0.png')
    save(synth.clean(6), folder / 'more' / '6-again.png')
    save(synth.clean(1), folder / '12.png')                    # two digits: not a label
    save(synth.clean(9), folder / 'notes.png')                 # no label: not counted
    result = predict(model, '--evaluate', folder)
    lines = result.stdout.splitlines()
    assert lines[:4] == ['accuracy 1.0000 (3/3)', '  digit 0: 1.0000 (1/1)',
                         '  digit 6: 1.0000 (1/1)', '  digit 7: 1.0000 (1/1)']
    matrix = lines[lines.index('confusion matrix (rows: truth, columns: guess)') + 2:]
    assert matrix == [matrix_row(d, {d: int(d in (0, 6, 7))}) for d in range(10)]


# ------------------------------------------------------------------ numbers

# 20 fixed numbers of 2 to 6 digits (four of each length).
NUMBERS = synth.numbers(20, [2, 3, 4, 5, 6], seed=2024)

# Share of NUMBERS read exactly right, per kind of picture. Measured with
# models/model_2 (model.ckpt-5148 with its touching-digits head, 2026-11-25,
# `python bench/read_numbers.py`): plain, broken and ruled 20/20 each;
# touching 11/20 (12/20 with the head's first version, which asked only
# whether a piece holds several digits; 8/20 when cuts were decided by
# confidence bars alone, 5/20 with cuts spaced evenly, 2/20 with a single
# aspect-ratio guess).
# The thresholds leave room for at least one number more read wrong than measured,
# so that a borderline cut decided differently on another CPU's arithmetic
# does not fail the test. Raise them when segmentation improves.
MIN_ACCURACY = {'plain': 0.9, 'broken': 0.9, 'ruled': 0.9, 'touching': 0.5}


@pytest.fixture(scope='module')
def number_pictures(tmp_path_factory):
    folder = tmp_path_factory.mktemp('numbers')
    out = {}
    for kind in MIN_ACCURACY:
        options = {} if kind == 'plain' else {kind: True}
        out[kind] = [save(synth.number(n, **options), folder / kind / f'{i:02d}_{n}.png')
                     for i, n in enumerate(NUMBERS)]
    return out


@pytest.mark.parametrize('kind', list(MIN_ACCURACY))
def test_numbers(model, number_pictures, kind):
    paths = number_pictures[kind]
    result = predict(model, *paths)                            # one call for all of a kind
    read = tab_lines(result.stdout)
    assert [p for p, _ in read] == paths
    misses = [(n, text) for n, (_, text) in zip(NUMBERS, read) if text != n]
    accuracy = 1 - len(misses) / len(NUMBERS)
    print(f'{kind}: {len(NUMBERS) - len(misses)}/{len(NUMBERS)} numbers read exactly')
    assert accuracy >= MIN_ACCURACY[kind], f'{kind}: {accuracy:.2f}, misses (truth, read): {misses}'


@pytest.mark.parametrize('ticks, line', [(False, 2), (True, 5), (False, 5)])
def test_numbers_in_a_forms_cells(model, tmp_path, ticks, line):
    """A form's row of cells: its walls are the paper's, not 1s between the
    digits. Read 20/20 in each case (2026-12-07); before digits.clean.form_cells,
    1/20 in cells of 2 px lines, 2/20 on ticks of 5 px, 0/20 in cells of 5 px."""
    paths = [save(synth.in_cells(n, ticks=ticks, line=line), tmp_path / f'{i:02d}_{n}.png')
             for i, n in enumerate(NUMBERS)]
    read = tab_lines(predict(model, *paths).stdout)
    misses = [(n, text) for n, (_, text) in zip(NUMBERS, read) if text != n]
    assert len(read) == len(NUMBERS) and len(misses) <= 2, misses


def test_save_prepared_keeps_pictures_with_the_same_name_apart(model, tmp_path):
    for folder, digit in (('a', '7'), ('b', '3')):
        (tmp_path / folder).mkdir()
        shutil.copy(sample(f'{digit}.png'), tmp_path / folder / 'x.png')
    out = tmp_path / 'prepared'
    predict(model, '--save-prepared', out, tmp_path / 'a', tmp_path / 'b')
    assert sorted(os.listdir(out)) == ['a_x_png.png', 'b_x_png.png']


def test_evaluate_refuses_a_bad_labels_csv(model, tmp_path):
    (tmp_path / 'labels.csv').write_text('filename,label\n7.png,seven\n')
    result = run('predict_2.py', '--model', model, '--evaluate', tmp_path)
    assert result.returncode == 1 and 'Traceback' not in result.stderr
    assert result.stderr.strip() == f'error: {tmp_path}/labels.csv line 2: expected filename,label with a digit 0-9'


@pytest.mark.parametrize('script', ['predict_1.py', 'predict_2.py'])
def test_shipped_models_read_every_sample(script):
    """Right after install, with no training: every sample, by its file name."""
    result = run(script, 'samples')
    assert result.returncode == 0, result.stderr
    lines = tab_lines(result.stdout)
    assert len(lines) >= 14
    wrong = [(path, digit) for path, digit in lines if os.path.basename(path)[0] != digit]
    if script == 'predict_2.py':
        assert wrong == []
    else:   # the linear model of the beginners' tutorial: 13 of 14 measured
        assert len(wrong) <= 2, wrong


def niceness(path, single=False, separators=False):
    return os.nice(0)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason='workers are used only with 2 or more cores')
def test_preparing_workers_yield_to_the_main_process(monkeypatch):
    """Many pictures are prepared in worker processes while the main process
    imports TensorFlow, which everything waits for: the workers run at a
    lower priority so that the import is not slowed down."""
    from digits import preparing
    monkeypatch.setattr(preparing, 'prepare_one', niceness)
    pool = preparing.start_workers(16)
    try:
        results = list(preparing.prepare_in_background(pool, [f'{i}.png' for i in range(16)], False))
    finally:
        pool.terminate()
    assert results == [min(19, os.nice(0) + 10)] * 16


@pytest.mark.quick
def test_reading_in_batches_as_pictures_arrive_gives_each_digit_its_own_reading(monkeypatch):
    """Digits are read a batch at a time as pictures arrive, and the wide
    ones taken for several digits are cut afterwards: whatever the batch
    size, every picture gets its own digits and error entries stay in place.
    A stretched scan's widths are read as one digit, by their average."""
    import numpy as np
    from digits import pieces, reading

    class Fake:
        """Reads the digit in the image's first pixel (times 10), as surely
        as its second pixel says; takes it for several digits as its third says."""
        def read(self, images):
            images = np.asarray(images).reshape(-1, 28, 28)
            probs = np.tile(((1 - images[:, 0, 1]) / 9)[:, None], (1, 10))
            probs[np.arange(len(images)), np.round(images[:, 0, 0] * 10).astype(int)] = images[:, 0, 1]
            return probs, images[:, 0, 2], np.ones(len(images))

    def image(digit, sureness, several=0.0):
        img = np.zeros((28, 28), np.float32)
        img[0, :3] = digit / 10, sureness, several
        return img

    def cut_candidates(piece):      # the piece holds the two digits it was written from
        return [image(d, 0.99) for d in piece[0]], [(0, 1)]
    monkeypatch.setattr(pieces, 'cut_candidates', cut_candidates)

    rng = np.random.default_rng(0)
    prepared, expected = [], []
    for i in range(40):
        if i % 7 == 3:
            prepared.append(f'{i}.png: no digit found')
            expected.append(prepared[-1])
            continue
        entries, digits = [], []
        for d in rng.integers(0, 10, 1 + i % 3):
            r = rng.random()
            if r < 0.4:      # two touching digits, taken for several as a whole
                pair = tuple(int(x) for x in rng.integers(0, 10, 2))
                entries.append((image(d, 0.5, several=0.9), (pair, None, 2.0)))   # twice as wide as tall
                digits += pair
            elif r < 0.6:    # a stretched scan: three widths, two read as d
                other = (d + 1) % 10
                entries.append((np.stack([image(other, 0.9), image(d, 0.9), image(d, 0.9)]), None))
                digits.append(int(d))
            else:            # a wide digit, read unsurely, but taken for one
                entries.append((image(d, 0.5), ((d, d), None, 1.5)))
                digits.append(int(d))
        prepared.append(entries)
        expected.append(digits)
    for batch in (1, 3, 20, 256):
        results = reading.read_all(Fake(), iter(prepared), batch=batch)
        assert [r if isinstance(r, str) else [int(p.argmax()) for _, p in r] for r in results] \
            == expected
        assert all(img.shape == (28, 28) for r in results if not isinstance(r, str) for img, _ in r)


@pytest.mark.quick
def test_a_piece_is_cut_only_when_the_model_takes_it_for_several_digits(monkeypatch):
    """Preparing the parts a piece could be cut into costs more than the
    digit itself, so it is done only when the model's head says the piece
    is more likely several digits than one, however unsurely the whole is read."""
    import numpy as np
    from digits import pieces, reading

    class Fake:
        """Reads every image as a 3, barely; takes it for several digits as its first pixel says."""
        def read(self, images):
            images = np.asarray(images).reshape(-1, 28, 28)
            probs = np.full((len(images), 10), 0.6 / 9, np.float32)
            probs[:, 3] = 0.4
            return probs, images[:, 0, 0], np.ones(len(images))

    cut = []

    def cut_candidates(piece):
        cut.append(piece)
        return [np.full((28, 28), 0.0, np.float32)] * 2, [(0, 1)]
    monkeypatch.setattr(pieces, 'cut_candidates', cut_candidates)
    piece = (np.ones((30, 40), np.float32), np.ones((30, 40), bool), 40 / 30)

    def entries(several):
        return [[(np.full((28, 28), several, np.float32), piece)]]
    assert len(reading.read_all(Fake(), entries(0.49))[0]) == 1 and cut == []
    assert len(reading.read_all(Fake(), entries(0.51))[0]) == 1 and cut == [piece]   # parts read unsurely

    class SureOfParts(Fake):
        """Reads every image as a 3, surely."""
        def read(self, images):
            return np.eye(10)[[3] * len(images)], np.asarray(images)[:, 0, 0], np.ones(len(images))
    assert len(reading.read_all(SureOfParts(), entries(0.9))[0]) == 2     # parts read surely: cut


def test_a_model_without_a_touching_digits_head_reads_touching_digits_as_one(model, tmp_path):
    """A model trained before models had the head still reads, with a note
    saying how to get touching digits cut."""
    import tensorflow as tf
    from digits import checkpoints, networks
    old = tmp_path / 'old'
    with tf.Graph().as_default():
        net = networks.convnet()
        with tf.compat.v1.Session() as sess:
            checkpoints.restore(sess, net, model, 2)
            tf.compat.v1.train.Saver(net.weights).save(sess, str(old / 'model.ckpt-1'))
    picture = save(synth.number('47', touching=True), tmp_path / 'n.png')
    assert predict(model, picture).stdout.strip() == '47'
    result = predict(str(old), picture, sample('3.png'))
    assert [len(digits) for _, digits in tab_lines(result.stdout)] == [1, 1]
    assert result.stderr.strip().splitlines() == [
        f'note: {old}/model.ckpt-1 was saved before models learnt to tell touching digits apart, '
        'so they are read as one; train it again with python create_model_2.py']
    assert predict(str(old), '--single', picture).stderr == ''


# ------------------------------------------------------------------ Ctrl-C

@pytest.mark.parametrize('delay', [1.5, 6.0])
def test_ctrl_c_stops_with_one_line_and_no_traceback(model, tmp_path, delay):
    """Ctrl-C reaches every process in the terminal's foreground group: the
    main one (importing TensorFlow or reading) and the workers preparing
    pictures. The run must stop with one line, not a traceback per process."""
    import signal
    import subprocess
    import sys
    from conftest import ctrl_c_reaches_children, user_env
    folder = tmp_path / 'many'
    folder.mkdir()
    for i in range(8000):   # more than a fast machine reads in the longer delay
        os.symlink(os.path.join(ROOT, sample(f'{i % 10}.png')), folder / f'{i:04d}.png')
    with ctrl_c_reaches_children():
        proc = subprocess.Popen([sys.executable, os.path.join(ROOT, SCRIPT), '--model', model, folder],
                                cwd=ROOT, env=user_env(), start_new_session=True, text=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert 'Traceback' not in stderr
    assert stderr.strip().splitlines() == ['interrupted']


# ------------------------------------------------------------------ closed pipe

@pytest.mark.parametrize('option, lines_read', [('--json', 1), ('--evaluate', 0), ('--help', 0)])
def test_output_piped_into_head_stops_quietly(model, tmp_path, option, lines_read):
    """`predict_2.py --json folder | head -1`: the reader closes the pipe
    after one line (or before any), and the run stops without a traceback
    (exit 141, as if by SIGPIPE), whether it finds the pipe closed while
    printing or at its last flush (--evaluate and --help print a few lines
    at the end). Output is buffered, as in a user's shell."""
    import subprocess
    import sys
    from conftest import user_env
    for i in range(600):     # 145 kB of JSON lines: more than a pipe holds (64 kB)
        shutil.copy(os.path.join(ROOT, sample(f'{i % 10}.png')), tmp_path / f'{i % 10}_{i:03d}.png')
    env = {k: v for k, v in user_env().items() if k != 'PYTHONUNBUFFERED'}
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, SCRIPT), '--model', model,
                             option, str(tmp_path)],
                            cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = [proc.stdout.readline() for _ in range(lines_read)]
    proc.stdout.close()
    proc.stdout = None          # so that communicate reads stderr only
    _, stderr = proc.communicate(timeout=120)
    assert all(line.strip() for line in lines)
    assert 'Traceback' not in stderr and 'Exception ignored' not in stderr, stderr
    assert proc.returncode == 141, stderr
