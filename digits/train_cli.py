"""The command line of create_model_1.py and create_model_2.py: train a model, or --evaluate or --export it.

MNIST is loaded (and its errors reported) before TensorFlow starts;
TensorFlow is imported only after session.quiet_tensorflow has set its
environment, which is why digits.training is imported inside train_command.
"""
import argparse
import math
import sys

from . import cli, session
from . import data as mnist


def main(model_number, defaults, argv=None):
    """Train model `model_number` with `defaults` (the recipe) and argv, and exit;
    with --numbers (create_model_2.py), the number reader instead."""
    argv = sys.argv[1:] if argv is None else argv
    if model_number == 2 and '--numbers' in argv:
        cli.run(train_numbers_command, argv)
    cli.run(train_command, model_number, defaults, argv)


def train_numbers_command(argv):
    """Parse argv, load MNIST, train (or --export) the number reader; the exit status."""
    args = parse_numbers_args(argv)
    session.quiet_tensorflow(onednn=args.export is None)   # only training gains from oneDNN
    try:
        with session.onednn_notice_hidden():
            data = mnist.load(args.data_dir)
    except mnist.DataError as e:
        needs = '; --export calibrates its int8 model on numbers made from the training files'
        raise cli.Failure(f'{e}{needs if args.export is not None else ""}') from None
    with session.onednn_notice_hidden():
        import tensorflow as tf
    tf.get_logger().setLevel('ERROR')
    from . import checkpoints, number_training, training
    try:
        if args.export is not None:
            from . import export
            try:
                export.run_numbers(args, data)
            except export.ExportError as e:
                raise cli.Failure(e) from None
        else:
            number_training.train(args, data)
    except training.Stopped as e:
        if e.closed:
            cli.write_nowhere(1)
        print(f'\n{e}', file=sys.stderr)
        return cli.EXIT_PIPE_CLOSED if e.closed else cli.EXIT_INTERRUPTED
    except BrokenPipeError:
        raise
    except (checkpoints.CheckpointError, FloatingPointError, OSError) as e:
        raise cli.Failure(e) from None
    except tf.errors.OpError as e:
        raise cli.Failure(f'{args.model}: {e.message.splitlines()[0]}') from None
    return 0


def parse_numbers_args(argv):
    """The options of create_model_2.py --numbers (see --help there)."""
    p = argparse.ArgumentParser(
        prog='create_model_2.py --numbers',
        description='Train the number reader (a CNN over the whole line, with CTC) on numbers '
                    'made from MNIST\'s training digits, and save it to --model.')
    p.add_argument('--numbers', action='store_true', help='train the number reader (this)')
    p.add_argument('--data-dir', help='folder with the four MNIST .gz files '
                   '(default: $MNIST_DATA_DIR, then ./MNIST_data, else download)')
    p.add_argument('--dates', action='store_true',
                   help='train the date reader instead: some dates\' slashes written as 1s, '
                        'so that only the date\'s pattern tells them apart (default --model: '
                        f'{cli.default_model("dates")})')
    p.add_argument('--model', help='model folder to write (default: '
                   f'{cli.default_model("numbers")}, with --dates {cli.default_model("dates")})')
    p.add_argument('--steps', type=positive(int), default=NUMBER_DEFAULTS['steps'],
                   help='batches to train on (default: %(default)s, about 20 minutes on 2 cores)')
    p.add_argument('--batch-size', type=positive(int), default=NUMBER_DEFAULTS['batch_size'],
                   help='numbers per batch (default: %(default)s)')
    p.add_argument('--learning-rate', type=positive(float), default=NUMBER_DEFAULTS['learning_rate'],
                   help='peak Adam learning rate (default: %(default)s)')
    p.add_argument('--dropout', type=non_negative, default=NUMBER_DEFAULTS['dropout'],
                   help='dropout rate before the last layer (default: %(default)s)')
    p.add_argument('--average', type=non_negative, default=NUMBER_DEFAULTS['average'],
                   help='decay of the weights\' moving average, which is saved (default: %(default)s)')
    p.add_argument('--eval-every', type=positive(int),
                   help='steps between validation measurements (default: a tenth of --steps)')
    p.add_argument('--validation', type=positive(int), default=500,
                   help='numbers made from the validation digits to measure on (default: %(default)s)')
    p.add_argument('--seed', type=int, default=0, help='random seed (default: %(default)s)')
    p.add_argument('--logdir', help='write TensorBoard summaries here')
    p.add_argument('--resume', action='store_true',
                   help='continue the interrupted run saved in MODEL/resume/')
    p.add_argument('--threads', type=positive(int), help='CPU threads (default: all cores)')
    p.add_argument('--export', metavar='DIR',
                   help='no training: write the number reader in --model for TensorFlow Serving and '
                        'TensorFlow Lite into DIR (a new or empty folder)')
    args = p.parse_args(argv)
    args.model = args.model or cli.default_model('dates' if args.dates else 'numbers')
    if args.dropout >= 1 or args.average >= 1:
        p.error('--dropout and --average must be below 1')
    if args.export is not None and args.resume:
        p.error('--export writes the saved number reader as it is: give it without --resume')
    return args


