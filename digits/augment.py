"""Random distortions that imitate how people write and photograph digits.

Each batch gets one random affine map per image (rotation, scale, shear,
shift) combined with an elastic displacement field (Simard et al. 2003),
sampled in one vectorised call, and a random stroke thickness change. Done in
NumPy/SciPy on the whole batch at once, so it costs a few milliseconds a batch.
"""
import numpy as np
from scipy import ndimage

SIZE = 28


def _grid():
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    c = (SIZE - 1) / 2
    return yy - c, xx - c


def _blur_matrix(sigma):
    """G such that G @ f @ G.T is ndimage.gaussian_filter(f, sigma) for one
    SIZE x SIZE field: the same smoothing as one matrix product per image,
    ten times faster than filtering a batch row by row."""
    return ndimage.gaussian_filter1d(np.eye(SIZE), sigma, axis=0).astype(np.float32)


def distort(images, rng, rotate=10, scale=0.1, shear=0.15, shift=1.5,
            elastic_alpha=20.0, elastic_sigma=4.0, thickness=0.25):
    """Return a distorted copy of `images` (float [n, 784] in 0..1)."""
    n = len(images)
    imgs = images.reshape(n, SIZE, SIZE)
    yy, xx = _grid()

    # Inverse affine map from output to input coordinates, one per image.
    angle = np.deg2rad(rng.uniform(-rotate, rotate, n)).astype(np.float32)
    s = rng.uniform(1 - scale, 1 + scale, (2, n)).astype(np.float32)
    sh = rng.uniform(-shear, shear, n).astype(np.float32)
    cos, sin = np.cos(angle), np.sin(angle)
    a = np.stack([[cos / s[0], -sin / s[0] + sh], [sin / s[1], cos / s[1]]])  # [2, 2, n]
    src_x = a[0, 0, :, None, None] * xx + a[0, 1, :, None, None] * yy
    src_y = a[1, 0, :, None, None] * xx + a[1, 1, :, None, None] * yy
    src_x += rng.uniform(-shift, shift, (n, 1, 1)).astype(np.float32)
    src_y += rng.uniform(-shift, shift, (n, 1, 1)).astype(np.float32)

    # Elastic field as in Simard et al.: uniform noise smoothed by a Gaussian
    # of width sigma, times alpha (20 and 4 move pixels about 0.8 px).
    if elastic_alpha:
        field = rng.uniform(-1, 1, (2, n, SIZE, SIZE)).astype(np.float32)
        blur = _blur_matrix(elastic_sigma)
        field = blur @ field @ blur.T
        src_x += elastic_alpha * field[0]
        src_y += elastic_alpha * field[1]

    c = (SIZE - 1) / 2
    index = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None], src_x.shape)
    out = ndimage.map_coordinates(imgs, [index, src_y + c, src_x + c], order=1, mode='constant')

    if thickness:
        out = change_thickness(out, rng, thickness)
    return np.clip(out, 0, 1).reshape(n, SIZE * SIZE).astype(np.float32)


def change_thickness(imgs, rng, p):
    """Thicken a fraction p of the images by one pixel and thin another fraction p."""
    choice = rng.random(len(imgs))
    thick, thin = choice < p, (choice >= p) & (choice < 2 * p)
    out = imgs.copy()
    if thick.any():
        out[thick] = ndimage.grey_dilation(imgs[thick], size=(1, 2, 2))
    if thin.any():
        out[thin] = ndimage.grey_erosion(imgs[thin], size=(1, 2, 2))
    return out
