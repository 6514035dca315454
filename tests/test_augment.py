"""The training distortions: the matrix smoothing is SciPy's Gaussian filter, and the same seed gives the same distortion."""
import numpy as np
import pytest
from scipy import ndimage

from digits import augment

pytestmark = pytest.mark.quick


def test_blur_matrix_is_the_gaussian_filter():
    field = np.random.default_rng(0).uniform(-1, 1, (2, 3, 28, 28)).astype(np.float32)
    blur = augment._blur_matrix(4.0)
    assert np.allclose(blur @ field @ blur.T, ndimage.gaussian_filter(field, (0, 0, 4, 4)), atol=1e-6)


def test_distort_is_seeded_and_keeps_shape_and_range():
    images = np.random.default_rng(1).random((16, 784), dtype=np.float32)
    a = augment.distort(images, np.random.default_rng(7))
    b = augment.distort(images, np.random.default_rng(7))
    c = augment.distort(images, np.random.default_rng(8))
    assert a.shape == (16, 784) and a.dtype == np.float32
    assert a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a, b) and not np.allclose(a, c)
    assert not np.allclose(a, images)
