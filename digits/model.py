"""A trained model, restored once, classifying batches of 28x28s.

Imports TensorFlow: call session.quiet_tensorflow() before importing this
module (digits.reading.Reader does).
"""
import numpy as np
import tensorflow as tf

from . import checkpoints, networks
from .session import session_config


BATCH = 1000   # 28x28s per run of the graph


class Classifier:
    """A model's graph and weights (model 1 or 2, from a folder or checkpoint prefix)."""

    def __init__(self, model_number, model_path):
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = networks.BUILDERS[model_number]()
            self.sess = tf.compat.v1.Session(config=session_config(None))
            self.prefix, self.tells_touching = checkpoints.restore(
                self.sess, self.net, model_path, model_number)
            self.temperature = float(self.sess.run(self.net.temperature))
        self.heads = [self.net.several, self.net.one_digit] if self.tells_touching else []

    def read(self, images):
        """images [n, 28, 28] -> (probabilities [n, 10] as trained, uncalibrated,
        several [n], one_digit [n]):
        the probability that each holds several touching digits and, as a
        part cut from such a piece, that it is exactly one of them (0 and 1
        for a model saved before it had a head for that)."""
        out = [[np.zeros((0, 10), np.float32)], [np.zeros(0, np.float32)], [np.ones(0, np.float32)]]
        for i in range(0, len(images), BATCH):
            batch = np.asarray(images[i:i + BATCH], np.float32).reshape(-1, 784)
            got = self.sess.run([self.net.probabilities] + self.heads, {self.net.x: batch})
            if not self.heads:
                got += [np.zeros(len(batch), np.float32), np.ones(len(batch), np.float32)]
            for kept, new in zip(out, got):
                kept.append(new)
        return tuple(np.concatenate(o) for o in out)

    def probabilities(self, images):
        """images [n, 28, 28] -> [n, 10]"""
        return self.read(images)[0]
