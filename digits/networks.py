"""The two networks, defined once for training and for prediction, with the touching-digits head.

Every variable has an explicit name, so a checkpoint restores by name and never
depends on the order in which variables were created. Call these inside
`with tf.Graph().as_default():`.
"""
import tensorflow as tf

v1 = tf.compat.v1


class Net:
    """What a script needs from a built graph."""

    def __init__(self, x, logits, weights, features, dropout=None):
        self.x = x                  # float32 [None, 784], ink high, 0..1
        self.logits = logits        # float32 [None, 10]
        self.probabilities = tf.nn.softmax(logits, name='probabilities')
        self.weights = weights      # {name: variable}: the digit classifier, trained by digits.training
        self.dropout = dropout      # dropout rate, 0 unless fed while training
        # What the last layer sees, and the head on it (digits/touching.py), fitted
        # after training: two logistic regressions, whether a piece holds
        # several touching digits, and whether a part cut from one is
        # exactly one of its digits. A model checkpoint holds the weights
        # and the head; a model saved before heads existed has none (checkpoints.restore says).
        self.features = features    # float32 [None, F]
        self.head = touching_head(features)
        self.several = self._logistic('several', name='several')
        self.one_digit = self._logistic('part', name='one_digit')
        # The logits' temperature (digits/calibration.py), fitted after
        # training; reading applies it to the probabilities it reports.
        # A model saved before it existed reads as 1: as it was trained.
        self.temperature = tf.Variable(1.0, trainable=False, name='temperature')

    def _logistic(self, layer, name):
        return tf.sigmoid(tf.matmul(self.features, self.head[layer + '/W'])[:, 0]
                          + self.head[layer + '/b'], name=name)


def softmax_regression():
    """Model 1: the beginners' tutorial, y = softmax(xW + b)."""
    x = v1.placeholder(tf.float32, [None, 784], name='x')
    W = tf.Variable(tf.zeros([784, 10]), name='W')
    b = tf.Variable(tf.zeros([10]), name='b')
    logits = tf.add(tf.matmul(x, W), b, name='logits')
    return Net(x, logits, {'W': W, 'b': b}, features=x)


def touching_head(features):
    """The two logistic regressions' weights, {name: variable}; zeros until fitted."""
    size = features.shape[1]
    return {f'{layer}/{part}': tf.Variable(tf.zeros(shape), trainable=False, name=f'{layer}/{part}')
            for layer in ('several', 'part') for part, shape in (('W', [size, 1]), ('b', [1]))}


def _weight(name, shape, fan_in):
    # He initialisation: ReLU layers start at a sensible scale, so Adam can use
    # a larger learning rate than the tutorial's truncated normal(0.1) allows.
    return tf.Variable(v1.truncated_normal(shape, stddev=(2.0 / fan_in) ** 0.5 / 0.88), name=name)


def _bias(name, size):
    return tf.Variable(tf.constant(0.01, shape=[size]), name=name)


def convnet():
    """Model 2: the experts' tutorial CNN.

    conv 5x5x32 + ReLU + 2x2 max-pool, conv 5x5x64 + ReLU + pool,
    dense 1024 + ReLU, dropout, dense 10.
    """
    x = v1.placeholder(tf.float32, [None, 784], name='x')
    dropout = v1.placeholder_with_default(0.0, [], name='dropout')
    w = {
        'conv1/W': _weight('conv1/W', [5, 5, 1, 32], 25),
        'conv1/b': _bias('conv1/b', 32),
        'conv2/W': _weight('conv2/W', [5, 5, 32, 64], 25 * 32),
        'conv2/b': _bias('conv2/b', 64),
        'fc1/W': _weight('fc1/W', [7 * 7 * 64, 1024], 7 * 7 * 64),
        'fc1/b': _bias('fc1/b', 1024),
        'fc2/W': _weight('fc2/W', [1024, 10], 1024),
        'fc2/b': _bias('fc2/b', 10),
    }

    def conv_pool(h, layer):
        h = tf.nn.conv2d(h, w[layer + '/W'], strides=1, padding='SAME')
        h = tf.nn.relu(h + w[layer + '/b'])
        return tf.nn.max_pool2d(h, ksize=2, strides=2, padding='SAME')

    h = conv_pool(tf.reshape(x, [-1, 28, 28, 1]), 'conv1')
    h = conv_pool(h, 'conv2')
    features = tf.nn.relu(tf.matmul(tf.reshape(h, [-1, 7 * 7 * 64]), w['fc1/W']) + w['fc1/b'])
    h = tf.nn.dropout(features, rate=dropout)
    logits = tf.add(tf.matmul(h, w['fc2/W']), w['fc2/b'], name='logits')
    return Net(x, logits, w, features, dropout)


BUILDERS = {1: softmax_regression, 2: convnet}
