"""The training loop shared by create_model_1.py and create_model_2.py.

MNIST sits in memory as NumPy arrays, reshuffled each epoch; each batch is
distorted (model 2), the learning rate warms up then decays, progress shows
as a Keras progress bar, summaries go to TensorBoard, the state is saved
for --resume, and the finished model is written atomically: an interrupted
or failed run never touches the model that was there before.
Imports TensorFlow: call session.quiet_tensorflow() first (train_cli does).
"""
import contextlib
import math
import os
import re
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import tensorflow as tf
from scipy import special
from tensorflow.keras.utils import Progbar

from . import calibration, checkpoints, data as mnist, networks, touching
from .augment import distort
from .session import copy_weights, in_batches, load_weights, session_config

v1 = tf.compat.v1
SAVE_EVERY = 60   # seconds between saves of the resume state
SMOOTHING = 0.98   # of the loss shown in the progress bar


class Stopped(Exception):
    """Training stopped by Ctrl-C (or its output closed, `closed`) after its
    state was saved for --resume; the message says so."""

    def __init__(self, message, closed):
        super().__init__(message)
        self.closed = closed


def learning_rate(step, total, peak, warmup, schedule='cosine'):
    """Linear warm-up to `peak`, then cosine decay to zero at `total`.

    Warm-up lets Adam start at a high rate without diverging; the cosine tail
    anneals to a sharper minimum than a constant rate, so fewer epochs are needed.
    """
    if schedule == 'constant':
        return peak
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def batches(n, batch_size, seed, start_step):
    """Yield (step, index array) forever; each epoch has its own seeded order,
    so a resumed run sees exactly the batches the interrupted one would have."""
    per_epoch = n // batch_size
    step = start_step
    while True:
        epoch, k = divmod(step, per_epoch)
        order = np.random.default_rng([seed, epoch]).permutation(n)
        yield step, order[k * batch_size:(k + 1) * batch_size]
        step += 1


def training_batches(images, args, start_step):
    """Yield (step, index array, images) forever, the images distorted (with
    --augment) one batch ahead in a thread: TensorFlow lets go of Python's
    lock while it trains, so the next batch is distorted meanwhile. Each
    batch's distortion is seeded by its step, so it is the same either way."""
    def make(step, idx):
        x = images[idx]
        return distort(x, np.random.default_rng([args.seed, step])) if args.augment else x

    order = batches(len(images), args.batch_size, args.seed, start_step)
    with ThreadPoolExecutor(1) as worker:
        step, idx = next(order)
        pending = worker.submit(make, step, idx)
        for next_step, next_idx in order:
            x = pending.result()
            pending = worker.submit(make, next_step, next_idx)
            yield step, idx, x
            step, idx = next_step, next_idx


class Progress:
    """A Keras progress bar on a terminal; a plain line per evaluation otherwise."""

    def __init__(self, total, start):
        self.total, self.start_step, self.t0 = total, start, time.time()
        self.bar = Progbar(total, stateful_metrics=['loss', 'val_acc', 'lr'],
                           unit_name='step') if sys.stdout.isatty() else None

    def update(self, step, values, evaluated=False):
        if self.bar is not None:
            self.bar.update(step, list(values.items()))
        elif evaluated or step == self.total:
            rate = (step - self.start_step) / max(1e-9, time.time() - self.t0)
            eta = (self.total - step) / max(rate, 1e-9)
            text = '  '.join(f'{k} {v:.4g}' for k, v in values.items())
            print(f'step {step}/{self.total}  {text}  {rate:.1f} steps/s  ETA {eta:.0f}s', flush=True)


class TrainingGraph(NamedTuple):
    """What the loop needs from the training graph."""
    net: networks.Net
    labels: tf.Tensor        # int64 [None]
    lr: tf.Tensor            # the learning rate, fed each step
    loss: tf.Tensor
    step: tf.Variable        # the global step, saved in the resume state
    train_op: tf.Operation
    average: object          # tf.train.ExponentialMovingAverage, or None


