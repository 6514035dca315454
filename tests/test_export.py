"""`create_model_N.py --export DIR`: the SavedModel and the TensorFlow Lite files
give what the checkpoint gives, and a bad export is refused whole."""
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT, ctrl_c_reaches_children, mnist_dir, needs_mnist, run, user_env

pytestmark = needs_mnist

DIGITS = 1000     # MNIST test digits compared on


def tensorflow():
    """TensorFlow, started as the command lines start it (session.quiet_tensorflow first)."""
    from digits import session
    session.quiet_tensorflow()
    import tensorflow as tf
    tf.get_logger().setLevel('ERROR')
    return tf


@pytest.fixture(scope='module')
def mnist():
    from digits import data
    return data.load(mnist_dir())


@pytest.fixture(scope='module')
def test_digits(mnist):
    """(images [DIGITS, 28, 28], labels [DIGITS])"""
    images, labels = mnist['test']
    return images[:DIGITS].reshape(-1, 28, 28), labels[:DIGITS]


def checkpoint_outputs(model_number, images, path=None):
    """What the checkpoint gives, restored into its graph: {output: array}, probabilities calibrated."""
    tf = tensorflow()
    from digits import checkpoints, networks
    with tf.Graph().as_default():
        net = networks.BUILDERS[model_number]()
        with tf.compat.v1.Session() as sess:
            _, has_head = checkpoints.restore(sess, net, path or os.path.join(ROOT, 'models', f'model_{model_number}'),
                                              model_number)
            wanted = {'logits': net.logits, 'temperature': net.temperature,
                      **({'several': net.several, 'one_digit': net.one_digit} if has_head else {})}
            got = sess.run(wanted, {net.x: images.reshape(-1, 784)})
    z = got['logits'].astype(np.float64) / got.pop('temperature')
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return {**got, 'probabilities': e / e.sum(axis=1, keepdims=True)}


def saved_model_outputs(folder, images):
    """The SavedModel's serving_default signature on `images`: {output: array}."""
    tf = tensorflow()
    serve = tf.saved_model.load(os.path.join(folder, 'saved_model', '1')).signatures['serving_default']
    return {key: value.numpy() for key, value in serve(images=tf.constant(images, tf.float32)).items()}


def tflite_outputs(path, images):
    """A .tflite file's serving_default signature on `images`, run by tf.lite.Interpreter: {output: array}."""
    import warnings
    tf = tensorflow()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')     # tf.lite.Interpreter's notice that it is moving to LiteRT
        interpreter = tf.lite.Interpreter(model_path=path)
    return interpreter.get_signature_runner('serving_default')(images=images.astype(np.float32))


@pytest.fixture(scope='module', params=[1, 2])
def exported(request, tmp_path_factory):
    """(model number, DIR) after `create_model_N.py --export DIR` of the shipped model."""
    folder = tmp_path_factory.mktemp(f'export_{request.param}') / 'out'
    result = run(f'create_model_{request.param}.py', '--export', folder)
    assert result.returncode == 0, result.stderr
    assert result.stderr == '', result.stderr
    assert f'exported models/model_{request.param}/model.ckpt-' in result.stdout
    return request.param, str(folder)


def test_export_writes_the_layout_and_nothing_beside(exported):
    number, folder = exported
    assert sorted(os.listdir(folder)) == ['README.txt', 'model.tflite', 'model_int8.tflite', 'saved_model']
    assert os.listdir(os.path.join(folder, 'saved_model')) == ['1']    # TensorFlow Serving's version folder
    assert os.path.isfile(os.path.join(folder, 'saved_model', '1', 'saved_model.pb'))
    assert os.listdir(os.path.dirname(folder)) == ['out']             # no temporary folder left


def test_saved_model_gives_what_the_checkpoint_gives(exported, test_digits):
    number, folder = exported
    images, _ = test_digits
    want, got = checkpoint_outputs(number, images), saved_model_outputs(folder, images)
    assert sorted(got) == ['logits', 'one_digit', 'probabilities', 'several']   # both shipped models have the head
    for key in got:
        assert got[key].shape == want[key].shape, key
    for key in ('probabilities', 'several', 'one_digit'):
        np.testing.assert_allclose(got[key], want[key], atol=1e-5, rtol=0, err_msg=key)
    # logits of up to +-40: with oneDNN on (TensorFlow imported by another
    # test before the prediction settings), summed in another order
    np.testing.assert_allclose(got['logits'], want['logits'], atol=1e-5, rtol=1e-5, err_msg='logits')


