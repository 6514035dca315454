"""Turn pictures into digits: classify, decide where touching digits are cut, choose.

The one place where pictures become digits, and the project's Python API:

    from digits import Reader, read
    read('photo.jpg').number                # '42'
    reader = Reader(model=2)                # load once, read many
    for r in reader.read_many(['a.png', pil_image, array]):
        print(r.number, [d.confidence for d in r])

No TensorFlow is imported until a Reader loads its model (digits.model),
so that pictures can be prepared (digits.preparing) while it loads.
"""
import functools
import os
import types
from typing import NamedTuple

import numpy as np

from . import lines, pieces, session
from .calibration import calibrated
from .decode import ImageError
from .lines import digit_at
from .normalise import shown
from .output import describe
from .preparing import prepare, prepare_one
from .separators import between_digits


MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'models')
# other runs of the number reader's training (seeds 1 and 2), read where the first is unsure
SECOND_OPINIONS = ('numbers-seed1', 'numbers-seed2')
DATE_READER = 'dates'   # the date reader (create_model_2.py --numbers --dates): see reread_dates
# Chosen on pictures made from MNIST's validation digits (docs/measured.md, touching digits):
SEVERAL = 0.5   # the head's probability of several digits above which a piece may be cut
LEAST_SURE = 0.5   # a cut is taken only if each of its parts is read at least this surely
ONE_DIGIT_PRIOR = 1.0   # log odds in favour of one digit before reading: most pieces are one
BATCH = 256   # wholes read at a time as pictures arrive
NUMBER_SURE = 0.9   # the number reader's least confidence to read one piece as several digits...
NUMBER_SEVERAL = 0.05   # ...when the head also gives several at least this (docs/measured.md)
# line columns (digits/lines.py) beyond which one piece is not one digit: two heights
# wide (pieces.WIDEST is 1.3, yet a round 0 can be 1.5), and the margins
ONE_DIGIT_LINE = (2 + 2 * lines.MARGIN) * lines.INNER
WIDER = 1.5   # a second look: how much wider a line is read again (second_look)


class Digit(NamedTuple):
    """One digit read: what the network saw and what it made of it."""
    image: np.ndarray           # [28, 28] float32 in 0..1, ink high
    probabilities: np.ndarray   # [10]

    @property
    def digit(self):
        return int(self.probabilities.argmax())

    @property
    def confidence(self):
        return float(self.probabilities.max())


class Reading(list):
    """The digits read in one picture, left to right (a list of Digit); for
    numbers written one under another, row after row, `breaks` the indices
    of the digits that begin a new row; `separators`, {k: the separators
    written before digit k} (digits/separators.py)."""
    breaks = ()
    separators = types.MappingProxyType({})     # none, unless looked for (Reader.read)

    @property
    def number(self):
        """The digits as a string, e.g. '2026'; rows apart by a space: '12 2026'."""
        return describe(self)

    @property
    def written(self):
        """The number with its separators, as written: '12-05-2026', '1.990'
        (read with separators=True; else as `number`)."""
        return describe(self, separators=True)

    @property
    def confidence(self):
        """The least confidence among the digits."""
        return min(d.confidence for d in self)


class Reader:
    """A trained model, loaded once, reading pictures (paths, Pillow images or
    NumPy arrays) as numbers or, with single=True, as one digit each.

    model: 1 (the beginners' softmax regression) or 2 (the experts' CNN);
    path: its folder or checkpoint prefix (default: the shipped models/model_N);
    numbers: the number reader's folder or prefix, or a list of them (its
    runs: digits/number_model.py); None: the shipped models/numbers and
    its second opinions for model 2, none for model 1; False loads none,
    for a caller that reads only single digits and should not wait for it.
    dates: the date reader's folder or prefix (see reread_dates); None: the
    shipped models/dates, if it holds one, wherever a number reader is
    loaded; False: none.
    Raises checkpoints.CheckpointError for a missing or mismatched checkpoint."""

    def __init__(self, model=2, path=None, numbers=None, dates=None):
        session.quiet_tensorflow(onednn=True)
        with session.onednn_notice_hidden():
            from .model import Classifier    # imports TensorFlow (see the module's docstring)
        self.classifier = Classifier(model, path or os.path.join(MODELS, f'model_{model}'))
        self.prefix = self.classifier.prefix
        self.tells_touching = self.classifier.tells_touching
        self.numbers = None
        if numbers or numbers is None and model == 2:
            from .number_model import NumberModel
            self.numbers = NumberModel(numbers or shipped_number_reader(),
                                       shipped_date_reader() if dates is None else dates or None)

    def read(self, picture, single=False, separators=False):
        """One picture -> its Reading; raises ImageError if it cannot be read.
        With `separators`, its separators are looked for (Reading.written)."""
        result = self.read_prepared([prepare_one(picture, single, separators)])[0]
        if isinstance(result, str):
            raise ImageError(result)
        return result

    def read_many(self, pictures, single=False, separators=False):
        """Pictures -> a Reading each, or the ImageError that picture gave."""
        return [ImageError(r) if isinstance(r, str) else r
                for r in self.read_prepared(prepare(pictures, single, separators))]

    def read_prepared(self, prepared, mapper=map):
        """preparing.prepare's entries (or an iterator over them) -> a Reading
        or an error message each (see read_all), its probabilities calibrated
        (the model's temperature: digits/calibration.py)."""
        return read_all(self.classifier, prepared, mapper, numbers=self.numbers,
                        temperature=self.classifier.temperature)


