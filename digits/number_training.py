"""Training the number reader on numbers made from MNIST's training digits, with CTC.

Numbers are synthesised afresh for every batch (digits/number_synth.py),
a batch ahead in a thread, each batch seeded by its step so that a resumed
run sees the same ones. The loss is CTC (tf.nn.ctc_loss): the network is
told only which digits the line holds, in order, never where. Progress,
TensorBoard summaries, --resume and a clean Ctrl-C work as for the two
tutorial models (digits/training.py), and so does saving: an interrupted
run never touches the model that was there.
Imports TensorFlow: call session.quiet_tensorflow() first.
"""
import contextlib
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import tensorflow as tf

from . import checkpoints, ctc
from .lines import STEP, batch_lines
from .number_net import BLANK, number_reader
from .number_synth import by_digit, synthesise
from .session import session_config
from .training import Progress, Stopped, averaged_weights, learning_rate, start_or_resume, write_summaries

v1 = tf.compat.v1
SAVE_EVERY = 60        # seconds between saves of the resume state
VALIDATION = 500       # numbers made from MNIST's validation digits, read exactly or not
SMOOTHING = 0.98


def make_batch(crops, rng, size, dates=False):
    """(lines [size, HEIGHT, w], labels [size, longest] int32, lengths [size], texts);
    with `dates`, numbers as the date reader is trained on (number_synth.layout)."""
    made = [synthesise(crops, rng, dates=dates) for _ in range(size)]
    texts = [t for _, t in made]
    longest = max(len(t) for t in texts)
    labels = np.full((size, longest), BLANK, np.int32)
    for i, t in enumerate(texts):
        labels[i, :len(t)] = [int(c) for c in t]
    return batch_lines([line for line, _ in made]), labels, np.array([len(t) for t in texts], np.int32), texts


def batches(crops, seed, start_step, size, dates=False):
    """Yield (step, batch) forever, each made a batch ahead in a thread,
    seeded by its step."""
    def make(step):
        return make_batch(crops, np.random.default_rng([seed, step]), size, dates)

    with ThreadPoolExecutor(1) as worker:
        step, pending = start_step, worker.submit(make, start_step)
        while True:
            got = pending.result()
            pending = worker.submit(make, step + 1)
            yield step, got
            step += 1


def build_graph(seed, average):
    """The network, its CTC loss, Adam with clipped gradients, the weights' moving average."""
    v1.set_random_seed(seed)
    net = number_reader()
    labels = v1.placeholder(tf.int32, [None, None], name='labels')
    lengths = v1.placeholder(tf.int32, [None], name='label_lengths')
    lr = v1.placeholder(tf.float32, [], name='learning_rate')
    frames = tf.fill([tf.shape(net.x)[0]], tf.shape(net.logits)[1])
    loss = tf.reduce_mean(tf.nn.ctc_loss(labels, net.logits, lengths, frames,
                                         logits_time_major=False, blank_index=BLANK))
    step = tf.Variable(0, dtype=tf.int64, name='global_step', trainable=False)
    optimizer = v1.train.AdamOptimizer(lr)
    grads, variables = zip(*optimizer.compute_gradients(loss, list(net.weights.values())))
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    train_op = optimizer.apply_gradients(zip(grads, variables), global_step=step)
    ema = v1.train.ExponentialMovingAverage(average, num_updates=step)
    with tf.control_dependencies([train_op]):
        train_op = ema.apply(list(net.weights.values()))
    return dict(net=net, labels=labels, lengths=lengths, lr=lr, loss=loss, step=step,
                train_op=train_op, average=ema)


def read_lines(sess, net, lines, batch=64):
    """Line images (a list, any widths) -> the digits read in each, as str."""
    texts = []
    for i in range(0, len(lines), batch):
        chunk = lines[i:i + batch]
        probs = sess.run(net.probabilities, {net.x: batch_lines(chunk)})
        for line, p in zip(chunk, probs):
            texts.append(''.join(str(d) for d, _, _ in ctc.decode(p[:ctc.frames_in(line.shape[1], STEP)])))
    return texts


def validation_numbers(data, seed=1, count=VALIDATION, dates=False):
    """(line images, texts) of `count` numbers made from MNIST's validation digits."""
    crops = by_digit(*data['validation'])
    rng = np.random.default_rng(seed)
    made = [synthesise(crops, rng, dates=dates) for _ in range(count)]
    return [line for line, _ in made], [t for _, t in made]


def exact(sess, net, lines, texts):
    """The share of lines read exactly as their text."""
    return float(np.mean([r == t for r, t in zip(read_lines(sess, net, lines), texts)]))


