"""The pictures of touching digits and the head fitted on them (digits/touching.py)."""
import os

import numpy as np
import pytest

from conftest import ROOT, load_classifier, mnist_dir, needs_mnist
from digits import touching


def mnist_test_digits():
    from digits.data import load
    return load(mnist_dir())['test']


@pytest.mark.quick
@needs_mnist
def test_digits_pushed_together_are_mostly_one_piece_of_ink():
    """Each digit is slid until it meets the ink before it, so the prediction
    path mostly finds one piece (29 of these 40; pictures that come apart
    where digits barely meet are skipped by `examples`)."""
    from digits.pieces import digit_candidates
    images, _ = mnist_test_digits()
    digits = np.round(images.reshape(-1, 28, 28) * 255).astype(np.uint8)
    rng = np.random.default_rng(0)
    pieces = []
    for _ in range(40):
        picture = touching.pushed_together(digits[rng.integers(0, 10000, rng.integers(2, 5))], rng)
        ink_columns = np.flatnonzero((np.asarray(picture) < 155).any(axis=0))
        assert np.all(np.diff(ink_columns) == 1)      # no blank column from first ink to last
        pieces.append(len(digit_candidates(picture)))
    assert pieces.count(1) >= 24


@pytest.mark.quick
@needs_mnist
def test_examples_are_prepared_wide_pieces_half_of_them_touching_digits():
    images, _ = mnist_test_digits()
    wholes, several = touching.examples(images[:500], 200, np.random.default_rng(0))
    assert wholes.shape == (len(several), 28, 28) and 150 <= len(several) <= 200
    assert 0.35 < several.mean() < 0.65
    assert wholes.min() >= 0 and wholes.max() == pytest.approx(1)


@pytest.mark.quick
def test_logistic_fit_takes_raw_features_of_any_scale():
    rng = np.random.default_rng(0)
    scale, offset = np.array([1, 100, 0.01, 1, 1]), np.array([0, 50, 3, 0, 0])
    features = rng.normal(size=(400, 5)) * scale + offset
    targets = (features[:, 1] - 50) / 100 - (features[:, 2] - 3) * 100 > 0   # by two features
    assert 150 < targets.sum() < 250
    W, b = touching.fit_logistic(features, targets)
    assert W.shape == (5, 1) and b.shape == (1,)
    assert np.mean((features @ W[:, 0] + b > 0) == targets) > 0.97
    standardised = np.abs(W[:, 0] * scale)      # each feature's weight per standard deviation
    assert standardised[[1, 2]].min() > 5 * standardised[[0, 3, 4]].max()


@needs_mnist
def test_shipped_model_tells_touching_digits_from_one():
    """On pictures made from MNIST test digits, which its head never saw."""
    images, _ = mnist_test_digits()
    wholes, several = touching.examples(images[5000:], 400, np.random.default_rng(1))
    classifier = load_classifier(2, os.path.join(ROOT, 'models', 'model_2'))
    assert classifier.tells_touching
    said = classifier.read(wholes)[1]
    assert np.mean((said > 0.5) == several) > 0.95


@pytest.mark.quick
@needs_mnist
def test_parts_are_marked_one_digit_only_in_a_way_that_reads_right():
    images, labels = mnist_test_digits()
    rng = np.random.default_rng(0)
    always_0 = lambda parts: np.eye(10)[np.zeros(len(parts), int)]
    parts, one_digit = touching.part_examples(images, labels, 20, rng, always_0)
    assert parts.shape == (0, 28, 28) and one_digit.shape == (0,)    # only 00 could read right
    zeros = np.flatnonzero(labels == 0)
    parts, one_digit = touching.part_examples(images[zeros], labels[zeros], 20, rng, always_0)
    assert len(parts) > 20 and 0 < one_digit.mean() < 0.8


@needs_mnist
def test_shipped_model_tells_whole_digits_among_the_parts_of_a_cut():
    images, labels = mnist_test_digits()
    classifier = load_classifier(2, os.path.join(ROOT, 'models', 'model_2'))
    parts, one_digit = touching.part_examples(images[5000:], labels[5000:], 60, np.random.default_rng(1),
                                              classifier.probabilities)
    said = classifier.read(parts)[2]
    # Measured: 0.57 on average for the parts of a way that reads right, 0.20
    # for the others; balanced accuracy 0.70. A label here is only a proxy
    # (a part of a way that reads the number right) and the head ranks ways,
    # so it need not be sure of each part; an unfitted head says the same to all.
    assert 0.2 < one_digit.mean() < 0.6
    assert said[one_digit].mean() > said[~one_digit].mean() + 0.25
    assert ((said[one_digit] > 0.5).mean() + (said[~one_digit] <= 0.5).mean()) / 2 > 0.65
