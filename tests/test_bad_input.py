"""Bad input to the real command-line scripts: a clean one-line message, never
a traceback, and the documented exit status (1 input failed, 2 bad usage).

Every test runs predict_1.py / predict_2.py / create_model_1.py as a user would
(a subprocess with this Python, from the repository root) and checks what
the user sees. docs/errors.md lists the same rows with the message each gives.

The models are copies of the shipped models/model_1 and models/model_2 (taken
once per session, so a training run replacing them mid-test cannot interfere);
when one is missing, a tiny one is trained from $MNIST_DATA_DIR instead, and
tests needing it are skipped if MNIST is absent too.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

import conftest
from conftest import user_env

ROOT = Path(__file__).resolve().parent.parent
EXIT_FAILED, EXIT_USAGE = 1, 2
MNIST_FILES = ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
               't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')
TIMEOUT = 600

# Lines TensorFlow's native code writes to stderr while it starts, before the
# scripts' own logging settings can take effect (see known_tf_noise()).
TF_NOISE = re.compile(r'^(WARNING: All log messages before absl::InitializeLog\(\) is called'
                      r'|[IWE]\d{4} [\d:.]+ +\d+ \S+:\d+\] )')


# ------------------------------------------------------------------ running

def run(script, *args, timeout=TIMEOUT, **env):
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=user_env(**env))


def stderr_lines(result):
    return [line for line in result.stderr.splitlines() if line.strip()]


def assert_no_traceback(result):
    for name, text in (('stdout', result.stdout), ('stderr', result.stderr)):
        assert 'Traceback' not in text, f'traceback on {name}:\n{text}'


def assert_one_error(result, status, *fragments):
    """Exit `status`, no traceback, and exactly one line on stderr holding
    every fragment (the file's name and the problem). Returns that line."""
    assert_no_traceback(result)
    assert result.returncode == status, (
        f'exit status {result.returncode}, expected {status}\n'
        f'stdout:\n{result.stdout}\nstderr:\n{result.stderr}')
    lines = stderr_lines(result)
    ours = [line for line in lines if not TF_NOISE.match(line)]
    assert len(ours) == 1, f'expected one error line on stderr, got:\n{result.stderr}'
    for fragment in fragments:
        assert str(fragment) in ours[0], f'{fragment!r} not in the message: {ours[0]!r}'
    if len(lines) != 1:
        pytest.fail(f'TensorFlow log lines on stderr besides the error:\n{result.stderr}')
    return ours[0]


def assert_usage_error(result, script, *fragments):
    """argparse's usage error: exit 2, the usage summary, then one
    'SCRIPT: error: ...' line naming the problem; no TensorFlow started."""
    assert_no_traceback(result)
    assert result.returncode == EXIT_USAGE, result.stderr
    lines = stderr_lines(result)
    assert lines[0].startswith('usage: '), result.stderr
    errors = [line for line in lines if ': error: ' in line]
    assert len(errors) == 1 and errors[0] == lines[-1], result.stderr
    assert errors[0].startswith(f'{script}: error: '), errors[0]
    for fragment in fragments:
        assert fragment in errors[0], f'{fragment!r} not in {errors[0]!r}'
    assert result.stdout == ''
    assert not any(TF_NOISE.match(line) for line in lines), 'TensorFlow started for a usage error'


# ------------------------------------------------------------------ fixtures

def mnist_dir_or_none():
    return conftest.mnist_dir()


@pytest.fixture(scope='session')
def mnist_dir():
    d = mnist_dir_or_none()
    if d is None:
        pytest.skip('MNIST files not found in $MNIST_DATA_DIR, ../shared/mnist or ./MNIST_data')
    return d


def copy_model(source, dest):
    """Copy the current checkpoint of model folder `source` into `dest`;
    None if there is none. Retries if a training run replaces it meanwhile."""
    for _ in range(5):
        state = source / 'checkpoint'
        if not state.is_file():
            return None
        match = re.search(r'^model_checkpoint_path: "([^"]+)"', state.read_text(), re.M)
        if not match:
            return None
        prefix = os.path.basename(match.group(1))
        try:
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            files = [p for p in source.iterdir() if p.name.startswith(prefix + '.')]
            if not any(p.name.endswith('.index') for p in files):
                raise FileNotFoundError(prefix)
            for p in files:
                shutil.copy2(p, dest / p.name)
            (dest / 'checkpoint').write_text(f'model_checkpoint_path: "{prefix}"\n'
                                             f'all_model_checkpoint_paths: "{prefix}"\n')
            return dest
        except FileNotFoundError:
            time.sleep(1)
    return None


def model_fixture(number, tmp_path_factory, steps):
    dest = tmp_path_factory.mktemp(f'model_{number}')
    copied = copy_model(ROOT / 'models' / f'model_{number}', dest / 'shipped')
    if copied is not None:
        return copied
    data = mnist_dir_or_none()
    if data is None:
        pytest.skip(f'models/model_{number} is missing and MNIST is not available to train '
                    'a small one (set MNIST_DATA_DIR)')
    trained = dest / 'tiny'
    result = run(f'create_model_{number}.py', '--steps', steps, '--head-pictures', 200,
                 '--model', trained, '--data-dir', data)
    assert result.returncode == 0, f'could not train a tiny model {number}:\n{result.stderr}'
    return trained


@pytest.fixture(scope='session')
def model_1(tmp_path_factory):
    return model_fixture(1, tmp_path_factory, 200)


@pytest.fixture(scope='session')
def model_2(tmp_path_factory):
    return model_fixture(2, tmp_path_factory, 20)


def draw(lines, size=200, width=18, mode='L', ink=0, paper=255):
    img = Image.new(mode, (size, size), paper)
    d = ImageDraw.Draw(img)
    for line in lines:
        d.line(line, fill=ink, width=width, joint='curve')
    return img


def seven(**kw):
    """A thick '7', drawn with lines: black on white, two colours only."""
    return draw([[(45, 40), (155, 40), (95, 170)]], **kw)


def four(**kw):
    return draw([[(130, 170), (130, 30), (45, 125), (165, 125)]], **kw)


@pytest.fixture(scope='session')
def images(tmp_path_factory):
    d = tmp_path_factory.mktemp('images')
    seven().save(d / 'seven.png')
    four().save(d / 'four.png')
    seven().convert('RGB').save(d / 'seven.jpg', quality=90)
    return d


def half_of(path, dest):
    data = Path(path).read_bytes()
    Path(dest).write_bytes(data[:len(data) // 2])
    return dest


def png_header_only(width, height):
    """A tiny valid-looking PNG (correct CRCs) that claims to be width x height."""
    def chunk(kind, body):
        return (struct.pack('>I', len(body)) + kind + body
                + struct.pack('>I', zlib.crc32(kind + body) & 0xffffffff))
    ihdr = struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0)   # 8-bit greyscale
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr)
            + chunk(b'IDAT', zlib.compress(b'\0' * 64)) + chunk(b'IEND', b''))


