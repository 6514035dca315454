"""How readings are printed and saved: text, JSON, and the 28x28s the network saw."""
import json
import os

import numpy as np
from PIL import Image


ENLARGED = 280   # px: the 28x28s written by --save-prepared, enlarged 10 times


def describe(digits, top_k=None, min_confidence=None, separators=False):
    """The text printed for one image's digits: [(28x28, probabilities [10])]
    -> '42'; numbers written one under another (a Reading's breaks) -> '42 7';
    with `separators`, those written between the digits (a Reading's
    separators) kept: '12-05-2026' (not with top_k)."""
    breaks = getattr(digits, 'breaks', ())
    marks = getattr(digits, 'separators', {}) if separators and not top_k else {}
    if top_k:
        texts = [' '.join(f'{d}:{p[d]:.3f}' for d in np.argsort(-p)[:top_k]) for _, p in digits]
        between = (' | ', ' || ')     # (between digits, between rows)
    else:
        texts = ['?' if min_confidence is not None and p.max() < min_confidence else str(int(p.argmax()))
                 for _, p in digits]
        between = ('', ' ')
    return ''.join((between[i in breaks] if i else '') + marks.get(i, '') + text for i, text in enumerate(texts))


def as_json(path, digits, min_confidence=None, separators=False):
    """The JSON line printed for one image's digits (--json)."""
    doubtful = [bool(min_confidence is not None and p.max() < min_confidence) for _, p in digits]
    return json.dumps({
        'path': path,
        'result': describe(digits, None, min_confidence, separators),
        'confidence': round(float(min(p.max() for _, p in digits)), 4),
        'uncertain': any(doubtful),
        'digits': [{'digit': int(p.argmax()), 'confidence': round(float(p.max()), 4),
                    'probabilities': [round(float(v), 4) for v in p], 'row': row}
                   for (_, p), row in zip(digits, digit_rows(digits))],
    })


def digit_rows(digits):
    """The row of writing each digit is in, 0 for the top one (a Reading's breaks)."""
    breaks = getattr(digits, 'breaks', ())
    return [sum(b <= i for b in breaks) for i in range(len(digits))]


def prepared_names(paths):
    """File names for --save-prepared: each picture's own name or, where two
    pictures share one, its path below the pictures' common folder."""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    if len(set(stems)) < len(stems):
        common = os.path.commonpath([os.path.abspath(p) for p in paths])
        stems = [os.path.relpath(os.path.abspath(p), common).replace(os.sep, '_').replace('.', '_')
                 for p in paths]
    return stems


def save_prepared(folder, stem, digits):
    """Write each 28x28 the network saw, enlarged 10 times, as STEM.png (or
    STEM_0.png, STEM_1.png ... for the digits of a number; for a stretched
    scan, read at five widths, the one at MNIST's median width)."""
    os.makedirs(folder, exist_ok=True)
    for i, (image, _) in enumerate(digits):
        name = f'{stem}.png' if len(digits) == 1 else f'{stem}_{i}.png'
        Image.fromarray((image * 255).astype(np.uint8)).resize((ENLARGED, ENLARGED), Image.NEAREST) \
            .save(os.path.join(folder, name))
