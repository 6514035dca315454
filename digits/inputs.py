"""What to read: the pictures named on a command line, and labelled folders to measure on."""
import csv
import glob
import os
import re


IMAGE_TYPES = ('.png', '.jpg', '.jpeg', '.gif', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')
DIGITS = [str(d) for d in range(10)]


def expand_inputs(inputs):
    """Files, folders (every image inside, sorted) and globs -> (paths, errors)."""
    paths, errors = [], []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted(os.path.join(d, f) for d, _, files in os.walk(item) for f in files
                           if f.lower().endswith(IMAGE_TYPES))
            if not found:
                errors.append(f'{item}: no images in this folder')
            paths.extend(found)
        elif not os.path.exists(item) and glob.has_magic(item):
            found = sorted(glob.glob(item, recursive=True))
            if not found:
                errors.append(f'{item}: no file matches')
            paths.extend(found)
        else:
            paths.append(item)
    return paths, errors


def labelled_files(folder):
    """[(path, label)] for every labelled image under `folder`."""
    table = os.path.join(folder, 'labels.csv')
    if os.path.isfile(table):
        with open(table, newline='') as f:
            rows = list(csv.DictReader(f))
        for n, row in enumerate(rows, start=2):
            if not row.get('filename') or (row.get('label') or '').strip() not in DIGITS:
                raise ValueError(f'{table} line {n}: expected filename,label with a digit 0-9')
        return [(os.path.join(folder, row['filename']), int(row['label'])) for row in rows]
    paths, _ = expand_inputs([folder])
    out = []
    for path in paths:
        parent = os.path.basename(os.path.dirname(path))
        name = os.path.basename(path)
        if re.fullmatch(r'\d', parent):
            out.append((path, int(parent)))
        elif re.match(r'\d(?!\d)', name):
            out.append((path, int(name[0])))
    return out
