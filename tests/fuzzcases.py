"""Damaged image files for fuzzing imageprepare, shared by tests/test_fuzz.py
and bench/fuzz.py (which loads this file and imageprepare.py by their paths).

A case is named by (run seed, format, number): make_case() rebuilds the same
bytes from that name every time. It takes one of a few small, valid pictures
of a digit-like figure in that format and applies one to three mutations:
bit flips, overwritten bytes, truncation, inserted garbage, deleted or
duplicated ranges, header fields set to absurd values (PNG with or without a
fixed CRC), and duplicated, dropped or swapped chunks (PNG chunks, JPEG
segments, GIF blocks).

check() runs imageprepare on a file and sorts the outcome: a valid array,
a clean ImageError, or a failure (any other exception, an invalid array, a
timeout, a multi-line message) -- the contract is that there are no failures.
"""
import collections
import contextlib
import faulthandler
import functools
import io
import random
import re
import signal
import sys
import traceback
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import digits
import imageprepare
from digits.decode import ImageError, short

PACKAGE = Path(digits.__file__).resolve().parent

FORMATS = ('png', 'jpeg', 'gif', 'bmp')
TIMEOUT = 5.0          # seconds a case may take before it counts as a hang


# ---------------------------------------------------------------- valid pictures

def digit(rng, mode='L', big=False):
    """A small picture of a digit-like figure, dark ink on light paper. Most
    are at most 64 pixels wide and high, which imageprepare reads fastest;
    `big` ones go up to 120 (another way to find the paper colour)."""
    w, h = (rng.randint(65, 120), rng.randint(40, 120)) if big else (rng.randint(40, 64), rng.randint(40, 64))
    img = Image.new('L', (w, h), rng.randint(180, 255))
    d = ImageDraw.Draw(img)
    ink, width = rng.randint(0, 80), max(2, min(w, h) // rng.randint(6, 12))
    mx, my = w // 5, h // 6
    shape = rng.choice(['zero', 'one', 'seven', 'four'])
    if shape == 'zero':
        d.ellipse([mx, my, w - mx, h - my], outline=ink, width=width)
    elif shape == 'one':
        d.line([(w // 2 - mx // 2, my + 4), (w // 2, my), (w // 2, h - my)], fill=ink, width=width)
    elif shape == 'seven':
        d.line([(mx, my), (w - mx, my), (w // 2, h - my)], fill=ink, width=width)
    else:
        d.line([(w - 2 * mx, h - my), (w - 2 * mx, my), (mx, h * 2 // 3), (w - mx, h * 2 // 3)],
               fill=ink, width=width)
    return img if mode == 'L' else img.convert(mode)


def encode(img, fmt, **options):
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    return buf.getvalue()


def exif_rotated():
    exif = Image.Exif()
    exif[0x0112] = 6      # orientation: rotate 90 degrees
    exif[0x010F] = 'fuzz'
    return exif.tobytes()


@functools.lru_cache(maxsize=None)
def bases(fmt):
    """A few valid files of `fmt` in different modes and options, as bytes."""
    rng = random.Random(f'bases/{fmt}')
    if fmt == 'png':
        rgba = digit(rng, 'L')
        rgba = Image.merge('RGBA', [Image.new('L', rgba.size, 0)] * 3 + [rgba.point(lambda v: 255 - v)])
        from PIL.PngImagePlugin import PngInfo
        info = PngInfo()
        info.add_text('Comment', 'a digit')
        return [encode(digit(rng, 'L'), 'PNG'),
                encode(digit(rng, 'RGB', big=True), 'PNG', exif=exif_rotated()),
                encode(rgba, 'PNG'),
                encode(digit(rng, 'P'), 'PNG', pnginfo=info),
                encode(digit(rng, '1'), 'PNG'),
                encode(digit(rng, 'LA'), 'PNG'),
                encode(digit(rng, 'I').point(lambda v: v * 257).convert('I;16'), 'PNG')]
    if fmt == 'jpeg':
        return [encode(digit(rng, 'L'), 'JPEG', quality=80),
                encode(digit(rng, 'RGB', big=True), 'JPEG', quality=70, exif=exif_rotated()),
                encode(digit(rng, 'RGB'), 'JPEG', progressive=True, subsampling=2),
                encode(digit(rng, 'CMYK'), 'JPEG')]
    if fmt == 'gif':
        frames = [digit(rng, 'P', big=True), digit(rng, 'P', big=True)]
        return [encode(digit(rng, 'P'), 'GIF'),
                encode(digit(rng, 'L'), 'GIF', transparency=255),
                encode(frames[0], 'GIF', save_all=True, append_images=frames[1:], duration=50)]
    if fmt == 'bmp':
        return [encode(digit(rng, 'RGB', big=True), 'BMP'),
                encode(digit(rng, 'L'), 'BMP'),
                encode(digit(rng, 'P'), 'BMP'),
                encode(digit(rng, '1'), 'BMP'),
                encode(digit(rng, 'RGBA'), 'BMP')]
    raise ValueError(fmt)


# ---------------------------------------------------------------- file structure

def chunks(fmt, data):
    """(start, end, name) of the blocks of a file, as far as they parse."""
    out = []
    try:
        if fmt == 'png':
            pos = 8
            while pos + 12 <= len(data):
                end = pos + 12 + int.from_bytes(data[pos:pos + 4], 'big')
                if end > len(data):
                    break
                out.append((pos, end, bytes(data[pos + 4:pos + 8]).decode('latin-1')))
                pos = end
        elif fmt == 'jpeg':
            pos = 2
            while pos + 4 <= len(data) and data[pos] == 0xFF and data[pos + 1] not in (0xD8, 0xD9):
                end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], 'big')
                out.append((pos, end, f'FF{data[pos + 1]:02X}'))
                if data[pos + 1] == 0xDA:      # scan data follows, not segments
                    break
                pos = end
        elif fmt == 'gif':
            flags = data[10]
            pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
            while pos < len(data) and data[pos] in (0x21, 0x2C):
                start = pos
                if data[pos] == 0x21:
                    name, pos = f'ext{data[pos + 1]:02X}', pos + 2
                else:
                    lflags = data[pos + 9]
                    name, pos = 'image', pos + 11 + (3 << ((lflags & 7) + 1) if lflags & 0x80 else 0)
                while data[pos]:
                    pos += data[pos] + 1
                out.append((start, pos + 1, name))
                pos += 1
        elif fmt == 'bmp':
            header = int.from_bytes(data[14:18], 'little')
            out = [(0, 14, 'file header'), (14, 14 + header, 'info header')]
    except IndexError:
        pass
    return out


def exif_fields(data, crc_chunk=None):
    """The EXIF orientation tag's type, count and value (Pillow writes big-endian TIFF)."""
    i = bytes(data).find(b'\x01\x12\x00\x03')
    if i < 0:
        return []
    return [('EXIF orientation type', i + 2, 2, 'big', crc_chunk),
            ('EXIF orientation count', i + 4, 4, 'big', crc_chunk),
            ('EXIF orientation', i + 8, 2, 'big', crc_chunk)]


def fields(fmt, data):
    """(name, offset, size in bytes, byte order, start of chunk covered by a CRC or None)."""
    if fmt == 'png':
        f = [('IHDR width', 16, 4, 'big', 8), ('IHDR height', 20, 4, 'big', 8),
             ('IHDR bit depth', 24, 1, 'big', 8), ('IHDR colour type', 25, 1, 'big', 8),
             ('IHDR compression', 26, 1, 'big', 8), ('IHDR filter', 27, 1, 'big', 8),
             ('IHDR interlace', 28, 1, 'big', 8)]
        exif = [start for start, _, name in chunks(fmt, data) if name == 'eXIf']
        f += exif_fields(data, exif[0]) if exif else []
        return f + [(f'{name} length', start, 4, 'big', None) for start, _, name in chunks(fmt, data)]
    if fmt == 'jpeg':
        f = exif_fields(data)
        for start, _, name in chunks(fmt, data):
            f.append((f'{name} length', start + 2, 2, 'big', None))
            if name in ('FFC0', 'FFC2'):
                f += [(f'{name} precision', start + 4, 1, 'big', None),
                      (f'{name} height', start + 5, 2, 'big', None),
                      (f'{name} width', start + 7, 2, 'big', None),
                      (f'{name} components', start + 9, 1, 'big', None),
                      (f'{name} sampling', start + 11, 1, 'big', None)]
        return f
    if fmt == 'gif':
        f = [('screen width', 6, 2, 'little', None), ('screen height', 8, 2, 'little', None),
             ('screen flags', 10, 1, 'little', None)]
        for start, _, name in chunks(fmt, data):
            if name == 'image':
                f += [('image left', start + 1, 2, 'little', None),
                      ('image top', start + 3, 2, 'little', None),
                      ('image width', start + 5, 2, 'little', None),
                      ('image height', start + 7, 2, 'little', None),
                      ('image flags', start + 9, 1, 'little', None)]
        return f
    if fmt == 'bmp':
        return [('file size', 2, 4, 'little', None), ('data offset', 10, 4, 'little', None),
                ('header size', 14, 4, 'little', None), ('width', 18, 4, 'little', None),
                ('height', 22, 4, 'little', None), ('planes', 26, 2, 'little', None),
                ('bits per pixel', 28, 2, 'little', None), ('compression', 30, 4, 'little', None),
                ('image size', 34, 4, 'little', None), ('colours used', 46, 4, 'little', None)]
    raise ValueError(fmt)


# ---------------------------------------------------------------- mutations
# Each takes (rng, data: bytearray, fmt), changes data in place and says what it did.

def flip_bits(rng, data, fmt):
    offsets = sorted(rng.randrange(len(data)) for _ in range(rng.randint(1, 8)))
    for pos in offsets:
        data[pos] ^= 1 << rng.randrange(8)
    return f'flip bits at {offsets}'


def overwrite(rng, data, fmt):
    pos, n = rng.randrange(len(data)), rng.randint(1, 8)
    data[pos:pos + n] = bytes(rng.randrange(256) for _ in range(n))
    return f'overwrite {n} bytes at {pos}'


def truncate(rng, data, fmt):
    pos = rng.randrange(len(data))
    del data[pos:]
    return f'truncate at {pos}'


def insert(rng, data, fmt):
    pos, n = rng.randrange(len(data) + 1), rng.choice([1, 2, 4, 16, 64])
    data[pos:pos] = bytes(rng.randrange(256) for _ in range(n))
    return f'insert {n} garbage bytes at {pos}'


def delete(rng, data, fmt):
    pos, n = rng.randrange(len(data)), rng.randint(1, 64)
    del data[pos:pos + n]
    return f'delete {n} bytes at {pos}'


def duplicate_range(rng, data, fmt):
    pos, n = rng.randrange(len(data)), rng.randint(1, 256)
    data[pos:pos] = data[pos:pos + n]
    return f'duplicate {n} bytes at {pos}'


def absurd(rng, size, old):
    """A value for a `size`-byte field that held `old`: 0, huge, negative if
    signed, near the old one, a small code, or any."""
    top = 1 << (8 * size)
    return rng.choice([0, 1, top - 1, top // 2 - 1, top // 2, min(65535, top - 1), min(65536, top - 1),
                       old * 2 % top, old * 100 % top, old // 2, (old + 1) % top, (old - 1) % top,
                       rng.randrange(8), rng.randrange(top)])


def set_field(rng, data, fmt):
    choices = [f for f in fields(fmt, data) if f[1] + f[2] <= len(data)]
    if not choices:
        return overwrite(rng, data, fmt)
    name, pos, size, order, crc_chunk = rng.choice(choices)
    value = absurd(rng, size, int.from_bytes(data[pos:pos + size], order))
    data[pos:pos + size] = value.to_bytes(size, order)
    fixed = ''
    if crc_chunk is not None and rng.random() < 0.5:      # PNG: make the CRC match again
        length = int.from_bytes(data[crc_chunk:crc_chunk + 4], 'big')
        end = crc_chunk + 8 + length
        if end + 4 <= len(data):
            data[end:end + 4] = zlib.crc32(data[crc_chunk + 4:end]).to_bytes(4, 'big')
            fixed = ', CRC fixed'
    return f'set {name} to {value}{fixed}'


def chunk_op(rng, data, fmt):
    blocks = chunks(fmt, data)
    if not blocks:
        return duplicate_range(rng, data, fmt)
    start, end, name = rng.choice(blocks)
    op = rng.choice(['duplicate', 'duplicate', 'drop', 'swap'])
    piece = bytes(data[start:end])
    if op == 'duplicate':
        data[end:end] = piece * rng.choice([1, 1, 2, 50])
    elif op == 'drop':
        del data[start:end]
    else:
        start2, end2, name2 = rng.choice(blocks)
        if (start2, end2) == (start, end):
            return f'swap {name} with itself'
        (a, b), (c, d) = sorted([(start, end), (start2, end2)])
        data[a:d] = data[c:d] + data[b:c] + data[a:b]
        return f'swap {name} and {name2}'
    return f'{op} {name} at {start}'


MUTATIONS = [(flip_bits, 3), (overwrite, 2), (truncate, 2), (insert, 1), (delete, 1),
             (duplicate_range, 1), (set_field, 3), (chunk_op, 2)]


Case = collections.namedtuple('Case', 'fmt number seed data mutations')


def make_case(fmt, number, seed=0):
    """The `number`th damaged `fmt` file of run `seed`, always the same bytes."""
    rng = random.Random(f'{seed}/{fmt}/{number}')
    files = bases(fmt)
    base = rng.randrange(len(files))
    data = bytearray(files[base])
    done = [f'base {base}']
    funcs, weights = zip(*MUTATIONS)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not data:
            break
        done.append(rng.choices(funcs, weights)[0](rng, data, fmt))
    return Case(fmt, number, seed, bytes(data), done)


def label(case):
    return f'{case.fmt} case {case.number} (seed {case.seed}): {"; ".join(case.mutations)}'


# ---------------------------------------------------------------- running a case

class CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so no `except Exception` swallows it."""


@contextlib.contextmanager
def time_limit(seconds):
    """Raise CaseTimeout after `seconds`. As a backstop for a hang inside C code,
    which the alarm cannot interrupt, dump all tracebacks and exit the process
    after four times as long."""
    def alarm(signum, frame):
        raise CaseTimeout(f'no answer within {seconds} s')
    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(4 * seconds, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        faulthandler.cancel_dump_traceback_later()


Outcome = collections.namedtuple('Outcome', 'kind detail')   # kind: predicted, error or failure


def where(exc):
    """Where an exception came from: the last line in the package (digits/) and the innermost line."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__]
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(PACKAGE)]
    spots = ([ours[-1]] if ours else []) + ([frames[-1]] if frames and frames[-1] not in ours else [])
    return ' <- '.join(f'{Path(f.filename).name}:{f.lineno}' for f in reversed(spots))


def check(path, timeout=TIMEOUT):
    """Run imageprepare on `path` and sort the outcome."""
    try:
        with time_limit(timeout):
            out = imageprepare.imageprepare(str(path))
    except ImageError as e:
        msg = str(e)
        if not msg.strip() or '\n' in msg:
            return Outcome('failure', f'ImageError message is not one line: {msg!r}')
        return Outcome('error', msg)
    except CaseTimeout as e:
        return Outcome('failure', f'hang: {e} ({where(e)})')
    except Exception as e:
        return Outcome('failure', f'{type(e).__name__}: {short(e)} at {where(e)}')
    if not isinstance(out, np.ndarray):
        return Outcome('failure', f'returned {type(out).__name__}, not an array')
    if out.shape != (784,) or out.dtype != np.float32:
        return Outcome('failure', f'returned shape {out.shape} {out.dtype}')
    if not np.isfinite(out).all() or out.min() < 0 or out.max() > 1:
        return Outcome('failure', f'returned values outside 0..1: min {out.min()} max {out.max()}')
    return Outcome('predicted', None)


def error_kind(message, path):
    """The kind of an ImageError message: without the path and the details in brackets."""
    text = message.replace(f'{path}: ', '')
    return re.sub(r'\s*\(.*', '', text)


def run_cases(fmt, numbers, seed, directory, timeout=TIMEOUT, trace=False):
    """Yield (case, outcome) for the cases `numbers` of `fmt`, via files in
    `directory`; with `trace`, name each case on stderr before running it."""
    path = Path(directory) / f'case.{fmt}'
    for number in numbers:
        case = make_case(fmt, number, seed)
        path.write_bytes(case.data)
        if trace:
            print(label(case), file=sys.stderr, flush=True)
        yield case, check(path, timeout)
