"""The training loop shared by create_model_1.py and create_model_2.py.

Holds MNIST in memory as NumPy arrays, shuffles it each epoch, distorts each
batch (model 2), follows a warm-up + cosine learning-rate schedule, shows
progress, writes TensorBoard summaries, saves resumable checkpoints, and
writes the finished model atomically: an interrupted or failed run never
touches the model that was there before.
"""
import argparse
import contextlib
import math
import os
import shutil
import sys
import tempfile
import time

import numpy as np

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED = 1, 2, 130, 141


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


def number(kind, minimum_allowed):
    """An argparse type: a finite number above 0 (or from 0, if allowed)."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not minimum_allowed):
            raise argparse.ArgumentTypeError(
                f'{text!r} must be a {"non-negative" if minimum_allowed else "positive"} number')
        return value
    return parse


def positive(kind):
    return number(kind, minimum_allowed=False)


non_negative = number(float, minimum_allowed=True)


def at_least(least):
    """An argparse type: a whole number from `least` up."""
    def parse(text):
        value = positive(int)(text)
        if value < least:
            raise argparse.ArgumentTypeError(f'{text!r} must be at least {least}')
        return value
    return parse


def parse_args(model_number, defaults, argv=None):
    d = defaults
    p = argparse.ArgumentParser(
        description=f'Train model {model_number} on MNIST and save it to --model '
                    '(or, with --evaluate, print the saved model\'s test accuracy).')
    p.add_argument('--data-dir', help='folder with the four MNIST .gz files '
                   '(default: $MNIST_DATA_DIR, then ./MNIST_data, else download)')
    p.add_argument('--model', default=f'models/model_{model_number}',
                   help='model folder to write (default: %(default)s)')
    p.add_argument('--epochs', type=positive(float), default=d['epochs'],
                   help='passes over the 55,000 training images (default: %(default)s)')
    p.add_argument('--steps', type=positive(int), help='train this many batches instead of --epochs')
    p.add_argument('--batch-size', type=positive(int), default=d['batch_size'],
                   help='default: %(default)s')
    p.add_argument('--learning-rate', type=positive(float), default=d['learning_rate'],
                   help='peak Adam learning rate (default: %(default)s)')
    p.add_argument('--schedule', choices=['cosine', 'constant'], default='cosine',
                   help='warm-up + cosine decay, or constant (default: %(default)s)')
    p.add_argument('--warmup', type=non_negative, default=d.get('warmup', 0.03),
                   help='warm-up length as a fraction of training (default: %(default)s)')
    p.add_argument('--dropout', type=non_negative, default=d.get('dropout', 0.0),
                   help='dropout rate before the last layer (default: %(default)s)')
    p.add_argument('--label-smoothing', type=non_negative, default=d.get('label_smoothing', 0.0),
                   help='default: %(default)s')
    p.add_argument('--augment', action=argparse.BooleanOptionalAction, default=d.get('augment', False),
                   help='randomly distort training images (default: %(default)s)')
    p.add_argument('--average', type=non_negative, default=d.get('average', 0.0),
                   help='evaluate and save an exponential moving average of the weights '
                        'with this decay, 0 for none (default: %(default)s)')
    p.add_argument('--seed', type=int, default=0, help='random seed (default: %(default)s)')
    p.add_argument('--head-pictures', type=at_least(100), default=4000,
                   help='pictures to make and fit the touching-digits head on, after training, '
                        'plus an eighth as many whose cuts fit its part for cut parts '
                        '(default: %(default)s, about a minute; fewer for a quick run)')
    p.add_argument('--logdir', help='write TensorBoard summaries here')
    p.add_argument('--resume', action='store_true',
                   help='continue the interrupted run saved in MODEL/resume/')
    p.add_argument('--evaluate', action='store_true',
                   help='only print the saved model\'s MNIST test accuracy')
    p.add_argument('--eval-every', type=positive(int),
                   help='steps between validation measurements (default: once an epoch)')
    p.add_argument('--threads', type=positive(int), help='CPU threads (default: all cores)')
    p.add_argument('--bfloat16', action=argparse.BooleanOptionalAction,
                   default=model_number == 2 and bfloat16_native(),
                   help='train with convolutions and matrix products in bfloat16, weights and '
                        'measurements in float32; about 1.5x faster for model 2 on CPUs that '
                        'compute in bfloat16 natively (default: on for those, so here: %(default)s)')
    args = p.parse_args(argv)
    if max(args.warmup, args.dropout, args.label_smoothing, args.average) >= 1:
        p.error('--warmup, --dropout, --label-smoothing and --average must be below 1')
    if args.bfloat16 and not onednn_allowed():
        p.error('--bfloat16 needs oneDNN, which TF_ENABLE_ONEDNN_OPTS=0 turns off')
    args.model_number = model_number
    return args


def quiet_tensorflow(onednn=False):
    """Hide TensorFlow's start-up chatter. oneDNN, which this CPU build leaves
    off on some processors, doubles training speed here, so training turns it
    on; a prediction gains nothing from it, and its start-up is kept lean."""
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


def accuracy(sess, net, images, labels):
    return float(np.mean(in_batches(sess, net.logits, net.x, images).argmax(1) == labels))


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
    from concurrent.futures import ThreadPoolExecutor
    from augment import distort

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
        from tensorflow.keras.utils import Progbar
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


def build_training_graph(args):
    import tensorflow as tf
    import graphs
    v1 = tf.compat.v1
    v1.set_random_seed(args.seed)
    net = graphs.BUILDERS[args.model_number]()
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
    return net, labels, lr, loss, step_var, train_op, average


def load_weights(weights, values, sess):
    for w, value in zip(weights, values):
        w.load(value, sess)


def copy_weights(net, sess, to_sess):
    """Load the network's weights from one session into another (if another)."""
    if to_sess is not sess:
        weights = list(net.weights.values())
        load_weights(weights, sess.run(weights), to_sess)


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


