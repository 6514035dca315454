"""Read handwritten digits and numbers from real pictures with the MNIST tutorials' models.

    import digits
    digits.read('photo.jpg').number     # '42'
    reader = digits.Reader(model=2)     # load once, read many

See README.md (Python API, Layout).
"""
from .decode import ImageError
from .reading import Digit, Reader, Reading, read

__all__ = ['Digit', 'ImageError', 'Reader', 'Reading', 'read']