@functools.lru_cache(maxsize=4)
def _reader(model, path):
    """One Reader per model, kept for read()'s later calls."""
    return Reader(model, path)


def read(picture, model=2, path=None, single=False):
    """One picture -> its Reading, with the model loaded on the first call only."""
    return _reader(model, path).read(picture, single)


def shipped_number_reader():
    """models/numbers, then those of SECOND_OPINIONS that hold a model (not
    one whose training was interrupted before it saved one: resume/ only)."""
    runs = [os.path.join(MODELS, name) for name in SECOND_OPINIONS]
    return [os.path.join(MODELS, 'numbers')] + [run for run in runs
                                                if os.path.isfile(os.path.join(run, 'checkpoint'))]


def shipped_date_reader():
    """models/dates if it holds a model, else None."""
    path = os.path.join(MODELS, DATE_READER)
    return path if os.path.isfile(os.path.join(path, 'checkpoint')) else None


def read_all(classifier, prepared, mapper=map, batch=BATCH, numbers=None, temperature=1.0):
    """Per picture, its Reading (a Digit each), or its error message (see
    read_rows). A page of several rows (pieces.Page) is read a row at a
    time, as if each were a picture, and its rows joined."""
    rows = []    # per picture, how many rows it has

    def each_row():
        for entries in prepared:
            page = isinstance(entries, pieces.Page)
            rows.append(len(entries) if page else 1)
            yield from entries if page else [entries]

    return joined(read_rows(classifier, each_row(), mapper, batch, numbers, temperature), rows)


def joined(results, rows):
    """read_rows' results, a row each -> per picture of `rows` rows, one
    Reading, with its breaks (a page's rows without digits left out)."""
    out, start = [], 0
    for count in rows:
        part, start = results[start:start + count], start + count
        read = [r for r in part if not isinstance(r, str) and len(r)]
        if count == 1 or not read:
            out.append(part[0])
            continue
        out.append(Reading(d for r in read for d in r))
        offsets = np.cumsum([0] + [len(r) for r in read])
        out[-1].breaks = tuple(int(k) for k in offsets[1:-1])
        out[-1].separators = {int(offset) + k: mark for offset, r in zip(offsets, read)
                              for k, mark in r.separators.items()}
    return out


