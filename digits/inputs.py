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
    """[(path, label)] for every labelled image under `folder`: from its
    labels.csv, else digit folders, else names starting with the digit.
    Raises ValueError naming the file (and line) for a folder or table it cannot use."""
    if not os.path.exists(folder):
        raise ValueError(f'{folder}: no such folder')
    if not os.path.isdir(folder):
        raise ValueError(f'{folder}: not a folder')
    table = os.path.join(folder, 'labels.csv')
    if os.path.isfile(table):
        return [(os.path.join(folder, name), label) for name, label in read_labels(table)]
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


def read_labels(table):
    """[(filename, label)] from a labels.csv (`filename,label`), as a
    spreadsheet may write it: UTF-8 with or without a byte-order mark,
    spaces around names and values."""
    try:
        with open(table, newline='', encoding='utf-8-sig') as f:
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise ValueError(f'{table}: not UTF-8 text; save it as "CSV UTF-8"') from None
    except csv.Error as e:
        raise ValueError(f'{table}: not a CSV file ({e})') from None
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if 'filename' not in header or 'label' not in header:
        raise ValueError(f'{table} line 1: expected the header filename,label')
    name, label = header.index('filename'), header.index('label')
    labels = []
    for n, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue    # a blank line
        if len(cells) <= max(name, label) or not cells[name] or cells[label] not in DIGITS:
            raise ValueError(f'{table} line {n}: expected filename,label with a digit 0-9')
        labels.append((cells[name], int(cells[label])))
    return labels