def build_training_graph(args):
    """The network, its loss and Adam (with the weights' moving average, if --average)."""
    v1.set_random_seed(args.seed)
    net = networks.BUILDERS[args.model_number]()
    labels = v1.placeholder(tf.int64, [None], name='labels')
    lr = v1.placeholder(tf.float32, [], name='learning_rate')
    loss = v1.losses.softmax_cross_entropy(tf.one_hot(labels, 10), net.logits,
                                           label_smoothing=args.label_smoothing)
    step_var = tf.Variable(0, dtype=tf.int64, name='global_step', trainable=False)
    train_op = v1.train.AdamOptimizer(lr).minimize(loss, global_step=step_var)
    average = None
    if args.average:
        average = v1.train.ExponentialMovingAverage(args.average, num_updates=step_var)
        with tf.control_dependencies([train_op]):
            train_op = average.apply(list(net.weights.values()))
    return TrainingGraph(net, labels, lr, loss, step_var, train_op, average)


@contextlib.contextmanager
def averaged_weights(sess, net, average, keep=False):
    """Put the moving average of the weights into the network for the block.

    Averaging the weights of the last few hundred steps (Polyak averaging)
    cancels much of the noise of a high learning rate: the average is more
    accurate than the latest weights mid-run, and no worse at the end.
    With keep=True the average stays (for saving the finished model).
    """
    if average is None:
        yield
        return
    weights = list(net.weights.values())
    current = sess.run(weights)
    load_weights(weights, sess.run([average.average(w) for w in weights]), sess)
    try:
        yield
    finally:
        if not keep:
            load_weights(weights, current, sess)


def accuracy(sess, net, images, labels):
    """The share of `images` [n, 784] whose most likely digit is its label."""
    return float(np.mean(in_batches(sess, net.logits, net.x, images).argmax(1) == labels))


def write_summaries(writer, step, values):
    """Scalars for TensorBoard (--logdir)."""
    summary = v1.Summary(value=[
        v1.Summary.Value(tag=k, simple_value=float(v)) for k, v in values.items()])
    writer.add_summary(summary, step)


def train(args, callback=None, data=None):
    """Train on `data` (default: MNIST from args.data_dir), fit the touching-
    digits head, save the model; return its test accuracy. Raises Stopped
    on Ctrl-C or a closed output, the state saved for --resume.
    `callback(step, sess, net, seconds)` runs at each evaluation (benchmarks
    use it), with the wall time since train() was called, time spent
    measuring left out; returning True stops training early. Its `sess`
    computes in float32 and, with --bfloat16, holds only the network's
    weights (the current average, with --average)."""
    started = time.perf_counter()
    tf.get_logger().setLevel('ERROR')   # Saver's deprecation notices are not for our users
    data = data or mnist.load(args.data_dir)
    resume_dir = os.path.join(args.model, 'resume')
    with tf.Graph().as_default():
        g = build_training_graph(args)
        # The resume state: all but the touching-digits head and the
        # temperature, fitted after the loop, so a run resumes into fitting them.
        fitted_after = list(g.net.head.values()) + [g.net.temperature]
        state = v1.train.Saver([v for v in v1.global_variables()
                                if not any(v is f for f in fitted_after)],
                               max_to_keep=1, save_relative_paths=True)
        with contextlib.ExitStack() as stack:
            sess = stack.enter_context(v1.Session(config=session_config(args.threads, args.bfloat16)))
            # Accuracy is measured in float32, as the model is used: in a
            # second session, given the weights, when training in bfloat16.
            measure = stack.enter_context(v1.Session(config=session_config(args.threads))) \
                if args.bfloat16 else sess
            writer = v1.summary.FileWriter(args.logdir) if args.logdir else None
            if writer is not None:
                stack.callback(writer.close)
            sess.run(v1.global_variables_initializer())
            total = steps_in_total(args, len(data['train'][0]))
            start = start_or_resume(sess, state, g.step, resume_dir, args.resume, total)
            try:
                step = train_steps(sess, measure, g, args, data, start, total,
                                   lambda done: state.save(sess, os.path.join(resume_dir, 'train.ckpt'),
                                                           global_step=done),
                                   writer, callback, started)
                with averaged_weights(sess, g.net, g.average):
                    copy_weights(g.net, sess, measure)
                    touching.fit_head(measure, g.net, data, args, also=sess)
                    fit_temperature(measure, g.net, data['validation'], also=sess)
            except (KeyboardInterrupt, BrokenPipeError) as reason:   # Ctrl-C, or `| head` closed
                raise stopped(sess, state, g.step, resume_dir, total, args.model, reason) from None
            return save_finished(sess, measure, g, args.model, step, data['test'], args.model_number)