# ------------------------------------------------------------------ image files

def test_path_does_not_exist(model_1, tmp_path):
    path = tmp_path / 'no_such_picture.png'
    r = run('predict_1.py', '--model', model_1, path)
    assert_one_error(r, EXIT_FAILED, path, 'no such file')
    assert r.stdout == ''


def test_folder_without_images(model_1, tmp_path):
    folder = tmp_path / 'empty_folder'
    folder.mkdir()
    (folder / 'notes.txt').write_text('no pictures here\n')
    r = run('predict_1.py', '--model', model_1, folder)
    assert_one_error(r, EXIT_FAILED, folder, 'no images in this folder')
    assert r.stdout == ''


def test_empty_file(model_1, tmp_path):
    path = tmp_path / 'empty.png'
    path.write_bytes(b'')
    r = run('predict_1.py', '--model', model_1, path)
    assert_one_error(r, EXIT_FAILED, path, 'not an image file')


def test_truncated_png(model_1, images, tmp_path):
    path = half_of(images / 'seven.png', tmp_path / 'truncated.png')
    r = run('predict_1.py', '--model', model_1, path)
    assert_one_error(r, EXIT_FAILED, path, 'damaged or truncated image')


def test_truncated_jpeg(model_1, images, tmp_path):
    path = half_of(images / 'seven.jpg', tmp_path / 'truncated.jpg')
    r = run('predict_1.py', '--model', model_1, path)
    assert_one_error(r, EXIT_FAILED, path, 'damaged or truncated image')


