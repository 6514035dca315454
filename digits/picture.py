"""One picture -> the one 28x28 the models take: the steps of reading a single digit, in order."""
from .decode import ImageError, load_image
from .ink import ink_map
from .normalise import MEDIAN, MNIST_ASPECTS, prepare_digit, prepare_widths, stretched


def prepare_image(img):
    """A Pillow image -> 28x28 float32 array in 0..1, ink high (for a
    stretched scan, the digit at MNIST's median width: see prepare_widths)."""
    ink, mask = ink_map(img)
    if stretched(mask):
        return prepare_widths(ink, mask, [MNIST_ASPECTS[MEDIAN]])[0]
    return prepare_digit(ink, mask)


def prepare_file(path):
    """An image file -> 28x28 float32 in 0..1, ink high; ImageError names the file."""
    img = load_image(path)
    try:
        return prepare_image(img)
    except ImageError as e:
        raise ImageError(f'{path}: {e}') from None
