"""Start TensorFlow quietly and give it its threads: used by both training and reading.

TensorFlow reads its settings from the environment when it is imported, so
`quiet_tensorflow` must run before anything imports it; this module itself
imports TensorFlow only inside its functions, for that reason.
"""
import contextlib
import os
import sys
import tempfile

import numpy as np


def quiet_tensorflow(onednn=False):
    """Hide TensorFlow's start-up chatter. oneDNN, which this CPU build leaves
    off on some processors, doubles training speed here, so training turns it
    on; reading turns it on too (digits.reading.Reader): a call reading 1,000
    numbers spends a quarter less on TensorFlow, and one picture starts as
    fast (docs/measured.md, "Reading faster")."""
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1' if onednn else '0')


ONEDNN_NOTICE = ('oneDNN custom operations are on', 'absl::InitializeLog() is called')


@contextlib.contextmanager
def onednn_notice_hidden():
    """Catch what is written to stderr (file descriptor 2, C++ included) in
    the block, and pass on all but TensorFlow's notice that oneDNN is on.
    Importing TensorFlow prints that notice twice, before its logging is set
    up, so TF_CPP_MIN_LOG_LEVEL cannot hide it."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile('w+') as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            sys.stderr.writelines(line for line in caught
                                  if not any(notice in line for notice in ONEDNN_NOTICE))


def onednn_allowed():
    """Whether the user left oneDNN on (training turns it on unless told not
    to: see quiet_tensorflow). Without it, bfloat16 would silently do nothing."""
    return os.environ.get('TF_ENABLE_ONEDNN_OPTS', '1') != '0'


def bfloat16_native():
    """Whether oneDNN is allowed and the CPU computes in bfloat16 itself
    (AVX512-BF16 or AMX, as recent AMD and Intel server chips do). Elsewhere
    oneDNN would emulate bfloat16, slower than float32. Read from
    /proc/cpuinfo: off where that is missing (not Linux)."""
    if not onednn_allowed():
        return False
    try:
        with open('/proc/cpuinfo') as f:
            flags = next((line.split() for line in f if line.startswith('flags')), [])
    except OSError:
        return False
    return 'avx512_bf16' in flags or 'amx_bf16' in flags


def session_config(threads, bfloat16=False):
    """Threads for TensorFlow; with bfloat16, Grappler rewrites the graph to
    compute convolutions and matrix products in bfloat16 (oneDNN's automatic
    mixed precision), variables staying float32."""
    import tensorflow as tf
    n = threads or os.cpu_count() or 1
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=n, inter_op_parallelism_threads=1)
    if bfloat16:
        from tensorflow.core.protobuf import rewriter_config_pb2
        config.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = \
            rewriter_config_pb2.RewriterConfig.ON
    return config


def in_batches(sess, tensor, x, images, batch=1000):
    """`tensor` for all `images` ([n, 784] or [n, 28, 28]), a batch at a time."""
    images = images.reshape(-1, 784)
    return np.concatenate([sess.run(tensor, {x: images[i:i + batch]})
                           for i in range(0, max(1, len(images)), batch)])   # none: shaped empty


def load_weights(weights, values, sess):
    """Put `values` (arrays, in order) into the variables `weights` in `sess`."""
    for w, value in zip(weights, values):
        w.load(value, sess)


def copy_weights(net, sess, to_sess):
    """Load the network's weights from one session into another (if another)."""
    if to_sess is not sess:
        weights = list(net.weights.values())
        load_weights(weights, sess.run(weights), to_sess)
