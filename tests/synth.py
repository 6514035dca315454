"""Test pictures for the conditions image preparation must survive.

Real users send photos, transparent canvas exports, thin pen lines on big
pages, rotated phone pictures, 16-bit scans and written numbers. Rather than
commit a folder of such files, the tests draw them here from the same pen
strokes as tests/make_samples.py, so every condition exists for every
digit and each picture differs from `clean` in one way only. All functions
are deterministic. Functions taking `dirpath` write a file there (for
conditions that live in the file format) and return its path.
"""
import importlib.util
import os
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

_spec = importlib.util.spec_from_file_location(
    'make_samples', os.path.join(os.path.dirname(__file__), 'make_samples.py'))
make_samples = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_samples)
draw_digit = make_samples.draw_digit


def clean(digit):
    """The reference: black ink on white, digit filling most of the picture."""
    return draw_digit(digit, size=200, width=13, margin=0.12)


def uncropped(digit):
    """A small digit off-centre on a wide page."""
    return draw_digit(digit, size=(800, 600), width=12, margin=0.36, offset=(-200, -110))


def white_on_black(digit):
    return draw_digit(digit, size=200, width=13, margin=0.12,
                      ink=(255, 255, 255), paper=(0, 0, 0))


def transparent_rgba(digit):
    """A canvas export: transparent black background, opaque black ink."""
    return draw_digit(digit, size=200, width=13, margin=0.12,
                      ink=(0, 0, 0, 255), paper=(0, 0, 0, 0))


def exif_rotated_jpeg(digit, dirpath):
    """A phone photo: pixels stored turned 90 degrees, EXIF says how to turn back."""
    img = clean(digit).transpose(Image.Transpose.ROTATE_90)
    exif = img.getexif()
    exif[0x0112] = 6      # Orientation: rotate 90 CW to display (undoes ROTATE_90)
    path = os.path.join(dirpath, f'{digit}_exif_rotated.jpg')
    img.save(path, quality=90, exif=exif)
    return path


def photo(digit, dirpath):
    """Pencil on paper lit from one side, camera noise and blur, JPEG at quality 70."""
    mask = draw_digit(digit, size=(640, 480), width=14, ink=255, paper=0,
                      margin=0.22, offset=(30, -10), seed=1)
    img = make_samples.photo_of(mask, ink=(85, 85, 90), seed=digit, noise=9.0, blur=1.0)
    path = os.path.join(dirpath, f'{digit}_photo.jpg')
    img.save(path, quality=70)
    return path


def shadowed_photo(digit, dirpath):
    """A photo as above with a hard-edged shadow (a hand's or a phone's)
    falling across the digit: the paper in it is half as bright."""
    mask = draw_digit(digit, size=(640, 480), width=14, ink=255, paper=0,
                      margin=0.22, offset=(30, -10), seed=1)
    img = np.asarray(make_samples.photo_of(mask, ink=(40, 40, 60), seed=digit), float)
    yy, xx = np.mgrid[0:480, 0:640]
    shade = ndimage.gaussian_filter((yy - 240 > 0.6 * (xx - 320) + 8 * digit - 40) * 1.0, 3)
    img = Image.fromarray(np.clip(img * (1 - 0.5 * shade[..., None]), 0, 255).astype(np.uint8))
    path = os.path.join(dirpath, f'{digit}_shadowed.jpg')
    img.save(path, quality=80)
    return path


def notebook_photo(digit, dirpath):
    """A ballpoint digit on a photographed notebook page: pale blue ruled
    lines, slightly tilted, crossing the digit, joined by a red margin line."""
    w, h = 640, 480
    mask = draw_digit(digit, size=(w, h), width=7, ink=255, paper=0, margin=0.28, offset=(40, 0), seed=2)
    paper = Image.new('RGB', (w, h), (236, 236, 230))
    draw = ImageDraw.Draw(paper)
    for y in range(20, h + 20, 38):
        draw.line((0, y, w, y - 10), fill=(150, 175, 215), width=2)
    draw.line((90, 0, 90, h), fill=(215, 120, 120), width=2)
    img = Image.composite(Image.new('RGB', (w, h), (30, 40, 110)), paper, mask)
    noisy = np.asarray(img, float) + np.random.default_rng(digit).normal(0, 4, (h, w, 1))
    path = os.path.join(dirpath, f'{digit}_notebook.jpg')
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(path, quality=85)
    return path


