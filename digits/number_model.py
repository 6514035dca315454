"""The trained number reader, restored once, reading batches of line images.

Imports TensorFlow: call session.quiet_tensorflow() before importing this
module (digits.reading.Reader does).
"""
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
    """The number reader's graph and weights, from a folder or checkpoint prefix."""

    def __init__(self, path):
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = number_reader()
            self.sess = v1.Session(config=session_config(None))
            self.prefix = restore(self.sess, self.net, path)

    def read(self, lines):
        """Line images (digits/lines.py) -> per line, its digits: a list of
        (digit, [10] probabilities, frame where it is surest)."""
        order = np.argsort([line.shape[1] for line in lines])   # similar widths batched together
        read = [None] * len(lines)
        for i in range(0, len(lines), BATCH):
            chunk = [lines[k] for k in order[i:i + BATCH]]
            probs = self.sess.run(self.net.probabilities, {self.net.x: batch_lines(chunk)})
            for k, line, p in zip(order[i:i + BATCH], chunk, probs):
                read[k] = ctc.decode(p[:ctc.frames_in(line.shape[1], STEP)])
        return read


def restore(sess, net, path):
    """Restore the number reader's weights from a folder or prefix; return the
    prefix. A checkpoint of another kind is refused with a plain message."""
    prefix = checkpoints.resolve(path, 2, hint=HINT)
    try:
        stored = dict(tf.train.list_variables(prefix))
    except Exception as e:
        raise checkpoints.CheckpointError(f'{prefix}: corrupt or unreadable checkpoint '
                                          f'({type(e).__name__})') from None
    if any(stored.get(name) != var.shape.as_list() for name, var in net.weights.items()):
        kind = ('a digit model (model 1 or 2)' if 'W' in stored or 'conv1/W' in stored
                else 'not a checkpoint of this project')
        raise checkpoints.CheckpointError(f'{prefix}: {kind}, expected the number reader')
    try:
        v1.train.Saver(net.weights).restore(sess, prefix)
    except Exception as e:
        raise checkpoints.CheckpointError(f'{prefix}: corrupt checkpoint ({type(e).__name__})') from None
    return prefix
