"""The trained number reader, restored once, reading batches of line images.

The reader may be several training runs (create_model_2.py --numbers with
other seeds): two runs of one recipe misread different numbers (on about
48 of ORAND-CAR-A's 300), so where the first run is unsure, the average of
all their frame probabilities reads better than any one of them
(docs/measured.md, "Second opinions"). The first run reads every line; the
others read only the lines where its likeliest path holds at most half the
probability (ctc.greedy_is_likeliest), a tenth of clean numbers, and are
loaded when a line first needs them, so a call of sure lines starts and
reads as fast as with one run.

Imports TensorFlow: call session.quiet_tensorflow() before importing this
module (digits.reading.Reader does).
"""
import os

import numpy as np
import tensorflow as tf

from . import checkpoints, ctc
from .lines import STEP, batch_lines
from .number_net import number_reader
from .session import session_config

v1 = tf.compat.v1
BATCH = 128   # line images per run of the graph
HINT = 'train one with: python create_model_2.py --numbers'


class NumberModel:
    """The number reader's runs, from folders or checkpoint prefixes (one
    path, or a list: the first reads every line, the others are second
    opinions). Every checkpoint is checked at once; a mismatched one is
    refused with checkpoints.CheckpointError."""

    def __init__(self, paths):
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        self.runs = [Run(checkpoints.resolve(str(paths[0]), 2, hint=HINT))]
        self.prefix = self.runs[0].prefix
        expected = {name: var.shape.as_list() for name, var in self.runs[0].net.weights.items()}
        self.later = [whole(check(checkpoints.resolve(str(p), 2, hint=HINT), expected)) for p in paths[1:]]
        self.prefixes = [self.prefix] + self.later

    def read(self, lines):
        """Line images (digits/lines.py) -> per line, its digits: a list of
        (digit, [10] probabilities, frame where it is surest)."""
        frames = self.runs[0].frames(lines)
        unsure = [i for i, p in enumerate(frames) if not ctc.greedy_is_likeliest(p)]
        if unsure and self.later:
            for k in range(1, len(self.prefixes)):
                for i, p in zip(unsure, self.run(k).frames([lines[i] for i in unsure])):
                    frames[i] = frames[i] + p
            for i in unsure:
                frames[i] /= len(self.prefixes)
        return [ctc.decode(p) for p in frames]

    def run(self, k):
        """The k-th run, restored the first time it is needed."""
        while len(self.runs) <= k:
            self.runs.append(Run(self.prefixes[len(self.runs)]))
        return self.runs[k]


class Run:
    """One training run's graph and weights."""

    def __init__(self, prefix):
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = number_reader()
            self.sess = v1.Session(config=session_config(None))
            self.prefix = restore(self.sess, self.net, prefix)

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
    try:
        stored = dict(tf.train.list_variables(prefix))
    except Exception as e:
        raise checkpoints.CheckpointError(f'{prefix}: corrupt or unreadable checkpoint '
                                          f'({type(e).__name__})') from None
    if any(stored.get(name) != shape for name, shape in expected.items()):
        kind = ('a digit model (model 1 or 2)' if 'W' in stored or 'conv1/W' in stored
                else 'not a checkpoint of this project')
        raise checkpoints.CheckpointError(f'{prefix}: {kind}, expected the number reader')
    return prefix


def whole(prefix):
    """`prefix` if every weight in it reads back whole (TensorFlow checks each
    against its checksum; 10 ms): a second opinion is restored only when a
    line first needs it, so a corrupt one must be found out at once."""
    try:
        stored = tf.train.load_checkpoint(prefix)
        for name in stored.get_variable_to_shape_map():
            stored.get_tensor(name)
    except Exception as e:
        raise checkpoints.CheckpointError(f'{prefix}: corrupt checkpoint ({type(e).__name__})') from None
    return prefix


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