def read_rows(classifier, prepared, mapper=map, batch=BATCH, numbers=None, temperature=1.0):
    """Classify every digit; per picture (one row of writing), its Reading, or its
    error message. `classifier.read` is digits.model.Classifier's; its
    probabilities are calibrated by `temperature`. With `numbers` (a
    digits.number_model.NumberModel), a number is read by it (see by_number).

    `prepared` may be an iterator over pictures still being prepared: their
    digits, and their lines by the number reader, are read a batch at a
    time as they arrive, so that reading the first overlaps preparing the
    last. Then, for the wide pieces the model takes for several touching
    digits, the parts they could be cut into are prepared
    (pieces.cut_candidates, run by `mapper`: the workers' map when there
    are workers) and read, and the best cut chosen (choose)."""
    pictures, wholes, reads = [], [], []
    numbers_read, unread = {}, []   # the number reader's digits per picture; pictures whose line waits

    def read_new_wholes():
        reads.extend(read_wholes(classifier, [w for w, _ in wholes[len(reads):]]))

    def read_new_lines():
        numbers_read.update(zip(unread, numbers.read([pictures[n].line for n in unread])))
        unread.clear()

    owner = []     # per whole, the index of its picture
    for entries in prepared:
        pictures.append(entries)
        if isinstance(entries, list):
            wholes += entries
            owner += [len(pictures) - 1] * len(entries)
            if len(wholes) - len(reads) >= batch:
                read_new_wholes()
        if numbers is not None and getattr(entries, 'line', None) is not None:
            unread.append(len(pictures) - 1)
            if len(unread) >= batch:
                read_new_lines()
    read_new_wholes()
    if unread:
        read_new_lines()
    most = {}     # per picture, the head's largest probability of several in one piece
    for i in range(len(wholes)):
        most[owner[i]] = max(most.get(owner[i], 0.0), reads[i][1])
    if numbers is not None:
        second_look(numbers, pictures, numbers_read, most)
    # Cutting is slow, and by_number needs it only for a picture of one
    # piece that stays the pieces' reading (not number_wins): of more
    # pieces, it takes the number reader's count, or reads each piece by both.
    to_cut = [i for i, (_, piece) in enumerate(wholes)
              if piece is not None and reads[i][1] > SEVERAL
              and not (owner[i] in numbers_read and (len(pictures[owner[i]]) > 1 or number_wins(
                  numbers_read[owner[i]], pictures[owner[i]].line, reads[i][1])))]
    to_cut.sort(key=lambda i: -np.size(wholes[i][1][0]))   # the largest ink first: the workers kept even
    cuts = dict(zip(to_cut, mapper(pieces.cut_candidates, [wholes[i][1] for i in to_cut])))
    probs, several, one_digit = classifier.read(np.array(
        [part for i in sorted(cuts) for part in cuts[i][0]]).reshape(-1, 28, 28))
    # Per part, in the order used below: its probabilities, and how likely
    # it is not one digit: several digits still, or not a whole digit.
    part_reads = zip(probs, 1 - (1 - several) * one_digit)
    results, i = [], 0
    for n, entries in enumerate(pictures):
        if not isinstance(entries, list):
            results.append(entries)
            continue
        digits = []
        for whole, _ in entries:
            whole = (shown(whole), reads[i][0])   # a stretched scan's stack: the median width
            if i in cuts:
                parts, ways = cuts[i]
                parts = [(part, *next(part_reads)) for part in parts]
                digits += choose(whole, reads[i][1], [[parts[k] for k in way] for way in ways])
            else:
                digits.append(whole)
            i += 1
        digits = [(image, calibrated(p, temperature)) for image, p in digits]
        number = numbers_read.get(n)
        if number is not None:
            digits = by_number(digits, number, entries.line, most.get(n, 0.0))
        results.append(Reading(Digit(*d) for d in digits))
        marks = getattr(entries, 'separators', ())
        if marks and number and len(number) == len(digits):     # the number reader placed each digit
            results[-1].separators = between_digits(marks, [(f + 0.5) * lines.STEP for _, _, f in number])
    if numbers is not None and numbers.dates is not None:
        reread_dates(numbers, pictures, results)
    return results


def read_wholes(classifier, wholes):
    """(probabilities, several) of each whole (pieces.digit_candidates);
    for a stretched scan's stack of widths, their average: the digit's own
    width is unknown, so the reading is averaged over MNIST's typical ones."""
    stacks = [w.reshape(-1, 28, 28) for w in wholes]
    if not stacks:
        return []
    probs, several, _ = classifier.read(np.concatenate(stacks))
    ends = np.cumsum([len(s) for s in stacks])[:-1]
    return [(p.mean(axis=0), s.mean()) for p, s in zip(np.split(probs, ends), np.split(several, ends))]


def log_likelihood(parts):
    """How likely it is that `parts` ((28x28, probabilities, not_one) each)
    are each one digit, read as the model reads them: the sum of log
    confidence + log(1 - the head's probability that it is not one digit)."""
    return sum(np.log(p.max()) + np.log(1 - not_one + 1e-6) for _, p, not_one in parts)


def choose(whole, several, splits):
    """The whole piece (28x28, probabilities) as one digit, or the likeliest
    way to cut it into touching digits (splits: per way, (28x28,
    probabilities, not_one) per part, see read_all): a list of (28x28,
    probabilities). The rule: docs/design.md, "Choosing a cut"."""
    readable = [way for way in splits if min(p.max() for _, p, _ in way) >= LEAST_SURE]
    best = max(readable, key=log_likelihood, default=None)
    if best is None:
        return [whole]
    cut = np.log(several) + log_likelihood(best)
    one = np.log(1 - several + 1e-6) + np.log(whole[1].max()) + ONE_DIGIT_PRIOR
    return [(part, p) for part, p, _ in best] if cut > one else [whole]


