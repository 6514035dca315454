"""The trained number reader, restored once, reading batches of line images.

The reader may be several training runs (create_model_2.py --numbers with
other seeds): two runs of one recipe misread different numbers (on about
48 of ORAND-CAR-A's 300), so where the first run is unsure, the average of
all their frame probabilities reads better than any one of them
(docs/measured.md, "Second opinions"). The first run reads every line; the
others read only the lines where its likeliest path holds at most half the
probability (ctc.greedy_is_likeliest: a tenth to a half of the lines,
docs/measured.md), and their graphs are built when a line first needs
them, so a call of sure lines starts and reads as fast as with one run.
The date reader (create_model_2.py --numbers --dates), given as `dates`,
waits the same way and reads only the lines read_dates is given.

Imports TensorFlow: call session.quiet_tensorflow() before importing this
module (digits.reading.Reader does).
"""
import os
import threading

import numpy as np
import tensorflow as tf

from . import checkpoints, ctc
from .lines import STEP, batch_lines
from .number_net import number_reader
from .session import session_config

v1 = tf.compat.v1
BATCH = 128   # line images per run of the graph
HINT = 'train one with: python create_model_2.py --numbers'
DATES_HINT = 'train one with: python create_model_2.py --numbers --dates'


class NumberModel:
    """The number reader's runs, from folders or checkpoint prefixes (one
    path, or a list: the first reads every line, the others are second
    opinions), and `dates`, the date reader's, or None. Every checkpoint is
    read at once; a mismatched or corrupt one is refused with
    checkpoints.CheckpointError. All but the first wait (Waiting) until a
    line needs them."""

    def __init__(self, paths, dates=None):
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        if not paths:
            raise ValueError('no number reader given')
        self.first = Run(checkpoints.resolve(str(paths[0]), 2, hint=HINT))
        expected = {name: var.shape.as_list() for name, var in self.first.net.weights.items()}
        self.opinions = [Waiting(checkpoints.resolve(str(p), 2, hint=HINT), expected) for p in paths[1:]]
        self.prefix = self.first.prefix
        self.prefixes = [self.prefix] + [w.prefix for w in self.opinions]
        self.dates = None if dates is None else Waiting(checkpoints.resolve(str(dates), 2, hint=DATES_HINT),
                                                        expected)
        self.date_prefix = None if dates is None else self.dates.prefix

    def read(self, lines):
        """Line images (digits/lines.py) -> per line, its digits: a list of
        (digit, [10] probabilities, frame where it is surest)."""
        frames = self.first.frames(lines)
        unsure = [i for i, p in enumerate(frames) if not ctc.greedy_is_likeliest(p)]
        if unsure and self.opinions:
            for opinion in self.opinions:
                for i, p in zip(unsure, opinion.run().frames([lines[i] for i in unsure])):
                    frames[i] = frames[i] + p
            for i in unsure:
                frames[i] /= len(self.prefixes)
        return [ctc.decode(p) for p in frames]

    def read_dates(self, lines):
        """Line images -> per line, the digits the date reader reads (as read gives them)."""
        return [ctc.decode(p) for p in self.dates.run().frames(lines)]


class Waiting:
    """A run whose checkpoint is read whole and checked at once, so that it
    cannot fail later, and whose graph is built the first time a line needs
    it: a call whose lines never need it starts and reads as fast as without."""

    def __init__(self, prefix, expected):
        self.prefix = prefix
        self.weights = weights_of(prefix, expected)
        self.built = None
        self.lock = threading.Lock()

    def run(self):
        """The Run, built the first time."""
        with self.lock:
            if self.built is None:
                self.built, self.weights = Run(self.prefix, self.weights), None
        return self.built


class Run:
    """One training run's graph and weights: restored from `prefix`, or
    given ({name: array}, read from it before)."""

    def __init__(self, prefix, weights=None):
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = number_reader()
            self.sess = v1.Session(config=session_config(None))
            if weights is None:
                self.prefix = restore(self.sess, self.net, prefix)
            else:
                self.prefix = prefix
                self.sess.run([var.initializer for var in self.net.weights.values()],
                              {var.initial_value: weights[name] for name, var in self.net.weights.items()})

    def frames(self, lines):
        """Line images -> per line, its frames' probabilities [frames, 11]."""
        order = np.argsort([line.shape[1] for line in lines])   # similar widths batched together
        out = [None] * len(lines)
        for i in range(0, len(lines), BATCH):
            chunk = [lines[k] for k in order[i:i + BATCH]]
            probs = self.sess.run(self.net.probabilities, {self.net.x: batch_lines(chunk)})
            for k, line, p in zip(order[i:i + BATCH], chunk, probs):
                out[k] = p[:ctc.frames_in(line.shape[1], STEP)]
        return out


def check(prefix, expected):
    """`prefix` if it holds the number reader's weights ({name: shape});
    otherwise a plain CheckpointError saying what it holds."""
    stored = checkpoints.stored_shapes(prefix)
    if any(stored.get(name) != shape for name, shape in expected.items()):
        kind = checkpoints.kind_of(stored)
        kind = 'a digit model (model 1 or 2)' if kind.startswith('a model') else kind
        raise checkpoints.CheckpointError(f'{prefix}: {kind}, expected the number reader')
    return prefix


def weights_of(prefix, expected):
    """{name: array}: the number reader's weights in checkpoint `prefix`,
    each read back whole (TensorFlow checks it against its checksum), so
    that a second opinion, built only when a line first needs it, cannot
    fail then. A checkpoint of another kind or corrupt: CheckpointError."""
    check(prefix, expected)
    try:
        stored = tf.train.load_checkpoint(prefix)
        return {name: stored.get_tensor(name) for name in expected}
    except Exception as e:
        raise checkpoints.CheckpointError(f'{prefix}: corrupt checkpoint ({type(e).__name__})') from None


def restore(sess, net, path):
    """Restore the number reader's weights from a folder or prefix; return the
    prefix. A checkpoint of another kind is refused with a plain message."""
    prefix = check(checkpoints.resolve(path, 2, hint=HINT),
                   {name: var.shape.as_list() for name, var in net.weights.items()})
    try:
        v1.train.Saver(net.weights).restore(sess, prefix)
    except Exception as e:
        raise checkpoints.CheckpointError(f'{prefix}: corrupt checkpoint ({type(e).__name__})') from None
    return prefix
