"""The exported models against the checkpoint: accuracy, speed and size.

    python bench/export_speed.py [--model 1|2] [--digits 10000] [--batch 1000] [--repeats 3]
    python bench/export_speed.py --numbers [--count 1000]

Exports each shipped model (as `create_model_N.py --export DIR` does) into a
temporary folder, then reads MNIST's test digits with the checkpoint (its
graph in a session, as predict_N.py reads), the SavedModel
(tf.saved_model.load, serving_default), and the float and int8 TensorFlow
Lite files (tf.lite.Interpreter, all cores). Prints accuracy, images/s in
batches of --batch (best of --repeats passes, after one warm-up batch), images/s
one digit at a time (on 1,000 digits) and each file's size. Never fails on a
timing; the load average is printed with the figures.

With --numbers, the number reader (`create_model_2.py --numbers --export`)
instead: --count numbers made from MNIST's test digits, each read alone
(its own width) and decoded (digits/ctc.py), counted exactly right.
"""
import argparse
import os
import tempfile
import time
import warnings

import numpy as np

from digits import session

session.quiet_tensorflow()
import tensorflow as tf  # noqa: E402  (after quiet_tensorflow)

from digits import checkpoints, ctc, data, export, networks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_AT_A_TIME = 1000    # digits read one per call


def checkpoint_reader(model_number):
    """images [n, 28, 28] -> calibrated probabilities [n, 10], from the checkpoint in a session."""
    graph = tf.Graph()
    with graph.as_default():
        net = networks.BUILDERS[model_number]()
        sess = tf.compat.v1.Session(config=session.session_config(None))
        checkpoints.restore(sess, net, os.path.join(ROOT, 'models', f'model_{model_number}'), model_number)
        calibrated = tf.nn.softmax(net.logits / net.temperature)
    return lambda images: sess.run(calibrated, {net.x: images.reshape(-1, 784)})


def saved_model_reader(folder):
    """images [n, 28, 28] -> probabilities [n, 10], from the SavedModel's serving_default."""
    serve = tf.saved_model.load(os.path.join(folder, 'saved_model', export.VERSION)).signatures['serving_default']
    return lambda images: serve(images=tf.constant(images))['probabilities'].numpy()