def train(args, data):
    """Train, save the model in args.model; return the validation exact-match share.
    Raises Stopped on Ctrl-C or a closed output, the state saved for --resume."""
    tf.get_logger().setLevel('ERROR')
    crops = by_digit(*data['train'])
    val_lines, val_texts = validation_numbers(data, count=args.validation, dates=args.dates)
    resume_dir = os.path.join(args.model, 'resume')
    with tf.Graph().as_default():
        g = build_graph(args.seed, args.average)
        net = g['net']
        state = v1.train.Saver([v for v in v1.global_variables() if v is not net.temperature],
                               max_to_keep=1, save_relative_paths=True)
        with contextlib.ExitStack() as stack:
            sess = stack.enter_context(v1.Session(config=session_config(args.threads)))
            writer = v1.summary.FileWriter(args.logdir) if args.logdir else None
            if writer is not None:
                stack.callback(writer.close)
            sess.run(v1.global_variables_initializer())
            start = start_or_resume(sess, state, g['step'], resume_dir, args.resume, args.steps)
            try:
                done = train_steps(sess, g, args, crops, start, writer, (val_lines, val_texts),
                                   lambda step: state.save(sess, os.path.join(resume_dir, 'train.ckpt'),
                                                           global_step=step))
            except (KeyboardInterrupt, BrokenPipeError) as reason:
                raise stopped(sess, state, g['step'], resume_dir, args, reason) from None
            return save_finished(sess, g, args, done, val_lines, val_texts)


def train_steps(sess, g, args, crops, start, writer, validation, save_state):
    """The loop, from `start` to args.steps; returns the last step."""
    net, total = g['net'], args.steps
    warmup = round(0.03 * total)
    eval_every = args.eval_every or max(1, total // 10)
    progress, smooth, last_save = Progress(total, start), None, time.time()
    # closed on the way out, Ctrl-C included, so that the thread making the
    # next batch has stopped before the state is saved and TensorFlow shuts down
    with contextlib.closing(batches(crops, args.seed, start, args.batch_size, args.dates)) as stream:
        for step, (x, labels, lengths, _) in stream:
            if step >= total:
                break
            feed = {net.x: x, g['labels']: labels, g['lengths']: lengths, net.dropout: args.dropout,
                    g['lr']: learning_rate(step, total, args.learning_rate, warmup)}
            _, loss = sess.run([g['train_op'], g['loss']], feed)
            if not math.isfinite(loss):
                raise FloatingPointError(f'loss became {loss} at step {step}; try a lower --learning-rate')
            smooth = loss if smooth is None else SMOOTHING * smooth + (1 - SMOOTHING) * loss
            done, values = step + 1, {'loss': smooth, 'lr': feed[g['lr']]}
            evaluated = done % eval_every == 0 or done == total
            if evaluated:
                with averaged_weights(sess, net, g['average']):
                    values['val_acc'] = exact(sess, net, *validation)
            if writer is not None:
                write_summaries(writer, done, values)
            progress.update(done, values, evaluated)
            if time.time() - last_save > SAVE_EVERY:
                save_state(done)
                last_save = time.time()
    return int(sess.run(g['step']))


def stopped(sess, state, step_var, resume_dir, args, reason):
    """Save the state for --resume; the Stopped to raise."""
    done = int(sess.run(step_var))
    state.save(sess, os.path.join(resume_dir, 'train.ckpt'), global_step=done)
    closed = isinstance(reason, BrokenPipeError)
    kept = (f'the previous model in {args.model}/ is untouched' if tf.train.latest_checkpoint(args.model)
            else f'no model is saved in {args.model}/ yet')
    return Stopped(f'{"output closed" if closed else "interrupted"} at step {done}/{args.steps}; '
                   f'{kept}. Continue with the same options plus --resume', closed)


def save_finished(sess, g, args, step, val_lines, val_texts):
    """Save the weights' average as the folder's model (the one it replaces
    kept in MODEL/previous/), drop the resume state; print and return the
    validation exact-match share."""
    previous = checkpoints.keep_previous(args.model)
    with averaged_weights(sess, g['net'], g['average'], keep=True):
        prefix = checkpoints.save_model(sess, g['net'], args.model, step)
    resume_dir = os.path.join(args.model, 'resume')
    if os.path.isdir(resume_dir):
        import shutil
        shutil.rmtree(resume_dir)
    share = exact(sess, g['net'], val_lines, val_texts)
    print(f'saved {prefix}')
    print(f'numbers read exactly: {share:.4f} of {len(val_texts)} made from validation digits')
    if previous is not None:
        print(f'replaced the model in {args.model}/; the replaced one is kept in {os.path.dirname(previous)}/')
    return share
