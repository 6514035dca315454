"""Open a picture safely: any format Pillow reads, upright, never a decompression bomb.

The first step of reading: a file, a Pillow image or a NumPy array becomes
an upright Pillow image, and then a float array in 0..1 (see to_array).
"""
import os
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps


WORK_SIZE = 600   # long side large pictures are reduced to before looking for ink (a digit stays 100+ px)
TOO_NARROW = 1000   # a picture longer than this many times its width holds no digit


class ImageError(Exception):
    """The file is not a picture we can read, or shows no digit."""


def load_image(path):
    """Open `path` as an upright Pillow image (first frame), refusing images
    so large they would exhaust memory before decoding them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('error', Image.DecompressionBombWarning)
            img = Image.open(path)
            if max(img.size) > TOO_NARROW * max(1, min(img.size)):
                raise ImageError(f'{path}: a {img.width}x{img.height} image is too narrow '
                                 'to hold a digit')
            img.draft('RGB', (2 * WORK_SIZE, 2 * WORK_SIZE))   # JPEG: decode at reduced size
            img = ImageOps.exif_transpose(img)
            img.load()
    except FileNotFoundError:
        raise ImageError(f'{path}: no such file') from None
    except IsADirectoryError:
        raise ImageError(f'{path}: is a directory') from None
    except PermissionError:
        raise ImageError(f'{path}: permission denied') from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f'{path}: image too large to read safely') from None
    except Image.UnidentifiedImageError:
        raise ImageError(f'{path}: not an image file Pillow can read') from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, TypeError,
            IndexError, KeyError, ZeroDivisionError, struct.error) as e:
        raise ImageError(f'{path}: damaged or truncated image ({short(e)})') from None
    if img.width < 1 or img.height < 1:
        raise ImageError(f'{path}: image has no pixels')
    return img


def short(e):
    """The first line of an exception's message, at most 80 characters."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text[:80]


def as_image(picture):
    """A file path, Pillow image or NumPy array ([h, w] or [h, w, 3|4], uint8
    or float in 0..1) -> a Pillow image."""
    if isinstance(picture, Image.Image):
        return picture
    if isinstance(picture, np.ndarray):
        if picture.ndim not in (2, 3) or picture.size == 0:
            raise ImageError(f'an array of shape {picture.shape} is not a picture')
        if picture.dtype != np.uint8:
            picture = np.round(np.clip(np.nan_to_num(picture.astype(np.float64)), 0, 1) * 255)
        picture = picture.astype(np.uint8)
        return Image.fromarray(picture[..., 0] if picture.ndim == 3 and picture.shape[2] == 1 else picture)
    if isinstance(picture, (str, os.PathLike)):
        return load_image(os.fspath(picture))
    raise ImageError(f'cannot read a {type(picture).__name__} as a picture')


def to_array(img):
    """Float array [h, w, channels] in 0..1: one channel for grey pictures,
    else RGB with transparent areas filled with a colour that contrasts with
    the opaque strokes (canvas exports are often transparent black behind
    black ink)."""
    if img.mode in ('I;16', 'I;16B', 'I;16L', 'I;16N', 'I', 'F'):
        a = np.nan_to_num(np.asarray(img.convert('F') if img.mode != 'F' else img, np.float32),
                          nan=0.0, posinf=0.0, neginf=0.0)
        a = a / (65535.0 if img.mode.startswith('I;16') else max(1e-6, float(np.abs(a).max())))
        return np.clip(a, 0, 1)[..., None]
    if img.mode in ('L', '1') and 'transparency' not in img.info:
        return np.asarray(img.convert('L'), np.float32)[..., None] / 255.0
    if img.mode == 'RGB':
        a = np.asarray(img)
        if np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]):
            return a[..., :1].astype(np.float32) / 255.0      # grey saved as RGB
    has_alpha = img.mode in ('RGBA', 'LA', 'PA', 'RGBa', 'La') or 'transparency' in img.info
    rgba = np.asarray(img.convert('RGBA'), np.float32) / 255.0
    rgb, alpha = rgba[..., :3], rgba[..., 3:]
    if has_alpha and alpha.min() < 0.5 < alpha.max():
        opaque = rgb[alpha[..., 0] >= 0.5].mean()
        background = 1.0 if opaque < 0.5 else 0.0
        rgb = rgb * alpha + background * (1 - alpha)
    return rgb


def reduce(img, size=WORK_SIZE):
    """Shrink pictures larger than `size` (area-averaging keeps thin strokes' ink)."""
    scale = max(img.size) / size
    if scale > 1:
        if img.mode in ('1', 'P'):   # Pillow resizes these by nearest pixel, losing thin lines
            img = img.convert('L' if img.mode == '1' else 'RGBA')
        img = img.resize((max(1, round(img.width / scale)), max(1, round(img.height / scale))),
                         Image.BOX)
    return img