def number_in_a_notebook(text, dirpath):
    """A number in fine ballpoint written on a line of a notebook page, the
    page photographed in uneven light (darker to one side) with camera
    grain, JPEG at quality 60: its digits about as tall as the lines are apart."""
    w, h = 800, 600
    writing = np.asarray(number(text).convert('L').resize((26 * len(text), 30), Image.BOX), float) / 255
    paper = np.zeros((h, w, 3)) + (246, 245, 238)
    for y in range(40, h, 34):
        paper[y:y + 2] = (165, 185, 225)
    paper[:, 88:90] = (230, 140, 140)
    ink = np.zeros((h, w, 1))
    ink[312 - 30:312, 420:420 + writing.shape[1], 0] = 1 - writing      # on the line at row 312
    img = paper * (1 - ink) + np.array([25, 45, 150]) * ink
    yy, xx = np.mgrid[0:h, 0:w]
    img = img * (1 - 0.3 * (xx / w * 0.4 + yy / h * 0.6))[..., None]
    img += np.random.default_rng(len(text)).normal(0, 5, (h, w, 1))
    path = os.path.join(dirpath, f'{text}_notebook.jpg')
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.7)).save(
        path, quality=60)
    return path


def grainy_photo(digit, dirpath):
    """A photo in dim light: a ballpoint on paper half as bright as usual,
    lit from one corner, with strong camera grain (PNG, so the grain stays)."""
    mask = draw_digit(digit, size=400, width=5, ink=255, paper=0, margin=0.25, seed=1)
    m = np.asarray(mask, np.float32)[..., None] / 255
    yy, xx = np.mgrid[0:400, 0:400]
    light = (1.0 - 0.15 * (xx + yy) / 800)[..., None]
    rgb = light * ((1 - m) * (0.52, 0.5, 0.46) + m * (0.12, 0.12, 0.14))
    rgb += np.random.default_rng(digit).normal(0, 0.1, (400, 400, 3))   # each colour its own grain
    path = os.path.join(dirpath, f'{digit}_grainy.png')
    Image.fromarray(np.clip(rgb * 255, 0, 255).astype(np.uint8)).save(path)
    return path