def test_text_file_named_png(model_1, tmp_path):
    path = tmp_path / 'letter.png'
    path.write_text('Dear reader,\nthis is not a picture.\n')
    r = run('predict_1.py', '--model', model_1, path)
    assert_one_error(r, EXIT_FAILED, path, 'not an image file Pillow can read')


def test_pdf_named_png(model_1, tmp_path):
    path = tmp_path / 'scan.png'
    path.write_bytes(b'%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
                     b'2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n'
                     b'trailer\n<< /Root 1 0 R >>\n%%EOF\n')
    r = run('predict_1.py', '--model', model_1, path)
    assert_one_error(r, EXIT_FAILED, path, 'not an image file Pillow can read')


@pytest.mark.parametrize('mode, size, colour', [
    ('L', (1, 1), 0), ('L', (1, 1), 255),          # 0x0 cannot be stored in a PNG
    ('RGB', (800, 600), (255, 255, 255)),          # blank page
    ('RGB', (800, 600), (0, 0, 0)),                # a page that is all ink
], ids=['one_pixel_black', 'one_pixel_white', 'blank_page', 'page_all_ink'])
def test_nothing_to_read(model_1, tmp_path, mode, size, colour):
    """A picture of a single colour is reported as 'no digit found', never guessed at."""
    path = tmp_path / 'page.png'
    Image.new(mode, size, colour).save(path)
    r = run('predict_1.py', '--model', model_1, path)
    assert_one_error(r, EXIT_FAILED, path, 'no digit found')
    assert r.stdout == ''


@pytest.mark.parametrize('side', [100_000, 10_000], ids=['bomb_error', 'bomb_warning'])
def test_decompression_bomb(model_1, tmp_path, side):
    """A tiny PNG claiming side x side pixels: far over Pillow's limit (an
    error in Pillow) or just over it (a warning in Pillow) -- both refused
    before any pixel is decoded."""
    path = tmp_path / f'bomb_{side}.png'
    path.write_bytes(png_header_only(side, side))
    assert path.stat().st_size < 200
    from digits.decode import ImageError, load_image
    start = time.monotonic()
    with pytest.raises(ImageError):
        load_image(str(path))
    assert time.monotonic() - start < 2, 'the bomb was not refused quickly'
    r = run('predict_1.py', '--model', model_1, path, timeout=180)
    assert_one_error(r, EXIT_FAILED, path, 'image too large to read safely')


def first_frame_matches(model, tmp_path, multi_frame_path):
    """Predict the first frame saved alone as PNG and the multi-frame file in one
    run: both read as the same single digit with the same probabilities."""
    first = tmp_path / 'first_frame.png'
    seven().save(first)
    r = run('predict_1.py', '--model', model, '--json', first, multi_frame_path)
    assert_no_traceback(r)
    assert r.returncode == 0, r.stderr
    assert stderr_lines(r) == []
    alone, multi = [json.loads(line) for line in r.stdout.splitlines()]
    assert multi['path'] == str(multi_frame_path)
    assert re.fullmatch(r'\d', multi['result']), multi
    assert multi['digits'] == alone['digits']