def tflite_reader(path):
    """images [n, 28, 28] -> probabilities [n, 10], from a .tflite file."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')     # tf.lite.Interpreter's notice that it is moving to LiteRT
        interpreter = tf.lite.Interpreter(model_path=path, num_threads=os.cpu_count())
    runner = interpreter.get_signature_runner('serving_default')
    return lambda images: runner(images=images)['probabilities']


def measure(read, images, labels, batch, repeats):
    """(accuracy, images/s in batches, images/s one at a time) of one reader."""
    batches = [images[i:i + batch] for i in range(0, len(images), batch)]
    read(batches[0])                                   # warm-up (and a TFLite resize)
    best, probabilities = float('inf'), None
    for _ in range(repeats):
        start = time.perf_counter()
        probabilities = np.concatenate([read(b) for b in batches])
        best = min(best, time.perf_counter() - start)
    single = images[:ONE_AT_A_TIME]
    read(single[:1])
    start = time.perf_counter()
    for i in range(len(single)):
        read(single[i:i + 1])
    one = len(single) / (time.perf_counter() - start)
    return np.mean(probabilities.argmax(axis=1) == labels), len(images) / best, one


def bench(model_number, mnist, args):
    """Export one model into a temporary folder and print its table."""
    images, labels = mnist['test']
    images, labels = images[:args.digits].reshape(-1, 28, 28).astype(np.float32), labels[:args.digits]
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, 'export')
        start = time.perf_counter()
        sizes = export.export(model_number, os.path.join(ROOT, 'models', f'model_{model_number}'),
                              folder, mnist['train'][0])
        took = time.perf_counter() - start
        checkpoint = sizes.pop('prefix')
        ckpt_size = sum(os.path.getsize(p) for p in (checkpoint + '.index', checkpoint + '.data-00000-of-00001'))
        rows = [('checkpoint (session)', checkpoint_reader(model_number), ckpt_size),
                ('SavedModel', saved_model_reader(folder), sizes['saved_model']),
                ('TFLite float', tflite_reader(os.path.join(folder, 'model.tflite')), sizes['model.tflite']),
                ('TFLite int8', tflite_reader(os.path.join(folder, 'model_int8.tflite')),
                 sizes['model_int8.tflite'])]
        print(f'\nmodel {model_number} ({os.path.relpath(checkpoint, ROOT)}), exported in {took:.1f} s; '
              f'{len(images)} MNIST test digits, batches of {args.batch}')
        print(f'{"":22} {"accuracy":>8} {"images/s":>10} {"1 at a time/s":>14} {"size":>9}')
        for name, read, size in rows:
            accuracy, rate, one = measure(read, images, labels, args.batch, args.repeats)
            print(f'{name:22} {accuracy:8.4f} {rate:10.0f} {one:14.0f} {size / 1e6:7.2f} MB')


def bench_numbers(mnist, count):
    """Export the number reader into a temporary folder and print its table."""
    from digits.number_model import NumberModel
    from digits.number_synth import by_digit, synthesise
    crops, rng = by_digit(*mnist['test']), np.random.default_rng(0)
    made = [synthesise(crops, rng) for _ in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, 'export')
        start = time.perf_counter()
        sizes = export.export_numbers(os.path.join(ROOT, 'models', 'numbers'), folder,
                                       export.calibration_lines(mnist))
        took = time.perf_counter() - start
        checkpoint = sizes.pop('prefix')
        run = NumberModel(checkpoint).first
        serve = tf.saved_model.load(os.path.join(folder, 'saved_model', export.VERSION)).signatures['serving_default']
        rows = [('checkpoint (session)', lambda line: run.frames([line])[0], sum(
                    os.path.getsize(p) for p in (checkpoint + '.index', checkpoint + '.data-00000-of-00001'))),
                ('SavedModel', lambda line: serve(lines=tf.constant(line[None]))['frame_probabilities'].numpy()[0],
                 sizes['saved_model'])]
        for name, file in (('TFLite float', 'model.tflite'), ('TFLite int8', 'model_int8.tflite')):
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                runner = tf.lite.Interpreter(model_path=os.path.join(folder, file),
                                             num_threads=os.cpu_count()).get_signature_runner('serving_default')
            rows.append((name, lambda line, r=runner: r(lines=line[None])['frame_probabilities'][0], sizes[file]))
        print(f'\nthe number reader ({os.path.relpath(checkpoint, ROOT)}), exported in {took:.1f} s; '
              f'{count} numbers made from MNIST test digits, one at a time')
        print(f'{"":22} {"exact":>8} {"numbers/s":>10} {"size":>9}')
        for name, frames, size in rows:
            frames(made[0][0])                          # warm-up
            start = time.perf_counter()
            read = [''.join(str(d) for d, _, _ in ctc.decode(frames(line))) for line, _ in made]
            rate = count / (time.perf_counter() - start)
            exact = np.mean([r == text for r, (_, text) in zip(read, made)])
            print(f'{name:22} {exact:8.4f} {rate:10.0f} {size / 1e6:7.2f} MB')


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', type=int, choices=[1, 2], help='one model only (default: both)')
    p.add_argument('--digits', type=int, default=10000, help='MNIST test digits (default: %(default)s)')
    p.add_argument('--batch', type=int, default=1000, help='digits per call (default: %(default)s)')
    p.add_argument('--repeats', type=int, default=3, help='timed passes, the best kept (default: %(default)s)')
    p.add_argument('--numbers', action='store_true', help='the number reader instead of the digit models')
    p.add_argument('--count', type=int, default=1000, help='with --numbers: numbers read (default: %(default)s)')
    args = p.parse_args()
    tf.get_logger().setLevel('ERROR')
    mnist = data.load(None)
    print(f'TensorFlow {tf.__version__}, {os.cpu_count()} cores, load average '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    if args.numbers:
        bench_numbers(mnist, args.count)
        return
    for model_number in [args.model] if args.model else [1, 2]:
        bench(model_number, mnist, args)


if __name__ == '__main__':
    main()
