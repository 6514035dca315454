"""The number reader's network: a line image in, per column of frames, the odds of each digit or none.

A convolutional front end in the spirit of the tutorial CNN (3x3
convolutions, ReLU, 2x2 max-pooling: a frame every lines.STEP columns),
then 1-D convolutions along the line, which let each frame see about two
digits either side, then per frame 11 logits: the ten digits and CTC's
blank ("no new digit here"). Trained with CTC (digits/number_training.py),
it needs no cutting: it learns where digits begin and end, touching or
not. Variables are named, like digits/networks.py, so checkpoints restore
by name. Call inside `with tf.Graph().as_default():`.
"""
import tensorflow as tf

from .lines import HEIGHT
from .networks import _bias, _weight    # He initialisation, as the tutorial CNN's

v1 = tf.compat.v1
CLASSES = 11      # the ten digits, then the blank
BLANK = 10
CONV = [(1, 32), (32, 64), (64, 96), (96, 128)]   # (in, out) channels of the 3x3 convolutions
SEQUENCE = [(2 * 128, 192, 5), (192, 192, 5)]      # (in, out, width) of the 1-D convolutions


class NumberNet:
    """What scripts need from the built graph."""

    def __init__(self, x, logits, weights, dropout):
        self.x = x                  # float32 [None, HEIGHT, None]: line images, ink high, 0..1
        self.logits = logits        # float32 [None, frames, CLASSES]
        self.probabilities = tf.nn.softmax(logits, name='frame_probabilities')
        self.weights = weights      # {name: variable}
        self.dropout = dropout      # dropout rate, 0 unless fed while training (None: no dropout)
        # As digits/networks.Net, so that digits/checkpoints.save_model saves it:
        # no touching-digits head (CTC needs none), and a temperature of 1.
        self.head = {}
        self.temperature = tf.Variable(1.0, trainable=False, name='temperature')


def number_reader(dropout=True):
    """Build the graph: conv 3x3 32, pool 2x2, conv 64, pool 2x2, conv 96,
    pool 2x1, conv 128, pool 2x1 (the height is then 2, folded into the
    channels), two 1-D convolutions of width 5 with 192 channels, dropout
    (not built with dropout=False: an exported graph has none), dense 11
    per frame."""
    x = v1.placeholder(tf.float32, [None, HEIGHT, None], name='line')
    dropout = v1.placeholder_with_default(0.0, [], name='dropout') if dropout else None
    w = {}
    h = tf.expand_dims(x, -1)
    for i, (cin, cout) in enumerate(CONV, start=1):
        w[f'nconv{i}/W'] = _weight(f'nconv{i}/W', [3, 3, cin, cout], 9 * cin)
        w[f'nconv{i}/b'] = _bias(f'nconv{i}/b', cout)
        h = tf.nn.relu(tf.nn.conv2d(h, w[f'nconv{i}/W'], 1, 'SAME') + w[f'nconv{i}/b'])
        pool = [2, 2] if i <= 2 else [2, 1]
        h = tf.nn.max_pool2d(h, pool, pool, 'SAME')
    # [n, 2, frames, 128] -> [n, frames, 256]
    h = tf.transpose(h, [0, 2, 1, 3])
    h = tf.reshape(h, [tf.shape(h)[0], tf.shape(h)[1], 2 * CONV[-1][1]])
    for i, (cin, cout, width) in enumerate(SEQUENCE, start=1):
        w[f'seq{i}/W'] = _weight(f'seq{i}/W', [width, cin, cout], width * cin)
        w[f'seq{i}/b'] = _bias(f'seq{i}/b', cout)
        h = tf.nn.relu(tf.nn.conv1d(h, w[f'seq{i}/W'], 1, 'SAME') + w[f'seq{i}/b'])
    if dropout is not None:
        h = tf.nn.dropout(h, rate=dropout)
    w['out/W'] = _weight('out/W', [SEQUENCE[-1][1], CLASSES], SEQUENCE[-1][1])
    w['out/b'] = _bias('out/b', CLASSES)
    logits = tf.add(tf.einsum('nfc,ck->nfk', h, w['out/W']), w['out/b'], name='frame_logits')
    return NumberNet(x, logits, w, dropout)
