"""MNIST: find, download, verify and read the four original files.

The files are looked for in `--data-dir`, then `$MNIST_DATA_DIR`, then
`./MNIST_data/`. Only when they are in none of those are they downloaded into
`./MNIST_data/`, each to a temporary name that becomes the real one only after
its MD5 matches the published checksum, so a partial download is never trained
on.
"""
import gzip
import hashlib
import os
import struct
import tempfile

import numpy as np

FILES = {
    'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
    'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
    't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
    't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
}
# The mirrors torchvision uses; the first that answers wins.
MIRRORS = [
    'https://ossci-datasets.s3.amazonaws.com/mnist/',
    'https://storage.googleapis.com/cvdf-datasets/mnist/',
]
DEFAULT_DIR = 'MNIST_data'
VALIDATION_SIZE = 5000


class DataError(Exception):
    """MNIST could not be found, downloaded or read; the message says why."""


def md5(path):
    """The MD5 hex digest of a file, read a megabyte at a time."""
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def read_idx(path):
    """Read a gzipped IDX file (images: uint8 [n, rows, cols]; labels: uint8 [n])."""
    try:
        with gzip.open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise DataError(f'{path}: not a readable gzip file ({e})') from None
    except EOFError:
        raise DataError(f'{path}: file is truncated') from None
    if len(data) < 4:
        raise DataError(f'{path}: file is truncated')
    zero, dtype, ndim = struct.unpack('>HBB', data[:4])
    if zero != 0 or dtype != 0x08 or ndim not in (1, 3):
        raise DataError(f'{path}: not an MNIST IDX file (bad magic number {data[:4].hex()})')
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f'{path}: file is truncated')
    shape = struct.unpack('>' + 'I' * ndim, data[4:header])
    size = int(np.prod(shape))
    if len(data) - header < size:
        raise DataError(f'{path}: file is truncated ({len(data) - header} of {size} bytes)')
    return np.frombuffer(data, np.uint8, size, header).reshape(shape)


def candidate_dirs(data_dir=None):
    """Where MNIST is looked for, in order: --data-dir, $MNIST_DATA_DIR, ./MNIST_data."""
    dirs = [data_dir, os.environ.get('MNIST_DATA_DIR'), DEFAULT_DIR]
    return [d for d in dirs if d]


def find_dir(data_dir=None):
    """The first folder holding all four files, or None."""
    for d in candidate_dirs(data_dir):
        if all(os.path.isfile(os.path.join(d, name)) for name in FILES):
            return d
    return None


def download(dest=DEFAULT_DIR):
    """Fetch missing or corrupt files into `dest`, verifying each checksum."""
    from tensorflow.keras.utils import get_file  # only needed on a download
    created = not os.path.isdir(dest)
    os.makedirs(dest, exist_ok=True)
    try:
        for name, checksum in FILES.items():
            fetch(get_file, name, checksum, dest)
    except DataError:
        if created and not os.listdir(dest):
            os.rmdir(dest)      # leave no empty folder behind
        raise


def fetch(get_file, name, checksum, dest):
    """Download one file into `dest` unless it is there already, checked
    against its MD5 before it takes its real name."""
    target = os.path.join(dest, name)
    if os.path.isfile(target) and md5(target) == checksum:
        return
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        for mirror in MIRRORS:
            try:
                got = get_file(name, mirror + name, cache_dir=tmp, cache_subdir='.')
            except Exception:
                continue
            if md5(got) == checksum:
                os.replace(got, target)
                return
    raise DataError(f'could not download {name}: put the four MNIST .gz files in '
                    f'./{DEFAULT_DIR}/ or point --data-dir or $MNIST_DATA_DIR at them')

def verify(folder):
    """Raise DataError unless every file in `folder` has its published MD5."""
    for name, checksum in FILES.items():
        path = os.path.join(folder, name)
        if md5(path) != checksum:
            raise DataError(f'{path}: checksum mismatch (corrupt or partial file); '
                            f'delete it to download it again')


def load(data_dir=None, validation_size=VALIDATION_SIZE):
    """Return dict of float32 images in 0..1 [n, 784] and int labels for
    'train', 'validation' (the last `validation_size` training images) and 'test'."""
    folder = find_dir(data_dir)
    if folder is None:
        tried = ', '.join(candidate_dirs(data_dir))
        print(f'MNIST not found in {tried}; downloading into ./{DEFAULT_DIR}/')
        download()
        folder = DEFAULT_DIR
    verify(folder)

    def part(prefix):
        images = read_idx(os.path.join(folder, f'{prefix}-images-idx3-ubyte.gz'))
        labels = read_idx(os.path.join(folder, f'{prefix}-labels-idx1-ubyte.gz'))
        return images.reshape(len(images), -1).astype(np.float32) / 255.0, labels.astype(np.int64)

    train_x, train_y = part('train')
    test_x, test_y = part('t10k')
    n = len(train_x) - validation_size
    return {
        'train': (train_x[:n], train_y[:n]),
        'validation': (train_x[n:], train_y[n:]),
        'test': (test_x, test_y),
    }
