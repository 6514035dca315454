"""imageprepare on valid pictures of anything: a digit's 28x28s or an ImageError.

test_fuzz.py damages the bytes of good files; these are good files of random
content (strokes, rings, boxes, dots, noise, a hard shadow, in any colours),
which is what reaches ink_map, keep_strokes and digits.pieces in odd shapes.
Every page goes through the whole number path as predict_2.py runs it: with
`single`, and without it but with `--separators` (its marks must be
separators at a finite column); every wide piece through cut_candidates. Page n is
rebuilt from (seed, n), so a failure is reproduced with random_page(seed, n).
"""
import numpy as np
import pytest
from PIL import Image, ImageDraw

from digits import pieces
from digits.decode import ImageError, short

pytestmark = pytest.mark.quick

PAGES = 200
CHUNK = 100
ONCE_BROKEN = [(1, 1018), (1, 2855)]   # faint specks: an IndexError in normalise_strokes


def random_page(seed, number):
    """A picture of 8..500 x 8..700 pixels in mode L, RGB or RGBA."""
    rng = np.random.default_rng([seed, number])
    h, w = int(rng.integers(8, 500)), int(rng.integers(8, 700))
    mode = rng.choice(['L', 'RGB', 'RGBA'])
    paper = tuple(int(v) for v in rng.integers(0, 256, 4))
    img = Image.new('RGBA', (w, h), paper if mode == 'RGBA' else paper[:3] + (255,))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(0, 25))):
        colour = tuple(int(v) for v in rng.integers(0, 256, 4))
        kind = rng.integers(0, 4)
        points = [(int(rng.integers(-20, w + 20)), int(rng.integers(-20, h + 20)))
                  for _ in range(int(rng.integers(2, 6)))]
        width = int(rng.integers(1, max(2, min(h, w) // 4)))
        (x0, y0), (x1, y1) = points[:2]
        box = [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]
        if kind == 0:
            draw.line(points, fill=colour, width=width)
        elif kind == 1:
            draw.ellipse(box, outline=colour, width=width)
        elif kind == 2:
            draw.rectangle(box, fill=colour if rng.random() < .3 else None, outline=colour, width=width)
        else:
            draw.point(points, fill=colour)
    a = np.asarray(img).astype(np.float32)
    if rng.random() < 0.3:
        a[..., :3] += rng.normal(0, rng.uniform(1, 40), a[..., :3].shape)
    if rng.random() < 0.3:
        yy, xx = np.mgrid[0:h, 0:w]
        shadow = (xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1)) > 0
        a[..., :3] *= (0.3 + 0.7 * shadow)[..., None]
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), 'RGBA').convert(mode)


def broken_contract(img):
    """What is wrong with reading `img` as predict_2.py does, or None."""
    try:
        for single, separators in ((False, True), (True, False)):     # separators: only a search more
            entries = pieces.digit_candidates(img, single, separators)
            rows = entries if isinstance(entries, pieces.Page) else [entries]
            if isinstance(entries, pieces.Page) and (single or len(entries) < 2):
                return f'a page of {len(entries)} rows (single={single})'
            marks = [mark for row in rows for mark in row.separators]
            if any(m not in ('.', ',', '-') or not np.isfinite(c) for c, m in marks):
                return f'separators that are not a mark at a column: {marks}'
            for whole, piece in (entry for row in rows for entry in row):
                if whole.shape[-2:] != (28, 28) or not np.isfinite(whole).all():
                    return f'a whole of shape {whole.shape} or not finite (single={single})'
                if piece is None:
                    continue
                parts, ways = pieces.cut_candidates(piece)
                if any(p.shape != (28, 28) or not np.isfinite(p).all() for p in parts):
                    return 'a cut part that is not a finite 28x28'
                if any(not 0 <= i < len(parts) for way in ways for i in way):
                    return 'a way of cutting that names a part that does not exist'
    except ImageError as e:
        if '\n' in str(e) or not str(e).strip():
            return f'ImageError message is not one line: {e!r}'
    except Exception as e:
        return f'{type(e).__name__}: {short(e)}'
    return None


@pytest.mark.parametrize('start', range(0, PAGES, CHUNK))
def test_random_pages(start):
    failures = [f'random_page(0, {n}): {problem}' for n in range(start, start + CHUNK)
                if (problem := broken_contract(random_page(0, n)))]
    assert not failures, '\n'.join(failures)


@pytest.mark.parametrize('seed, number', ONCE_BROKEN)
def test_pages_that_once_broke(seed, number):
    assert broken_contract(random_page(seed, number)) is None
