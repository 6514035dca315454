"""The tutorial's promise: `imageprepare(path)` -> the 784 values the models take.

    from imageprepare import imageprepare
    x = imageprepare('samples/7.png')   # 784 floats in 0..1, ink high

The steps (grayscale, fit into 20x20, centre on 28x28, ink high, 0..1, as
MNIST itself was built) are done by the package: digits/picture.py.
"""
from digits.decode import ImageError  # noqa: F401  (what it raises)
from digits.picture import prepare_file


def imageprepare(path):
    """The 784 values (0..1, ink high) the models take, from an image file.
    (For a stretched scan, the digit at MNIST's median width; the predict
    scripts read it at five widths.) Raises ImageError, naming the file."""
    return prepare_file(path).reshape(784)