def number_wins(number, line, several):
    """Whether the number reader's digits (`number`) are taken for a picture
    that the pieces read as one digit: it reads several, and the line is
    wider than one digit can be (a number joined by its underline, say),
    or both the touching-digits head does not rule out several
    (`several`, over NUMBER_SEVERAL) and the number reader is sure
    (NUMBER_SURE) of each digit it sees there. Otherwise the CNN's one digit stays: it
    reads single digits better."""
    return len(number) >= 2 and (line.shape[1] > ONE_DIGIT_LINE or several > NUMBER_SEVERAL
                                 and min(p.max() for _, p, _ in number) >= NUMBER_SURE)


def second_look(numbers, pictures, numbers_read, several):
    """Touching digits that overlap more than the training numbers' did:
    a picture with a piece the head takes for several digits (`several`:
    per picture, its largest probability of several in one piece; over
    SEVERAL), where the number reader is not sure of more digits than
    there are pieces (nor number_wins, for one piece), is read again with
    its line WIDER times wider. That reading replaces the first in
    `numbers_read` if it is sure (NUMBER_SURE) of more digits than there
    are pieces and, with several pieces, than the first reading found
    (docs/measured.md, "A second look")."""
    def found(n, number):     # sure of more digits than the picture has pieces
        return len(number) > len(pictures[n]) and min(p.max() for _, p, _ in number) >= NUMBER_SURE

    looks = [n for n, most in several.items() if n in numbers_read and most > SEVERAL
             and not found(n, numbers_read[n]) and not (
                 len(pictures[n]) == 1 and number_wins(numbers_read[n], pictures[n].line, most))]
    if not looks:
        return
    wide = [lines.widened(pictures[n].line, WIDER) for n in looks]
    for n, line, number in zip(looks, wide, numbers.read(wide)):
        if found(n, number) and (len(pictures[n]) == 1 or len(number) > len(numbers_read[n])):
            numbers_read[n] = [(d, p, frame_on(pictures[n].line, line, frame)) for d, p, frame in number]


def frame_on(line, wide, frame):
    """The frame of `line` whose centre is nearest that of `frame` of `wide`,
    the line read widened (second_look): where the digit is shown
    (lines.digit_at) and its separators placed (read_rows)."""
    wider = wide.shape[1] / line.shape[1]     # under WIDER near MAX_WIDTH
    return int(round((frame + 0.5) / wider - 0.5))


def reread_dates(numbers, pictures, results):
    """Dates written with '/': the readers above take most slashes for 1s
    (21/12/20 read 21112120), as nothing but the date's pattern tells them
    apart. A row read as 6 to 10 digits is read again by the date reader
    (trained with slashes written as 1s, so it reads the pattern, but drops
    some 1s that are digits), and its reading is taken only if the first is
    it with one digit more at each boundary of a date (date_with_slashes_read).
    `results`: read_rows', changed in place (docs/measured.md, "Dates read twice")."""
    rows = [n for n, r in enumerate(results) if isinstance(r, Reading) and 6 <= len(r) <= 10
            and getattr(pictures[n], 'line', None) is not None]
    if not rows:
        return
    for n, date in zip(rows, numbers.read_dates([pictures[n].line for n in rows])):
        slashes = date_with_slashes_read(results[n].number, ''.join(str(d) for d, _, _ in date))
        if slashes:
            results[n] = Reading(Digit(digit_at(pictures[n].line, frame), p) for _, p, frame in date)
            results[n].separators = {k: '/' for k in slashes}


def date_with_slashes_read(read, date):
    """Where the slashes were in `date` (the indices of the digits they come
    before: (2, 3) for 12/5/2026) if `read` (digits, a str) is `date` with
    one digit more at each boundary of a date: `date` cut into a day and a
    month of one or two digits and a year of two or four (12/5/2026 read
    121512026); else None."""
    for day in (1, 2):
        for month in (1, 2):
            i, j = day, day + month
            if (len(date) - j in (2, 4) and len(read) == len(date) + 2
                    and read == date[:i] + read[i] + date[i:j] + read[j + 1] + date[j:]):
                return i, j
    return None


def by_number(digits, number, line, several):
    """The digits of a picture, (28x28, probabilities) each, given those the
    pieces gave (`digits`: cut apart, each read by the tutorial CNN) and
    the number reader's (`number`: digits/number_model.py). Where both
    find as many digits, each digit is read by both (their probabilities
    multiplied): they err differently, and agree on the count where the
    pieces were cut right. Otherwise the number reader's count is taken,
    except that one digit stays one digit unless number_wins. A page with
    ink has a digit: none read is not taken (docs/design.md, "The number reader")."""
    if not number or len(digits) == 1 and not number_wins(number, line, several):
        return digits
    if len(number) == len(digits):
        return [(image, both / both.sum()) for (image, p), (_, q, _) in zip(digits, number)
                for both in [p * q + 1e-12]]
    return [(digit_at(line, frame), p) for _, p, frame in number]
