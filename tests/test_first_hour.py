"""A new user's first hour (issue 24): each rough edge they hit, as a test.

Each runs the real script as a user would and checks the one-line message,
the exit status and that no traceback is shown.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, mnist_dir, needs_mnist, run, user_env

SAMPLES = os.path.join(ROOT, 'samples')


@pytest.fixture
def mine(tmp_path):
    """A labelled folder of two of the samples, as a user makes one."""
    folder = tmp_path / 'mine'
    folder.mkdir()
    for name in ('7.png', '3.png'):
        shutil.copy(os.path.join(SAMPLES, name), folder / name)
    (folder / 'labels.csv').write_text('filename,label\n7.png,7\n3.png,3\n')
    return folder


def one_line_error(result, code=1):
    assert result.returncode == code, result.stderr
    assert 'Traceback' not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_report_into_a_new_folder_is_written(mine, tmp_path):
    report = tmp_path / 'no' / 'such' / 'dir' / 'r.png'
    result = run('predict_2.py', '--evaluate', mine, '--report', report)
    assert result.returncode == 0, result.stderr
    assert report.is_file() and 'accuracy 1.0000 (2/2)' in result.stdout


def test_report_where_no_folder_can_be_made_is_refused_before_reading(mine, tmp_path):
    (tmp_path / 'afile').write_text('not a folder')
    result = run('predict_2.py', '--evaluate', mine, '--report', tmp_path / 'afile' / 'r.png')
    line = one_line_error(result)
    assert line.startswith(f'error: {tmp_path}/afile: cannot create this folder')
    assert result.stdout == ''     # nothing read, no summary


@pytest.mark.parametrize('name', ['misses', 'misses.xyz'])
def test_report_without_a_picture_extension_is_a_usage_error(mine, name):
    result = run('predict_2.py', '--evaluate', mine, '--report', name)
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith(
        f'argument --report: {name}: give a picture file name, such as misses.png')


def test_save_prepared_naming_a_file_is_a_usage_error(tmp_path):
    (tmp_path / 'afile').write_text('')
    result = run('predict_2.py', '--save-prepared', tmp_path / 'afile', os.path.join(SAMPLES, '7.png'))
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith(f'{tmp_path}/afile is a file, not a folder')


def test_a_labelled_file_that_is_missing_makes_the_exit_status_1(mine):
    with open(mine / 'labels.csv', 'a') as f:
        f.write('gone.png,4\n')
    result = run('predict_2.py', '--evaluate', mine)
    assert result.returncode == 1
    assert result.stderr.strip() == f'error: {mine}/gone.png: no such file'
    assert 'accuracy 0.6667 (2/3)' in result.stdout


@pytest.mark.parametrize('table', [
    '\ufefffilename,label\n7.png,7\n3.png,3\n',           # a spreadsheet's UTF-8 with BOM
    'filename, label\n7.png, 7\n 3.png ,3\n\n',             # spaces, a blank line at the end
    'label,filename\n7,7.png\n3,3.png\n',                   # columns the other way round
], ids=['bom', 'spaces', 'swapped'])
def test_labels_csv_as_a_spreadsheet_writes_it(mine, table):
    (mine / 'labels.csv').write_text(table, encoding='utf-8')
    result = run('predict_2.py', '--evaluate', mine)
    assert result.returncode == 0, result.stderr
    assert 'accuracy 1.0000 (2/2)' in result.stdout


@pytest.mark.parametrize('content, message', [
    ('filename,label\nd\xe9j\xe0.png,7\n'.encode('latin-1'), ': not UTF-8 text; save it as "CSV UTF-8"'),
    (b'name,digit\n7.png,7\n', ' line 1: expected the header filename,label'),
], ids=['latin1', 'header'])
def test_a_labels_csv_it_cannot_use_is_named_with_the_line(mine, content, message):
    (mine / 'labels.csv').write_bytes(content)
    line = one_line_error(run('predict_2.py', '--evaluate', mine))
    assert line == f'error: {mine}/labels.csv{message}'


def test_evaluate_a_folder_that_does_not_exist(tmp_path):
    line = one_line_error(run('predict_2.py', '--evaluate', tmp_path / 'nonexistent'))
    assert line == f'error: {tmp_path}/nonexistent: no such folder'


def test_the_shipped_model_is_found_from_another_folder(tmp_path):
    """Default model paths are beside the scripts, not in the current folder."""
    result = subprocess.run([sys.executable, os.path.join(ROOT, 'predict_2.py'),
                             os.path.join(SAMPLES, '7.png')],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, env=user_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '7'


@needs_mnist
def test_interrupting_a_first_run_does_not_claim_a_previous_model(tmp_path):
    from digits import train_cli, training

    def interrupt(step, sess, net, seconds):
        raise KeyboardInterrupt
    args = train_cli.parse_args(1, dict(epochs=1, batch_size=50, learning_rate=0.01),
                                ['--model', str(tmp_path / 'm2'), '--data-dir', mnist_dir(),
                                 '--steps', '20', '--eval-every', '5'])
    with pytest.raises(training.Stopped) as stop:
        training.train(args, callback=interrupt)
    assert f'no model is saved in {tmp_path}/m2/ yet' in str(stop.value)
    assert 'untouched' not in str(stop.value)


@pytest.mark.quick
def test_the_report_names_each_miss(tmp_path, monkeypatch):
    """Under each miss, its file name (shortened), to match it to the text output."""
    from PIL import ImageDraw
    from digits import evaluate
    written = []
    original = ImageDraw.ImageDraw.text

    def text(self, xy, words, *args, **kwargs):
        written.append(words)
        return original(self, xy, words, *args, **kwargs)
    monkeypatch.setattr(ImageDraw.ImageDraw, 'text', text)
    long_name = 'a_photo_of_my_seven_taken_on_the_kitchen_table_2026.png'
    items = [(os.path.join(SAMPLES, '7.png'), 7), (f'/x/{long_name}', 1)]
    evaluate.draw_report(str(tmp_path / 'r.png'), items, [1, 7], [np.zeros((28, 28))] * 2)
    assert (tmp_path / 'r.png').is_file()
    assert '7.png' in written
    assert evaluate.shortened(long_name) in written and long_name not in written
    short = evaluate.shortened(long_name)
    assert len(short) == evaluate.NAME_LENGTH and short.startswith('a_photo') and short.endswith('6.png')


@pytest.mark.parametrize('evaluate', [False, True], ids=['train', 'evaluate'])
def test_without_mnist_training_says_so_in_one_line_and_leaves_no_folder(tmp_path, evaluate):
    """No MNIST anywhere and no network (a proxy that refuses, so that this
    holds on a machine online too): one line, no TensorFlow notices, and no
    empty ./MNIST_data/ left behind."""
    env = user_env(MNIST_DATA_DIR=str(tmp_path / 'none'), https_proxy='http://127.0.0.1:9',
                   HTTPS_PROXY='http://127.0.0.1:9', http_proxy='http://127.0.0.1:9')
    result = subprocess.run([sys.executable, os.path.join(ROOT, 'create_model_1.py')]
                            + ['--evaluate'] * evaluate,
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    line = one_line_error(result)
    assert line.startswith('error: could not download train-images-idx3-ubyte.gz: put the four MNIST')
    assert line.endswith('--evaluate measures on its test files (t10k-*)') == evaluate
    assert not (tmp_path / 'MNIST_data').exists()


@needs_mnist
def test_a_new_model_keeps_the_one_it_replaced(tmp_path, capsys):
    """Nothing a user had is lost: training again keeps the replaced model in
    MODEL/previous/ (one generation), and the last line names both accuracies."""
    import tensorflow as tf
    from digits import train_cli, training

    def train(steps):
        args = train_cli.parse_args(1, dict(epochs=1, batch_size=50, learning_rate=0.01),
                                    ['--model', str(tmp_path / 'm'), '--data-dir', mnist_dir(),
                                     '--steps', str(steps), '--head-pictures', '100'])
        return training.train(args)

    def weights(folder):
        prefix = tf.train.latest_checkpoint(str(folder))
        return prefix, tf.train.load_checkpoint(prefix).get_tensor('W')

    first = train(20)
    assert 'replaced' not in capsys.readouterr().out
    _, first_weights = weights(tmp_path / 'm')
    for steps in (40, 60):
        second = train(steps)
        last = capsys.readouterr().out.strip().splitlines()[-1]
        assert last == (f'replaced the model in {tmp_path}/m/ (test accuracy {first:.4f}) by this one '
                        f'({second:.4f}); the replaced one is kept in {tmp_path}/m/previous/')
        kept, kept_weights = weights(tmp_path / 'm' / 'previous')
        assert np.array_equal(kept_weights, first_weights)
        first, first_weights = second, weights(tmp_path / 'm')[1]
    assert sorted(os.listdir(tmp_path / 'm' / 'previous')) == [
        'checkpoint', 'model.ckpt-40.data-00000-of-00001', 'model.ckpt-40.index']


@pytest.mark.quick
def test_workers_that_do_not_stop_in_time_are_killed(monkeypatch):
    """Pool.terminate can hang for good when a worker is halfway through
    sending a large result (seen once: Ctrl-C on a busy machine left
    predict_2.py waiting for ever). stop_workers gives it PATIENCE seconds,
    then kills the workers, so the run still ends."""
    import threading
    import time
    from digits import preparing
    monkeypatch.setattr(preparing, 'PATIENCE', 0.5)
    pool = preparing.start_workers(100)
    if pool is None:
        pytest.skip('workers are used only with 2 or more cores')
    import multiprocessing.pool
    workers = list(multiprocessing.active_children())
    assert workers
    never = threading.Event()
    # Stuck inside Pool.terminate, as if in outqueue.put behind a worker's send
    monkeypatch.setattr(multiprocessing.pool.Pool, '_help_stuff_finish',
                        staticmethod(lambda *args: never.wait()))
    started = time.monotonic()
    preparing.stop_workers(pool)
    assert time.monotonic() - started < 5
    for w in workers:
        w.join(5)
    assert not any(w.is_alive() for w in workers)


@pytest.mark.quick
def test_the_tests_find_mnist_in_one_way():
    """conftest.mnist_dir is the one place: no test reads $MNIST_DATA_DIR itself
    (two did, and skipped with ./MNIST_data/ filled as the README says)."""
    import glob
    import re
    reading = re.compile(r'environ(\.get\(|\[)[\'"]MNIST_DATA_DIR')
    readers = [os.path.basename(p) for p in glob.glob(os.path.join(ROOT, 'tests', 'test_*.py'))
               if reading.search(open(p).read())]
    assert readers == []