def steps_in_total(args, examples):
    """How many batches the run trains on (--steps, or --epochs over `examples`)."""
    return args.steps or max(1, round(args.epochs * (examples // args.batch_size)))


def start_or_resume(sess, state, step_var, resume_dir, resume, total):
    """The step to start from: 0, or the saved state's with --resume (restored
    into `sess`). A new run replaces an old interrupted one."""
    start = 0
    if resume:
        last = tf.train.latest_checkpoint(resume_dir)
        if last is None:
            raise checkpoints.CheckpointError(f'nothing to resume in {resume_dir}/')
        state.restore(sess, last)
        state.recover_last_checkpoints([last])    # so the next save replaces it
        start = int(sess.run(step_var))
        print(f'resuming from step {start}/{total}')
    elif os.path.isdir(resume_dir):
        shutil.rmtree(resume_dir)
    os.makedirs(resume_dir, exist_ok=True)
    return start


def train_steps(sess, measure, g, args, data, start, total, save_state, writer, callback, started):
    """The loop: one Adam step a batch, from `start` to `total` (or until
    `callback` says stop), measuring validation accuracy every so often and
    saving the state every SAVE_EVERY seconds. Returns the last step."""
    train_x, train_y = data['train']
    per_epoch = len(train_x) // args.batch_size
    warmup = round(args.warmup * total)
    eval_every = args.eval_every or min(per_epoch, max(1, total // 10))
    progress, smooth, last_save, measuring = Progress(total, start), None, time.time(), 0.0
    for step, idx, x in training_batches(train_x, args, start):
        if step >= total:
            break
        feed = {g.net.x: x, g.labels: train_y[idx],
                g.lr: learning_rate(step, total, args.learning_rate, warmup, args.schedule)}
        if g.net.dropout is not None:
            feed[g.net.dropout] = args.dropout
        _, loss = sess.run([g.train_op, g.loss], feed)
        if not math.isfinite(loss):
            raise FloatingPointError(f'loss became {loss} at step {step}; try a lower --learning-rate')
        smooth = loss if smooth is None else SMOOTHING * smooth + (1 - SMOOTHING) * loss
        done, values = step + 1, {'loss': smooth, 'lr': feed[g.lr]}
        evaluated, stop = done % eval_every == 0 or done == total, False
        if evaluated:
            measure_start = time.perf_counter()
            values['val_acc'], stop = validate(sess, measure, g, data, callback, done,
                                               measure_start - started - measuring)
            measuring += time.perf_counter() - measure_start
        if writer is not None:
            write_summaries(writer, done, values)
        progress.update(done, values, evaluated)
        if stop:
            return done
        if time.time() - last_save > SAVE_EVERY:
            save_state(done)
            last_save = time.time()
    return int(sess.run(g.step))


def validate(sess, measure, g, data, callback, done, seconds):
    """(validation accuracy, whether the callback says stop), measured with
    the weights' average in the float32 session."""
    with averaged_weights(sess, g.net, g.average):
        copy_weights(g.net, sess, measure)
        accuracy_now = accuracy(measure, g.net, *data['validation'])
        stop = callback is not None and callback(done, measure, g.net, seconds)
    return accuracy_now, stop


def stopped(sess, state, step_var, resume_dir, total, model, reason):
    """Save the state for --resume after Ctrl-C or a closed output; the Stopped to raise."""
    done = int(sess.run(step_var))
    state.save(sess, os.path.join(resume_dir, 'train.ckpt'), global_step=done)
    closed = isinstance(reason, BrokenPipeError)
    kept = (f'the previous model in {model}/ is untouched' if tf.train.latest_checkpoint(model)
            else f'no model is saved in {model}/ yet')
    return Stopped(f'{"output closed" if closed else "interrupted"} at step {done}/{total}; '
                   f'{kept}. Continue with the same options plus --resume', closed)


def save_finished(sess, measure, g, model, step, test, model_number):
    """Save the finished model (the weights' average, if any), the one it
    replaces kept in MODEL/previous/; drop the resume state, print and
    return the test accuracy."""
    previous = checkpoints.keep_previous(model)
    with averaged_weights(sess, g.net, g.average, keep=True):
        prefix = checkpoints.save_model(sess, g.net, model, step)
        copy_weights(g.net, sess, measure)
    resume_dir = os.path.join(model, 'resume')
    if os.path.isdir(resume_dir):
        shutil.rmtree(resume_dir)
    test_acc = accuracy(measure, g.net, *test)
    print(f'saved {prefix}')
    print(f'test accuracy {test_acc:.4f}')
    if previous is not None:
        before = previous_accuracy(previous, model_number, test)
        print(f'replaced the model in {model}/ (test accuracy {before}) by this one ({test_acc:.4f}); '
              f'the replaced one is kept in {os.path.dirname(previous)}/')
    return test_acc


def previous_accuracy(prefix, model_number, test):
    """The test accuracy (text) of the model a run replaced, '?' if it is not
    a model `model_number` (1 or 2)."""
    try:
        with tf.Graph().as_default():
            net = networks.BUILDERS[model_number]()
            with v1.Session(config=session_config(None)) as sess:
                checkpoints.restore(sess, net, prefix, model_number)
                return f'{accuracy(sess, net, *test):.4f}'
    except checkpoints.CheckpointError:
        return '?'



def fit_temperature(sess, net, validation, also=None):
    """Fit the temperature that calibrates the network's confidence on the
    validation digits (digits/calibration.py), put it into `sess` and `also`,
    and say how far confidence was from accuracy before and after."""
    images, labels = validation
    logits = in_batches(sess, net.logits, net.x, images)
    temperature = calibration.fit_temperature(logits, labels)
    for s in {sess, also or sess}:
        net.temperature.load(temperature, s)
    before, after = (calibration.expected_calibration_error(
        calibration.calibrated(special.softmax(logits, axis=1), t), labels) for t in (1, temperature))
    print(f'calibrated: temperature {temperature:.3f}; on the validation digits confidence is '
          f'{before:.4f} from accuracy before, {after:.4f} after (expected calibration error)')
    return temperature


def calibrate(args, data):
    """--calibrate: fit the saved model's temperature and save it again,
    weights and head unchanged (for a model saved before calibration)."""
    with tf.Graph().as_default():
        net = networks.BUILDERS[args.model_number]()
        with v1.Session(config=session_config(args.threads)) as sess:
            prefix, _ = checkpoints.restore(sess, net, args.model, args.model_number)
            stored = dict(tf.train.list_variables(prefix))
            missing = [v for name, v in net.head.items() if name not in stored]
            if missing:         # saved before heads: keep it without one (zeros)
                sess.run(v1.variables_initializer(missing))
            fit_temperature(sess, net, data['validation'])
            folder = os.path.dirname(prefix)
            keep_previous = checkpoints.keep_previous(folder)
            step = re.match(r'model\.ckpt-(\d+)', os.path.basename(prefix))
            saved = checkpoints.save_model(sess, net, folder, int(step.group(1)) if step else 0)
    print(f'saved {saved}' + (f' (the uncalibrated one is kept in {os.path.dirname(keep_previous)}/)'
                              if keep_previous else ''))


def evaluate(args, data):
    """Print and return the saved model's MNIST test accuracy (--evaluate)."""
    with tf.Graph().as_default():
        net = networks.BUILDERS[args.model_number]()
        with v1.Session(config=session_config(args.threads)) as sess:
            prefix, _ = checkpoints.restore(sess, net, args.model, args.model_number)
            acc = accuracy(sess, net, *data['test'])
    print(f'model {prefix}')
    print(f'test accuracy {acc:.4f}')
    return acc