def train_command(model_number, defaults, argv):
    """Parse argv, load MNIST, train (or --evaluate, --calibrate, --export); the exit status."""
    args = parse_args(model_number, defaults, argv)
    # before anything imports TensorFlow; only training gains from oneDNN
    session.quiet_tensorflow(onednn=not (args.evaluate or args.calibrate or args.export is not None))
    try:
        with session.onednn_notice_hidden():   # a download imports TensorFlow (Keras' get_file)
            data = mnist.load(args.data_dir)   # reported before TensorFlow starts
    except mnist.DataError as e:
        needs = '; --evaluate measures on its test files (t10k-*)' if args.evaluate else ''
        needs = '; --export calibrates its int8 model on the training files' if args.export is not None else needs
        raise cli.Failure(f'{e}{needs}') from None
    with session.onednn_notice_hidden():
        import tensorflow as tf
    tf.get_logger().setLevel('ERROR')   # TF1 API deprecation notices are not for our users
    from . import checkpoints, training
    try:
        if args.export is not None:
            from . import export
            try:
                export.run(args, data)
            except export.ExportError as e:
                raise cli.Failure(e) from None
        elif args.evaluate:
            training.evaluate(args, data)
        elif args.calibrate:
            training.calibrate(args, data)
        else:
            training.train(args, data=data)
    except training.Stopped as e:
        if e.closed:
            cli.write_nowhere(1)
        print(f'\n{e}', file=sys.stderr)
        return cli.EXIT_PIPE_CLOSED if e.closed else cli.EXIT_INTERRUPTED
    except BrokenPipeError:      # output closed after training: cli.run's to handle
        raise
    except (checkpoints.CheckpointError, FloatingPointError, OSError) as e:
        raise cli.Failure(e) from None
    except tf.errors.OpError as e:   # e.g. the disk filled up while saving
        raise cli.Failure(f'{args.model}: {e.message.splitlines()[0]}') from None
    return 0


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
    """An argparse type: a number of `kind` above 0."""
    return number(kind, minimum_allowed=False)


non_negative = number(float, minimum_allowed=True)
NUMBER_DEFAULTS = dict(steps=6000, batch_size=48, learning_rate=0.0015, dropout=0.1, average=0.999)


def at_least(least):
    """An argparse type: a whole number from `least` up."""
    def parse(text):
        value = positive(int)(text)
        if value < least:
            raise argparse.ArgumentTypeError(f'{text!r} must be at least {least}')
        return value
    return parse


def parse_args(model_number, defaults, argv=None):
    """The options of create_model_N.py (see --help), with the recipe's `defaults`."""
    p = argparse.ArgumentParser(
        description=f'Train model {model_number} on MNIST and save it to --model '
                    '(or, with --evaluate, print the saved model\'s test accuracy; '
                    'with --export DIR, write it for TensorFlow Serving and TensorFlow Lite).')
    p.add_argument('--data-dir', help='folder with the four MNIST .gz files '
                   '(default: $MNIST_DATA_DIR, then ./MNIST_data, else download)')
    p.add_argument('--model', default=cli.default_model(model_number),
                   help='model folder to write (default: %(default)s)')
    add_recipe(p, defaults)
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
    p.add_argument('--calibrate', action='store_true',
                   help='only fit the saved model\'s temperature on the validation digits, so that its '
                        'confidence means what it says, and save it again (for models saved before)')
    p.add_argument('--export', metavar='DIR',
                   help='only write the saved model to the new (or empty) folder DIR: DIR/saved_model/1/ '
                        '(a SavedModel for TensorFlow Serving), DIR/model.tflite and DIR/model_int8.tflite '
                        '(TensorFlow Lite, float and int8)')
    p.add_argument('--eval-every', type=positive(int),
                   help='steps between validation measurements (default: once an epoch)')
    p.add_argument('--threads', type=positive(int), help='CPU threads (default: all cores)')
    p.add_argument('--bfloat16', action=argparse.BooleanOptionalAction,
                   default=model_number == 2 and session.bfloat16_native(),
                   help='train with convolutions and matrix products in bfloat16, weights and '
                        'measurements in float32; about 1.5x faster for model 2 on CPUs that '
                        'compute in bfloat16 natively (default: on for those, so here: %(default)s)')
    args = p.parse_args(argv)
    if max(args.warmup, args.dropout, args.label_smoothing, args.average) >= 1:
        p.error('--warmup, --dropout, --label-smoothing and --average must be below 1')
    if args.export is not None and (args.evaluate or args.calibrate or args.resume):
        p.error('--export writes the saved model as it is: give it without --evaluate, --calibrate or --resume')
    if args.bfloat16 and not session.onednn_allowed():
        p.error('--bfloat16 needs oneDNN, which TF_ENABLE_ONEDNN_OPTS=0 turns off')
    args.model_number = model_number
    return args


def add_recipe(p, d):
    """The options of the training recipe, with defaults `d` (create_model_N.DEFAULTS)."""
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