def test_float_tflite_gives_what_the_checkpoint_gives(exported, test_digits):
    number, folder = exported
    images, _ = test_digits
    want, got = checkpoint_outputs(number, images), tflite_outputs(os.path.join(folder, 'model.tflite'), images)
    assert sorted(got) == ['logits', 'one_digit', 'probabilities', 'several']
    for key in ('probabilities', 'several', 'one_digit'):
        np.testing.assert_allclose(got[key], want[key], atol=1e-5, rtol=0, err_msg=key)
    # logits of up to +-40, summed in another order (XNNPACK): float32's own rounding
    np.testing.assert_allclose(got['logits'], want['logits'], atol=1e-5, rtol=1e-5, err_msg='logits')


def test_int8_tflite_is_about_as_accurate(exported, test_digits):
    number, folder = exported
    images, labels = test_digits
    accuracy = {}
    for name in ('model.tflite', 'model_int8.tflite'):
        got = tflite_outputs(os.path.join(folder, name), images)
        assert got['probabilities'].shape == (DIGITS, 10)
        accuracy[name] = np.mean(got['probabilities'].argmax(axis=1) == labels)
    assert abs(accuracy['model_int8.tflite'] - accuracy['model.tflite']) <= 0.003, accuracy


def test_a_checkpoint_without_head_exports_without_its_outputs(tmp_path, mnist, test_digits):
    """A model saved before heads existed: its signature has probabilities and logits only."""
    tf = tensorflow()
    from digits import checkpoints, export, networks
    with tf.Graph().as_default():
        net = networks.BUILDERS[1]()
        with tf.compat.v1.Session() as sess:
            checkpoints.restore(sess, net, os.path.join(ROOT, 'models', 'model_1'), 1)
            tf.compat.v1.train.Saver(net.weights).save(sess, str(tmp_path / 'old' / 'model.ckpt-1'))
    export.export(1, str(tmp_path / 'old'), str(tmp_path / 'out'), mnist['train'][0])
    images, _ = test_digits
    want = checkpoint_outputs(1, images, str(tmp_path / 'old'))
    for got in (saved_model_outputs(str(tmp_path / 'out'), images),
                tflite_outputs(str(tmp_path / 'out' / 'model.tflite'), images)):
        assert sorted(got) == ['logits', 'probabilities']
        np.testing.assert_allclose(got['probabilities'], want['probabilities'], atol=1e-5, rtol=0)


def refused(script, *args):
    """The one line a refused export says on stderr, after checking it failed plainly."""
    result = run(script, '--export', *args)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert 'Traceback' not in result.stderr
    assert result.stdout == ''
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), result.stderr
    return lines[0]


def test_export_refuses_a_missing_checkpoint(tmp_path):
    line = refused('create_model_2.py', tmp_path / 'out', '--model', tmp_path / 'nothing')
    assert 'no checkpoint' in line
    assert os.listdir(tmp_path) == []


def test_export_refuses_the_other_models_checkpoint(tmp_path):
    line = refused('create_model_2.py', tmp_path / 'out', '--model', os.path.join(ROOT, 'models', 'model_1'))
    assert 'a model 1 checkpoint, expected model 2' in line
    assert os.listdir(tmp_path) == []


def test_export_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / 'mine.txt').write_text('keep me')
    line = refused('create_model_1.py', tmp_path / 'out')
    assert 'not empty' in line
    assert os.listdir(tmp_path) == ['out'] and os.listdir(tmp_path / 'out') == ['mine.txt']
    assert (tmp_path / 'out' / 'mine.txt').read_text() == 'keep me'