def table_in_a_corner(digit, dirpath):
    """A photo of a sheet that falls short of one corner of the frame: the
    table shows there as a dark triangle (a different corner per digit)."""
    page = np.asarray(draw_digit(digit, size=400, width=20, margin=0.25, paper=(242, 242, 240)), np.float32)
    yy, xx = np.mgrid[0:400, 0:400]
    cy, cx = (0, 400)[digit % 2], (0, 400)[digit // 2 % 2]
    table = np.clip((1 - np.abs(xx - cx) / 110 - np.abs(yy - cy) / 80) * 40, 0, 1)[..., None]
    page = page * (1 - table) + np.array([70, 50, 35]) * table
    path = os.path.join(dirpath, f'{digit}_table_in_a_corner.jpg')
    Image.fromarray(page.astype(np.uint8)).save(path, quality=90)
    return path


def boxed(digit):
    """A digit written in a printed box on a form, not touching it."""
    img = draw_digit(digit, size=300, width=13, margin=0.22)
    ImageDraw.Draw(img).rectangle((25, 25, 274, 274), outline=(0, 0, 0), width=3)
    return img


def circled(digit):
    """A digit with a circle drawn round it, by the same pen, not touching it."""
    img = draw_digit(digit, size=300, width=13, margin=0.22)
    ImageDraw.Draw(img).ellipse((8, 8, 291, 291), outline=(0, 0, 0), width=13)
    return img


def boxed_by_hand(digit):
    """A digit with a box drawn round it by the same pen, a little askew."""
    img = draw_digit(digit, size=300, width=13, margin=0.22)
    ImageDraw.Draw(img).line([(20, 30), (280, 18), (285, 276), (26, 284), (20, 30)], fill=(0, 0, 0),
                             width=13, joint='curve')
    return img


def drawn_round(digits, shape, pen=10, room=40):
    """A number (`number`) with an ellipse or a box (`shape`) drawn round
    it by a `pen` px pen, `room` px of paper between its box and the shape."""
    inner = number(digits)
    w, h = inner.size
    img = Image.new('RGB', (w + 2 * room + 4 * pen, h + 2 * room + 4 * pen), (255, 255, 255))
    img.paste(inner, (room + 2 * pen, room + 2 * pen))
    box = (pen, pen, img.width - pen, img.height - pen)
    draw = ImageDraw.Draw(img)
    if shape == 'ellipse':
        draw.ellipse(box, outline=(0, 0, 0), width=pen)
    else:
        draw.rectangle(box, outline=(0, 0, 0), width=pen)
    return img


def sheet_on_table(digit, dirpath):
    """A photo of a sheet on a dark table that shows all round it: wide on
    the left, in narrow strips (a few stroke widths) elsewhere."""
    w, h = 1200, 900
    mask = draw_digit(digit, size=(w, h), width=28, ink=255, paper=0, margin=0.3, offset=(60, -40), seed=3)
    sheet = np.zeros((h, w), bool)
    sheet[34:800 + 5 * digit, 156:1157] = True
    img = np.where(sheet[..., None], np.asarray(make_samples.photo_of(mask, ink=(25, 25, 38), seed=digit)),
                   np.array([90, 64, 38]) + np.random.default_rng(digit).normal(0, 10, (h, w, 3)))
    path = os.path.join(dirpath, f'{digit}_on_table.jpg')
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=85)
    return path


