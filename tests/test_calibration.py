"""Confidence that means something (issue 24, item 11): temperature scaling."""
import os
import shutil

import numpy as np
import pytest
from scipy import special

from conftest import ROOT, mnist_dir, needs_mnist, run
from digits.calibration import calibrated, expected_calibration_error, fit_temperature


@pytest.mark.quick
def test_the_fitted_temperature_undoes_overconfidence():
    """Labels drawn from softmax(L), the model saying 2.5 L: T comes out near 2.5."""
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (20000, 10))
    labels = np.array([rng.choice(10, p=p) for p in special.softmax(logits, axis=1)])
    assert fit_temperature(2.5 * logits, labels) == pytest.approx(2.5, rel=0.05)
    assert fit_temperature(0.5 * logits, labels) == pytest.approx(0.5, rel=0.05)


@pytest.mark.quick
def test_calibrated_probabilities_are_the_softmax_of_the_scaled_logits():
    logits = np.random.default_rng(1).normal(0, 4, (50, 10))
    p = special.softmax(logits, axis=1)
    for t in (0.5, 1.7):
        assert np.allclose(calibrated(p, t), special.softmax(logits / t, axis=1), atol=1e-6)
        assert np.array_equal(calibrated(p, t).argmax(axis=1), p.argmax(axis=1))
    assert calibrated(p, 1) is p


@pytest.mark.quick
def test_expected_calibration_error_on_hand_made_predictions():
    sure = np.full((10, 10), 0.1 / 9)
    sure[:, 3] = 0.9
    labels = np.array([3] * 9 + [4])             # 90% right at confidence 0.9
    assert expected_calibration_error(sure, labels) == pytest.approx(0.0, abs=1e-9)
    certain = np.eye(10)[[3] * 10]
    assert expected_calibration_error(certain, labels) == pytest.approx(0.1)
    mixed = np.concatenate([sure, certain])      # two bins, each half the weight
    assert expected_calibration_error(mixed, np.concatenate([labels, [3] * 5 + [4] * 5])) \
        == pytest.approx(0.5 * 0.0 + 0.5 * 0.5)


def test_a_checkpoint_saved_before_calibration_reads_as_before(tmp_path):
    """No temperature stored: read at temperature 1, the probabilities as trained."""
    import tensorflow as tf
    from conftest import load_classifier
    from digits import checkpoints, networks
    from digits.reading import Reader
    old = tmp_path / 'old'
    with tf.Graph().as_default():
        net = networks.convnet()
        with tf.compat.v1.Session() as sess:
            checkpoints.restore(sess, net, os.path.join(ROOT, 'models', 'model_2'), 2)
            tf.compat.v1.train.Saver({**net.weights, **net.head}).save(sess, str(old / 'model.ckpt-1'))
    assert load_classifier(2, str(old)).temperature == 1.0
    sample = os.path.join(ROOT, 'samples', '7.png')
    as_trained = Reader(2, str(old)).read(sample)[0].probabilities
    shipped = Reader(2).read(sample)[0].probabilities
    assert Reader(2).classifier.temperature < 0.9       # model 2 is underconfident as trained
    assert np.allclose(calibrated(as_trained, Reader(2).classifier.temperature), shipped, atol=1e-5)
    assert shipped.max() > as_trained.max()


def test_a_clean_digit_passes_a_high_confidence_bar():
    result = run('predict_2.py', '--min-confidence', '0.95', 'samples/7.png')
    assert result.returncode == 0 and result.stdout.strip() == '7', result.stderr


@needs_mnist
def test_calibrate_saves_a_temperature_and_nothing_else_changes(tmp_path):
    """--calibrate on a model saved before calibration: the same weights and
    head bit for bit, a temperature added, the same test accuracy."""
    import tensorflow as tf
    folder = tmp_path / 'm1'
    result = run('create_model_1.py', '--steps', '30', '--head-pictures', '100', '--model', folder)
    assert result.returncode == 0, result.stderr
    assert 'calibrated: temperature' in result.stdout
    trained = tf.train.latest_checkpoint(str(folder))
    weights = {n: tf.train.load_checkpoint(trained).get_tensor(n)
               for n, _ in tf.train.list_variables(trained) if n != 'temperature'}
    # make it a model saved before calibration, as the shipped ones were
    uncalibrated = tmp_path / 'old'
    uncalibrated.mkdir()
    with tf.Graph().as_default():
        variables = {n: tf.Variable(v, name=n.replace('/', '_')) for n, v in weights.items()}
        with tf.compat.v1.Session() as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver(variables).save(sess, str(uncalibrated / 'model.ckpt-30'))
    before = run('create_model_1.py', '--evaluate', '--model', uncalibrated)
    result = run('create_model_1.py', '--calibrate', '--model', uncalibrated)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        f'saved {uncalibrated}/model.ckpt-30-1 (the uncalibrated one is kept in {uncalibrated}/previous/)')
    saved = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(uncalibrated)))
    assert all(np.array_equal(saved.get_tensor(n), v) for n, v in weights.items())
    assert saved.get_tensor('temperature') != 1.0
    after = run('create_model_1.py', '--evaluate', '--model', uncalibrated)
    assert before.stdout.splitlines()[-1] == after.stdout.splitlines()[-1]
    shutil.rmtree(folder)