def test_animated_gif_reads_first_frame(model_1, tmp_path):
    path = tmp_path / 'animated.gif'
    frames = [seven().convert('P'), Image.new('L', (200, 200), 255).convert('P')]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)
    with Image.open(path) as check:
        assert check.n_frames == 2
    first_frame_matches(model_1, tmp_path, path)


def test_multipage_tiff_reads_first_page(model_1, tmp_path):
    path = tmp_path / 'pages.tiff'
    pages = [seven(), Image.new('L', (200, 200), 255)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    with Image.open(path) as check:
        assert check.n_frames == 2
    first_frame_matches(model_1, tmp_path, path)


@pytest.mark.skipif(hasattr(os, 'geteuid') and os.geteuid() == 0,
                    reason='running as root: root can read a chmod 000 file, so it cannot be made unreadable')
@pytest.mark.skipif(not hasattr(os, 'geteuid'), reason='needs POSIX permissions')
def test_unreadable_file(model_1, images, tmp_path):
    path = tmp_path / 'locked.png'
    shutil.copy(images / 'seven.png', path)
    path.chmod(0)
    try:
        r = run('predict_1.py', '--model', model_1, path)
    finally:
        path.chmod(0o644)
    assert_one_error(r, EXIT_FAILED, path, 'permission denied')


def test_one_bad_file_among_good(model_1, images, tmp_path):
    bad = tmp_path / 'garbage.png'
    bad.write_bytes(os.urandom(300))
    good = [images / 'seven.png', images / 'four.png']
    r = run('predict_1.py', '--model', model_1, good[0], bad, good[1])
    assert_one_error(r, EXIT_FAILED, bad, 'not an image file Pillow can read')
    lines = r.stdout.splitlines()
    assert [line.split('\t')[0] for line in lines] == [str(p) for p in good], r.stdout
    for line in lines:
        assert re.fullmatch(r'[^\t]+\t\d+', line), line


# ------------------------------------------------------------------ checkpoints

def test_missing_checkpoint(images):
    r = run('predict_1.py', '--model', '/nonexistent', images / 'seven.png')
    assert_one_error(r, EXIT_FAILED, '/nonexistent', 'no checkpoint', 'create_model_1.py')
    assert r.stdout == ''


def damaged_copy(model, tmp_path, suffix, damage):
    copy = tmp_path / 'damaged_model'
    shutil.copytree(model, copy)
    [target] = [p for p in copy.iterdir() if p.name.endswith(suffix)]
    damage(target)
    return copy


def test_truncated_checkpoint_data(model_1, images, tmp_path):
    def truncate(p):
        p.write_bytes(p.read_bytes()[:len(p.read_bytes()) // 3])
    model = damaged_copy(model_1, tmp_path, '.data-00000-of-00001', truncate)
    r = run('predict_1.py', '--model', model, images / 'seven.png')
    assert_one_error(r, EXIT_FAILED, model, 'corrupt')
    assert r.stdout == ''


def test_corrupt_checkpoint_index(model_1, images, tmp_path):
    def scramble(p):
        data = bytearray(p.read_bytes())
        for i in range(0, len(data), 3):
            data[i] ^= 0x5A
        p.write_bytes(bytes(data))
    model = damaged_copy(model_1, tmp_path, '.index', scramble)
    r = run('predict_1.py', '--model', model, images / 'seven.png')
    assert_one_error(r, EXIT_FAILED, model, 'corrupt')
    assert r.stdout == ''


def test_model_1_checkpoint_given_to_predict_2(model_1, images):
    r = run('predict_2.py', '--model', model_1, images / 'seven.png')
    line = assert_one_error(r, EXIT_FAILED, model_1, 'a model 1 checkpoint', 'expected model 2',
                            'predict_1.py')
    assert r.stdout == '', line


def test_model_2_checkpoint_given_to_predict_1(model_2, images):
    r = run('predict_1.py', '--model', model_2, images / 'seven.png')
    line = assert_one_error(r, EXIT_FAILED, model_2, 'a model 2 checkpoint', 'expected model 1',
                            'predict_2.py')
    assert r.stdout == '', line


# ------------------------------------------------------------------ MNIST files

def mnist_copy(source, dest, broken, damage):
    """The four MNIST files in `dest`, `broken` damaged by `damage(bytes)`."""
    dest.mkdir()
    for name in MNIST_FILES:
        data = Path(source, name).read_bytes()
        (dest / name).write_bytes(damage(data) if name == broken else data)
    return dest


def train_on(folder, tmp_path):
    return run('create_model_1.py', '--steps', 5, '--data-dir', folder,
               '--model', tmp_path / 'never_written')


def test_mnist_corrupt_file(mnist_dir, tmp_path):
    def flip(data):
        data = bytearray(data)
        for i in range(len(data) // 2, len(data) // 2 + 64):
            data[i] ^= 0xFF
        return bytes(data)
    broken = 'train-images-idx3-ubyte.gz'
    folder = mnist_copy(mnist_dir, tmp_path / 'mnist', broken, flip)
    r = train_on(folder, tmp_path)
    assert not (tmp_path / 'never_written').exists()
    assert_one_error(r, EXIT_FAILED, folder / broken, 'checksum mismatch')


def test_mnist_truncated_file(mnist_dir, tmp_path):
    broken = 't10k-labels-idx1-ubyte.gz'
    folder = mnist_copy(mnist_dir, tmp_path / 'mnist', broken, lambda data: data[:len(data) // 2])
    r = train_on(folder, tmp_path)
    assert not (tmp_path / 'never_written').exists()
    assert_one_error(r, EXIT_FAILED, folder / broken, 'checksum mismatch')


def test_mnist_wrong_magic(tmp_path):
    """Well-formed gzip files of IDX shape whose magic number is wrong (needs no
    MNIST: the files are made up; the checksum check refuses them first)."""
    import gzip
    folder = tmp_path / 'mnist'
    folder.mkdir()
    for name in MNIST_FILES:
        (folder / name).write_bytes(gzip.compress(b'\x00\x00\x09\x03' + struct.pack('>III', 1, 28, 28)
                                                  + bytes(784)))
    r = train_on(folder, tmp_path)
    assert not (tmp_path / 'never_written').exists()
    assert_one_error(r, EXIT_FAILED, folder / MNIST_FILES[0], 'checksum mismatch')


# ------------------------------------------------------------------ options

@pytest.mark.parametrize('script, args, fragments', [
    ('create_model_1.py', ['--steps', '-5'], ['--steps', "'-5' must be a positive number"]),
    ('create_model_1.py', ['--learning-rate', 'abc'], ['--learning-rate', "'abc' is not a number"]),
    ('predict_1.py', [], ['give at least one image']),
], ids=['steps_negative', 'learning_rate_abc', 'predict_no_image'])
def test_bad_option_value(tmp_path, script, args, fragments):
    r = run(script, *args, '--model', tmp_path / 'never_written', timeout=120)
    assert_usage_error(r, script, *fragments)
    assert not (tmp_path / 'never_written').exists()


@pytest.mark.quick
def test_unreadable_file_message(monkeypatch, images):
    """The same row in-process, where the test cannot make a file unreadable
    (as root): the operating system's refusal becomes the one-line message."""
    import imageprepare
    from PIL import Image as PILImage
    from digits.decode import ImageError

    def refuse(*args, **kwargs):
        raise PermissionError(13, 'Permission denied')
    monkeypatch.setattr(PILImage, 'open', refuse)
    with pytest.raises(ImageError) as error:
        imageprepare.imageprepare(str(images / 'seven.png'))
    assert str(error.value) == f'{images / "seven.png"}: permission denied'