def note_on_desk(digits, dirpath):
    """A photo of a sticky note, turned a little, on a dark wooden desk,
    with its shadow: the note a fifth of the picture, the writing (a digit,
    or a number as `number` draws it; '' for none) on it in blue ink."""
    w, h = 800, 600
    text = str(digits)
    writing = (draw_digit(int(text), size=200, width=8, ink=255, paper=0, margin=0.2) if len(text) == 1
               else Image.fromarray(255 - np.asarray(number(text).convert('L'))).resize((240, 90)) if text
               else Image.new('L', (1, 1), 0))     # nothing written
    note = Image.new('L', (300, 300), 0)
    note.paste(writing, ((300 - writing.width) // 2, (300 - writing.height) // 2))
    sheet = Image.new('L', (300, 300), 255).rotate(8, expand=True)
    ink = note.rotate(8, expand=True)
    x, y = 250, 130
    shape, pen = np.zeros((h, w)), np.zeros((h, w))
    shape[y:y + sheet.height, x:x + sheet.width] = np.asarray(sheet) / 255
    pen[y:y + ink.height, x:x + ink.width] = np.asarray(ink) / 255
    shadow = ndimage.gaussian_filter(np.roll(shape, (12, 12), axis=(0, 1)), 8)
    yy, xx = np.mgrid[0:h, 0:w]
    desk = (np.array([110, 70, 40]) * (0.8 + 0.2 * np.sin(yy / 9.0 + np.sin(xx / 60.0)))[..., None]
            * (1 - 0.5 * shadow[..., None]))
    img = desk * (1 - shape[..., None]) + np.array([245, 228, 110]) * shape[..., None]
    img = img * (1 - pen[..., None]) + np.array([25, 30, 110]) * pen[..., None]
    img += np.random.default_rng(len(text)).normal(0, 4, img.shape)
    path = os.path.join(dirpath, f"{text or 'nothing'}_on_a_note.jpg")
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path, quality=85)
    return path


def thin_strokes(digit):
    """A fine pen line (2 px) on a large canvas."""
    return draw_digit(digit, size=(1000, 800), width=2, margin=0.25, offset=(60, 20))


def palette_png(digit, dirpath):
    path = os.path.join(dirpath, f'{digit}_palette.png')
    clean(digit).convert('P', palette=Image.Palette.ADAPTIVE, colors=16).save(path)
    return path


def sixteen_bit_png(digit, dirpath):
    """A 16-bit greyscale scan (mode I;16, values 0..65535)."""
    grey = np.asarray(clean(digit).convert('L'), np.uint16) * 257
    path = os.path.join(dirpath, f'{digit}_16bit.png')
    Image.fromarray(grey.astype('<u2')).save(path)
    return path


def blank_page():
    return Image.new('RGB', (300, 300), (255, 255, 255))


def numbers(count, lengths, seed):
    """`count` random numbers (strings), their lengths cycling through `lengths`."""
    rng = random.Random(seed)
    return [''.join(rng.choice('0123456789') for _ in range(lengths[i % len(lengths)]))
            for i in range(count)]


def number(digits, touching=False, broken=False, ruled=False):
    """Several digits written side by side, of uneven size and spacing.

    digits: a str (or int) such as '2024'. touching: neighbours' boxes
    overlap by 4-10 px and their ink meets (joined by a short pen stroke where
    it would not). broken: one stroke of the middle digit has a 6 px gap.
    ruled: thin grey lines across the whole page.
    """
    rng = random.Random(0)
    masks = []
    for i, d in enumerate(int(c) for c in str(digits)):
        m = draw_digit(d, size=200, width=rng.randint(10, 14), ink=255, paper=0,
                       margin=rng.uniform(0.12, 0.2), seed=i + 1)
        masks.append(np.asarray(m.crop(m.getbbox())))
    if broken:
        masks[len(masks) // 2] = with_gap(masks[len(masks) // 2])
    height = max(m.shape[0] for m in masks) + 80
    page = np.zeros((height, 60 + sum(m.shape[1] + 40 for m in masks)), np.uint8)
    x = 40
    for m in masks:
        y = (height - m.shape[0]) // 2 + rng.randint(-8, 8)
        if touching and page.any():
            x = np.nonzero(page.any(axis=0))[0].max() - 3   # boxes overlap by 4 px ...
            x -= min(max(closest(page, m, x, y)[0] + 2, 0), 6)   # ... or up to 10 to touch
            link(page, m, x, y)
        region = page[y:y + m.shape[0], x:x + m.shape[1]]
        np.maximum(region, m, out=region)
        x = x + m.shape[1] + rng.randint(8, 36)
    page = page[:, :np.nonzero(page.any(axis=0))[0].max() + 40]
    return on_paper(page, ruled)


def in_cells(digits, ticks=False, line=2, cell=(150, 200)):
    """A number written on a form, one digit to a cell of its row of cells
    (a comb field): grey walls `line` px thick between the cells and rails
    along the top and bottom; with `ticks`, only the baseline and short
    ticks rising from it between the cells. The digits as `number` draws them."""
    rng = random.Random(0)
    text = str(digits)
    width, height = len(text) * cell[0] + 80, cell[1] + 80
    ink = np.zeros((height, width), np.uint8)
    for i, d in enumerate(int(c) for c in text):
        m = draw_digit(d, size=200, width=rng.randint(10, 14), ink=255, paper=0,
                       margin=rng.uniform(0.12, 0.2), seed=i + 1)
        m = m.crop(m.getbbox())
        m = np.asarray(m.resize((m.width * 3 // 4, m.height * 3 // 4)))    # to fit the cell
        x = 40 + i * cell[0] + (cell[0] - m.shape[1]) // 2 + rng.randint(-8, 8)
        y = 40 + (cell[1] - m.shape[0]) // 2 + rng.randint(-10, 10)
        np.maximum(ink[y:y + m.shape[0], x:x + m.shape[1]], m, out=ink[y:y + m.shape[0], x:x + m.shape[1]])
    paper = Image.new('RGB', (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(paper)
    top, bottom, right = 40, 40 + cell[1], 40 + len(text) * cell[0]
    draw.line((40, bottom, right, bottom), fill=(90, 90, 90), width=line)
    if not ticks:
        draw.line((40, top, right, top), fill=(90, 90, 90), width=line)
    for x in range(40, right + 1, cell[0]):
        draw.line((x, bottom - cell[1] // 3 if ticks else top, x, bottom), fill=(90, 90, 90), width=line)
    return Image.composite(Image.new('RGB', (width, height), (0, 0, 0)), paper, Image.fromarray(ink))


def rows(texts, gap=60, indent=30, **kind):
    """Numbers written one under another (a date over an amount): each drawn
    as `number` draws it (of `kind`: touching=True, ...), `gap` px of paper
    between them, every other one indented by `indent` px."""
    inks = []
    for text in texts:
        ink = 255 - np.asarray(number(text, **kind).convert('L'))
        inked = np.nonzero(ink.max(axis=1) > 127)[0]
        inks.append(ink[inked[0]:inked[-1] + 1])      # the number's rows of ink only
    width = max(ink.shape[1] for ink in inks) + indent
    page = np.zeros((sum(ink.shape[0] for ink in inks) + gap * (len(inks) + 1), width), np.uint8)
    y = gap
    for i, ink in enumerate(inks):
        x = indent * (i % 2)
        page[y:y + ink.shape[0], x:x + ink.shape[1]] = ink
        y += ink.shape[0] + gap
    return on_paper(page, False)


def side_by_side(inks, gaps):
    """Ink-high uint8 arrays side by side on one line, centred on it, `gaps`
    px of paper after each (a number or one per array), 30 px of margin:
    black on white."""
    tall = max(ink.shape[0] for ink in inks)
    gaps = np.broadcast_to(gaps, len(inks))
    inks = [np.pad(ink, (((tall - ink.shape[0]) // 2, (tall - ink.shape[0] + 1) // 2), (0, int(gap))))
            for ink, gap in zip(inks, gaps)]
    return Image.fromarray(255 - np.pad(np.hstack(inks), 30))


def with_gap(mask):
    """Erase 6 rows across the leftmost stroke, near 60% of the digit's
    height, at a row the stroke crosses steeply (not a curve's tip or a bar)."""
    ink, h = mask > 127, mask.shape[0]
    for row in sorted(range(h * 4 // 10, h * 8 // 10), key=lambda r: abs(r - 0.6 * h)):
        cols = np.nonzero(ink[row])[0]
        run = np.split(cols, np.nonzero(np.diff(cols) > 1)[0] + 1)[0]
        x0, x1 = max(0, run[0] - 4), run[-1] + 5
        if len(run) <= 24 and ink[row - 8, x0:x1].any() and ink[row + 8, x0:x1].any():
            break
    mask = mask.copy()
    mask[row - 3:row + 3, x0:x1] = 0
    return mask


def closest(page, mask, x, y):
    """(gap, row, x0, x1): where the ink of the page's last digit (ending at
    x0) and of `mask` placed at (x, y) (starting at x1) come closest, in the
    middle half of the mask's height."""
    gaps = []
    for r in range(mask.shape[0] // 4, mask.shape[0] * 3 // 4):
        left, right = np.nonzero(page[y + r] > 127)[0], np.nonzero(mask[r] > 127)[0]
        if left.size and right.size:
            gaps.append((x + right[0] - left[-1], y + r, left[-1], x + right[0]))
    return min(gaps, default=(0, 0, 0, 0))


def link(page, mask, x, y):
    """Unless they touch, join the page's last digit to `mask` at (x, y) with
    a short pen stroke where they come closest, as a hurried pen does."""
    gap, row, x0, x1 = closest(page, mask, x, y)
    if gap > 0:
        pen = Image.fromarray(page)
        ImageDraw.Draw(pen).line((x0 - 4, row, x1 + 4, row), fill=255, width=10)
        page[:] = np.asarray(pen)


def on_paper(ink, ruled):
    """White paper, optionally ruled, with black ink where `ink` (0..255) says."""
    h, w = ink.shape
    paper = Image.new('RGB', (w, h), (255, 255, 255))
    if ruled:
        draw = ImageDraw.Draw(paper)
        for y in range(12, h, 36):
            draw.line((0, y, w, y), fill=(170, 170, 170), width=1)
    return Image.composite(Image.new('RGB', (w, h), (0, 0, 0)), paper, Image.fromarray(ink))
