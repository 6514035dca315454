import gzip
import struct

import numpy as np
import pytest

import digits.data


def write_idx(path, array, magic=None):
    array = np.asarray(array, np.uint8)
    header = magic or struct.pack('>HBB', 0, 8, array.ndim)
    header += struct.pack('>' + 'I' * array.ndim, *array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.tobytes())


@pytest.mark.quick
def test_reads_images_and_labels(tmp_path):
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    write_idx(tmp_path / 'i.gz', images)
    write_idx(tmp_path / 'l.gz', [7, 0, 9])
    assert np.array_equal(digits.data.read_idx(tmp_path / 'i.gz'), images)
    assert digits.data.read_idx(tmp_path / 'l.gz').tolist() == [7, 0, 9]


@pytest.mark.quick
def test_bad_magic_number(tmp_path):
    write_idx(tmp_path / 'x.gz', [1, 2], magic=struct.pack('>HBB', 0x1f8b, 8, 1))
    with pytest.raises(digits.data.DataError, match='magic number'):
        digits.data.read_idx(tmp_path / 'x.gz')


@pytest.mark.quick
def test_truncated_file(tmp_path):
    write_idx(tmp_path / 'x.gz', np.zeros((10, 28, 28)))
    data = gzip.decompress((tmp_path / 'x.gz').read_bytes())[:-100]
    (tmp_path / 'x.gz').write_bytes(gzip.compress(data))
    with pytest.raises(digits.data.DataError, match='truncated'):
        digits.data.read_idx(tmp_path / 'x.gz')


@pytest.mark.quick
def test_truncated_gzip_stream(tmp_path):
    write_idx(tmp_path / 'x.gz', np.random.default_rng(0).integers(0, 255, (50, 28, 28)))
    (tmp_path / 'x.gz').write_bytes((tmp_path / 'x.gz').read_bytes()[:200])
    with pytest.raises(digits.data.DataError):
        digits.data.read_idx(tmp_path / 'x.gz')


@pytest.mark.quick
def test_not_gzip(tmp_path):
    (tmp_path / 'x.gz').write_text('hello')
    with pytest.raises(digits.data.DataError, match='gzip'):
        digits.data.read_idx(tmp_path / 'x.gz')


@pytest.mark.quick
def test_search_order(tmp_path, monkeypatch):
    a, b = tmp_path / 'a', tmp_path / 'b'
    for d in (a, b):
        d.mkdir()
        for name in digits.data.FILES:
            (d / name).write_bytes(b'')
    monkeypatch.setenv('MNIST_DATA_DIR', str(b))
    assert digits.data.find_dir(str(a)) == str(a)
    assert digits.data.find_dir(None) == str(b)
    monkeypatch.setenv('MNIST_DATA_DIR', str(tmp_path / 'missing'))
    monkeypatch.chdir(tmp_path)
    assert digits.data.find_dir(None) is None


@pytest.mark.quick
def test_corrupt_file_is_never_used(tmp_path):
    for name in digits.data.FILES:
        write_idx(tmp_path / name, [1, 2, 3])
    with pytest.raises(digits.data.DataError, match='checksum'):
        digits.data.verify(str(tmp_path))


def test_failed_download_says_where_to_put_files(tmp_path, monkeypatch):
    import tensorflow.keras.utils as ku

    def offline(*args, **kwargs):
        raise OSError('network unreachable')
    monkeypatch.setattr(ku, 'get_file', offline)
    with pytest.raises(digits.data.DataError, match='MNIST_DATA_DIR'):
        digits.data.download(str(tmp_path / 'data'))
    assert not any((tmp_path / 'data').glob('*.gz'))   # nothing partial left behind


def test_download_verifies_and_renames(tmp_path, monkeypatch):
    """A mirror serving a wrong file is skipped; the right one lands under its name."""
    import tensorflow.keras.utils as ku
    good = {name: tmp_path / f'good-{name}' for name in digits.data.FILES}
    for p in good.values():
        p.write_bytes(b'payload ' + p.name.encode())
    sums = {name: digits.data.md5(p) for name, p in good.items()}
    monkeypatch.setattr(digits.data, 'FILES', sums)

    def fake_get_file(name, url, cache_dir, cache_subdir):
        target = tmp_path / 'served'
        target.write_bytes(b'corrupt' if url.startswith(digits.data.MIRRORS[0]) else good[name].read_bytes())
        dest = f'{cache_dir}/{name}'
        target.rename(dest)
        return dest
    monkeypatch.setattr(ku, 'get_file', fake_get_file)
    digits.data.download(str(tmp_path / 'data'))
    for name in sums:
        assert digits.data.md5(tmp_path / 'data' / name) == sums[name]