def train(args, callback=None, data=None):
    """Train on `data` (default: MNIST from args.data_dir), then save the model.
    `callback(step, sess, net, seconds)` runs at each evaluation (benchmarks
    use it), with the wall time since train() was called, time spent
    measuring accuracy left out; returning True stops training early. Its
    `sess` computes in float32 and, with --bfloat16, holds only the
    network's weights (the current average, with --average)."""
    started = time.perf_counter()
    import tensorflow as tf
    import checkpoint
    import mnist_data
    v1 = tf.compat.v1
    tf.get_logger().setLevel('ERROR')   # Saver's deprecation notices are not for our users

    data = data or mnist_data.load(args.data_dir)
    train_x, train_y = data['train']
    per_epoch = len(train_x) // args.batch_size
    total = args.steps or max(1, round(args.epochs * per_epoch))
    warmup = round(args.warmup * total)
    resume_dir = os.path.join(args.model, 'resume')
    eval_every = args.eval_every or min(per_epoch, max(1, total // 10))

    with tf.Graph().as_default():
        net, labels, lr, loss, step_var, train_op, average = build_training_graph(args)
        # The resume state: all but the touching-digits head, which is fitted
        # after the loop, so a run resumes into fitting it again.
        state_saver = v1.train.Saver([v for v in v1.global_variables()
                                      if not any(v is h for h in net.head.values())],
                                     max_to_keep=1, save_relative_paths=True)
        writer = v1.summary.FileWriter(args.logdir) if args.logdir else None
        with contextlib.ExitStack() as sessions:
            sess = sessions.enter_context(v1.Session(config=session_config(args.threads, args.bfloat16)))
            # Accuracy is measured in float32, as the model is used: in a
            # second session, given the weights, when training in bfloat16.
            measure = sessions.enter_context(v1.Session(config=session_config(args.threads))) \
                if args.bfloat16 else sess
            sess.run(v1.global_variables_initializer())
            start = 0
            if args.resume:
                last = tf.train.latest_checkpoint(resume_dir)
                if last is None:
                    raise checkpoint.CheckpointError(f'nothing to resume in {resume_dir}/')
                state_saver.restore(sess, last)
                state_saver.recover_last_checkpoints([last])    # so the next save replaces it
                start = int(sess.run(step_var))
                print(f'resuming from step {start}/{total}')
            elif os.path.isdir(resume_dir):
                shutil.rmtree(resume_dir)   # a new run replaces an old interrupted one

            os.makedirs(resume_dir, exist_ok=True)
            progress = Progress(total, start)
            smooth = None
            last_save = time.time()
            measuring = 0.0     # seconds spent on validation and callbacks
            step = start
            try:
                for step, idx, x in training_batches(train_x, args, start):
                    if step >= total:
                        break
                    feed = {net.x: x, labels: train_y[idx],
                            lr: learning_rate(step, total, args.learning_rate, warmup, args.schedule)}
                    if net.dropout is not None:
                        feed[net.dropout] = args.dropout
                    _, loss_value = sess.run([train_op, loss], feed)
                    if not math.isfinite(loss_value):
                        raise FloatingPointError(f'loss became {loss_value} at step {step}; '
                                                 'try a lower --learning-rate')
                    smooth = loss_value if smooth is None else 0.98 * smooth + 0.02 * loss_value
                    done = step + 1
                    values = {'loss': smooth, 'lr': feed[lr]}
                    evaluated = done % eval_every == 0 or done == total
                    stop = False
                    if evaluated:
                        measure_start = time.perf_counter()
                        with averaged_weights(sess, net, average):
                            copy_weights(net, sess, measure)
                            values['val_acc'] = accuracy(measure, net, *data['validation'])
                            stop = callback is not None and callback(
                                done, measure, net, measure_start - started - measuring)
                        measuring += time.perf_counter() - measure_start
                    if writer is not None:
                        write_summaries(writer, done, values)
                    progress.update(done, values, evaluated)
                    if stop:
                        step = done
                        break
                    if time.time() - last_save > 60:
                        state_saver.save(sess, os.path.join(resume_dir, 'train.ckpt'), global_step=done)
                        last_save = time.time()
                step = int(sess.run(step_var))
                with averaged_weights(sess, net, average):
                    copy_weights(net, sess, measure)
                    fit_head(measure, net, data, args, also=sess)
            except (KeyboardInterrupt, BrokenPipeError) as reason:   # Ctrl-C, or `| head` closed
                done = int(sess.run(step_var))
                state_saver.save(sess, os.path.join(resume_dir, 'train.ckpt'), global_step=done)
                closed = isinstance(reason, BrokenPipeError)
                if closed:
                    write_nowhere(1)
                print(f'\n{"output closed" if closed else "interrupted"} at step {done}/{total}; '
                      f'the previous model in {args.model}/ is untouched. '
                      'Continue with the same options plus --resume', file=sys.stderr)
                sys.exit(EXIT_PIPE_CLOSED if closed else EXIT_INTERRUPTED)
            finally:
                if writer is not None:
                    writer.close()

            with averaged_weights(sess, net, average, keep=True):
                prefix = checkpoint.save_model(sess, net, args.model, step)
                copy_weights(net, sess, measure)
            if os.path.isdir(resume_dir):
                shutil.rmtree(resume_dir)
            test_acc = accuracy(measure, net, *data['test'])
            print(f'saved {prefix}')
            print(f'test accuracy {test_acc:.4f}')
            return test_acc


def fit_head(sess, net, data, args, also=None):
    """Fit the head that tells one digit from several touching ones, and a
    part of a cut that is one digit from one that is not (see touching.py),
    on args.head_pictures pictures made from the training digits and the
    cuts of an eighth as many, and say how often each is right on a quarter
    as many made from the validation digits. The network's weights in
    `sess` are the finished model's; the head is put into `sess` and, if
    given, `also`."""
    import touching
    rng = np.random.default_rng(args.seed)
    count = args.head_pictures

    def read(images):
        return in_batches(sess, net.probabilities, net.x, images)

    def made_from(images, labels, count):
        return (touching.examples(images, count, rng),
                touching.part_examples(images, labels, count // 8, rng, read))

    print(f'fitting the touching-digits head on {count} pictures, and on the parts '
          f'{count // 8} more of touching digits can be cut into')
    (images, several), (parts, one_digit) = made_from(*data['train'], count)
    head = touching.fit_logistic(in_batches(sess, net.features, net.x, images), several)
    if one_digit.any() and not one_digit.all():
        head += touching.fit_logistic(in_batches(sess, net.features, net.x, parts), one_digit)
    else:   # a model too weak to read any cut right: every part is taken for a digit
        head += (np.zeros_like(head[0]), np.array([10], np.float32))
    for s in {sess, also or sess}:
        load_weights(net.head.values(), head, s)
    (images, several), (parts, one_digit) = made_from(*data['validation'], max(100, count // 4))
    right = np.mean((in_batches(sess, net.several, net.x, images) > 0.5) == several)
    right_parts = np.sum((in_batches(sess, net.one_digit, net.x, parts) > 0.5) == one_digit)
    print(f'on pictures made from the validation digits it tells touching digits from one '
          f'in {right:.1%} of {len(several)}, and whole digits among the parts of a cut '
          f'in {right_parts} of {len(parts)}')


def write_summaries(writer, step, values):
    import tensorflow as tf
    summary = tf.compat.v1.Summary(value=[
        tf.compat.v1.Summary.Value(tag=k, simple_value=float(v)) for k, v in values.items()])
    writer.add_summary(summary, step)


def evaluate(args, data):
    import tensorflow as tf
    import checkpoint
    import graphs
    with tf.Graph().as_default():
        net = graphs.BUILDERS[args.model_number]()
        with tf.compat.v1.Session(config=session_config(args.threads)) as sess:
            prefix = checkpoint.restore(sess, net, args.model, args.model_number)
            acc = accuracy(sess, net, *data['test'])
    print(f'model {prefix}')
    print(f'test accuracy {acc:.4f}')
    return acc


def main(model_number, defaults, argv=None):
    args = parse_args(model_number, defaults, argv)
    quiet_tensorflow(onednn=not args.evaluate)   # before anything imports TensorFlow
    import mnist_data
    try:
        data = mnist_data.load(args.data_dir)   # reported before TensorFlow starts
    except mnist_data.DataError as e:
        fail(e)
    with onednn_notice_hidden():
        import tensorflow as tf
    import checkpoint
    try:
        if args.evaluate:
            evaluate(args, data)
        else:
            train(args, data=data)
        sys.stdout.flush()      # here, so that a closed pipe is found below
    except BrokenPipeError:     # output closed after training, or stderr too (2>&1)
        write_nowhere(1, 2)
        sys.exit(EXIT_PIPE_CLOSED)
    except (checkpoint.CheckpointError, FloatingPointError, OSError) as e:
        fail(e)
    except tf.errors.OpError as e:   # e.g. the disk filled up while saving
        fail(f'{args.model}: {e.message.splitlines()[0]}')


def write_nowhere(*fds):
    """Send what is still to be written to these file descriptors (1: stdout,
    2: stderr) nowhere, once their reader has gone, rather than fail again
    when Python flushes them at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in fds:
        os.dup2(devnull, fd)
    os.close(devnull)


def fail(error):
    """Say what went wrong in one line and exit 1; also when no one reads
    stderr any more (`2>&1 | head`), rather than fail again saying so."""
    try:
        print(f'error: {error}', file=sys.stderr)
        sys.stderr.flush()
    except BrokenPipeError:
        write_nowhere(2)
    sys.exit(EXIT_FAILED)