def test_an_interrupted_export_leaves_nothing_half_written(tmp_path):
    """Ctrl-C while the files are being written: no DIR and no temporary folder, or the whole DIR."""
    env = user_env(MNIST_DATA_DIR=os.path.abspath(mnist_dir()))
    for delay in (0.0, 0.5):
        with ctrl_c_reaches_children():
            proc = subprocess.Popen([sys.executable, os.path.join(ROOT, 'create_model_2.py'), '--export',
                                     str(tmp_path / 'out')], cwd=ROOT, env=env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 120
            while not any(name.endswith('.partial') for name in os.listdir(tmp_path)) and proc.poll() is None:
                assert time.monotonic() < deadline, 'the export never started writing'
                time.sleep(0.01)
            time.sleep(delay)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=120)
        if proc.returncode == 0:        # done before Ctrl-C came: whole
            assert os.listdir(tmp_path) == ['out']
            assert len(os.listdir(tmp_path / 'out')) == 4
            shutil.rmtree(tmp_path / 'out')
        else:
            assert (proc.returncode, err) == (130, 'interrupted\n'), (proc.returncode, err)
            assert os.listdir(tmp_path) == []


# ------------------------------------------------------------ the number reader

@pytest.fixture(scope='module')
def exported_numbers(tmp_path_factory):
    """DIR after `create_model_2.py --numbers --export DIR` of the shipped number reader."""
    folder = tmp_path_factory.mktemp('export_numbers') / 'out'
    result = run('create_model_2.py', '--numbers', '--export', folder)
    assert result.returncode == 0, result.stderr
    assert result.stderr == '', result.stderr
    assert 'exported models/numbers/model.ckpt-' in result.stdout
    return str(folder)


@pytest.fixture(scope='module')
def test_numbers(mnist):
    """(line images, their digits) of 200 numbers made from MNIST's test digits."""
    from digits.number_synth import by_digit, synthesise
    crops, rng = by_digit(*mnist['test']), np.random.default_rng(4)
    made = [synthesise(crops, rng) for _ in range(200)]
    return [line for line, _ in made], [text for _, text in made]


def tflite_runner(path):
    """A .tflite file's serving_default signature, run by tf.lite.Interpreter."""
    import warnings
    tf = tensorflow()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return tf.lite.Interpreter(model_path=path).get_signature_runner('serving_default')


def test_the_number_reader_exported_gives_what_its_checkpoint_gives(exported_numbers, test_numbers):
    """A batch of lines of several widths (padded), through the SavedModel and the float file."""
    tf = tensorflow()
    from digits.lines import STEP, batch_lines
    from digits.number_model import NumberModel
    assert sorted(os.listdir(exported_numbers)) == ['README.txt', 'model.tflite', 'model_int8.tflite', 'saved_model']
    batch = batch_lines(test_numbers[0][:50])
    run_ = NumberModel(os.path.join(ROOT, 'models', 'numbers')).first
    want = run_.sess.run(run_.net.probabilities, {run_.net.x: batch})
    assert want.shape == (50, batch.shape[2] // STEP, 11)
    serve = tf.saved_model.load(os.path.join(exported_numbers, 'saved_model', '1')).signatures['serving_default']
    got = {'saved model': serve(lines=tf.constant(batch))['frame_probabilities'].numpy(),
           'tflite': tflite_runner(os.path.join(exported_numbers, 'model.tflite'))(lines=batch)['frame_probabilities']}
    for name, frames in got.items():
        assert frames.shape == want.shape, name
        np.testing.assert_allclose(frames, want, atol=1e-5, rtol=0, err_msg=name)


def test_the_number_readers_int8_file_reads_about_as_well(exported_numbers, test_numbers):
    """One line at a time (each its own width), decoded: numbers read exactly."""
    from digits import ctc
    lines, texts = test_numbers
    exact = {}
    for name in ('model.tflite', 'model_int8.tflite'):
        runner = tflite_runner(os.path.join(exported_numbers, name))
        read = [''.join(str(d) for d, _, _ in ctc.decode(runner(lines=line[None])['frame_probabilities'][0]))
                for line in lines]
        exact[name] = np.mean([r == t for r, t in zip(read, texts)])
    assert exact['model.tflite'] > 0.8, exact
    assert abs(exact['model_int8.tflite'] - exact['model.tflite']) <= 0.03, exact


def test_export_refuses_a_checkpoint_of_the_other_kind(tmp_path):
    line = refused('create_model_2.py', tmp_path / 'out', '--numbers', '--model', os.path.join(ROOT, 'models', 'model_2'))
    assert 'a digit model (model 1 or 2), expected the number reader' in line
    line = refused('create_model_2.py', tmp_path / 'out', '--model', os.path.join(ROOT, 'models', 'numbers'))
    assert "the number reader's checkpoint, expected model 2" in line
    assert os.listdir(tmp_path) == []
