"""Read digits from pictures with a trained model: the code behind
predict_1.py and predict_2.py.

Images are prepared first (no TensorFlow needed; with many pictures, by
worker processes while TensorFlow loads), then TensorFlow is imported, the
graph built and the checkpoint restored once, and the digits are classified
in batches; the parts of touching digits are prepared and read only for
pieces the model takes for several digits.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np

EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE_CLOSED = 1, 2, 130, 141
IMAGE_TYPES = ('.png', '.jpg', '.jpeg', '.gif', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm')


def parse_args(model_number, argv=None):
    p = argparse.ArgumentParser(
        description=f'Print the digit (or number) written in each picture, read by model {model_number}.',
        epilog='Exit status: 0 all read, 1 some input could not be read, 2 bad usage, '
               '130 stopped by Ctrl-C, 141 output closed early (| head).')
    p.add_argument('inputs', nargs='*', metavar='IMAGE',
                   help='image files, folders (read recursively) or glob patterns')
    p.add_argument('--model', default=f'models/model_{model_number}',
                   help='model folder or checkpoint prefix (default: %(default)s)')
    p.add_argument('--single', action='store_true',
                   help='read each picture as one digit, never as a number')
    p.add_argument('--json', action='store_true', help='one JSON object per line')
    p.add_argument('--top-k', type=int, metavar='K', help='show the K most likely digits')
    p.add_argument('--min-confidence', type=float, metavar='P',
                   help='print ? for a digit read with less confidence than P')
    p.add_argument('--save-prepared', metavar='DIR',
                   help='write each 28x28 as the network sees it (enlarged) into DIR')
    p.add_argument('--evaluate', metavar='DIR',
                   help='measure accuracy on a labelled folder (labels.csv, digit folders or '
                        'file names starting with the digit)')
    p.add_argument('--report', metavar='PNG', help='with --evaluate: draw the misses into PNG')
    args = p.parse_args(argv)
    if not args.inputs and not args.evaluate:
        p.error('give at least one image (or --evaluate DIR)')
    if args.top_k is not None and not 1 <= args.top_k <= 10:
        p.error('--top-k must be between 1 and 10')
    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        p.error('--min-confidence must be between 0 and 1')
    if args.report and not args.evaluate:
        p.error('--report goes with --evaluate')
    args.model_number = model_number
    return args


def expand_inputs(inputs):
    """Files, folders (every image inside, sorted) and globs -> (paths, errors)."""
    paths, errors = [], []
    for item in inputs:
        if os.path.isdir(item):
            found = sorted(os.path.join(d, f) for d, _, files in os.walk(item) for f in files
                           if f.lower().endswith(IMAGE_TYPES))
            if not found:
                errors.append(f'{item}: no images in this folder')
            paths.extend(found)
        elif not os.path.exists(item) and glob.has_magic(item):
            found = sorted(glob.glob(item, recursive=True))
            if not found:
                errors.append(f'{item}: no file matches')
            paths.extend(found)
        else:
            paths.append(item)
    return paths, errors


class Classifier:
    """A model's graph and weights, restored once, classifying batches."""

    def __init__(self, model_number, model_path):
        from train import quiet_tensorflow, session_config
        quiet_tensorflow()
        import tensorflow as tf
        import checkpoint
        import graphs
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = graphs.BUILDERS[model_number]()
            self.sess = tf.compat.v1.Session(config=session_config(None))
            self.prefix = checkpoint.restore(self.sess, self.net, model_path, model_number)
        self.tells_touching = self.net.several is not None

    def read(self, images):
        """images: [n, 28, 28] -> probabilities [n, 10], and for each image
        the probability that it holds several touching digits [n] and, as a
        part cut from such a piece, that it is exactly one of them [n]
        (0 and 1 for a model saved before it had a head for that)."""
        heads = [self.net.several, self.net.one_digit] if self.tells_touching else []
        out = [[np.zeros((0, 10), np.float32)], [np.zeros(0, np.float32)], [np.ones(0, np.float32)]]
        for i in range(0, len(images), 1000):
            batch = np.asarray(images[i:i + 1000], np.float32).reshape(-1, 784)
            got = self.sess.run([self.net.probabilities] + heads, {self.net.x: batch})
            if not heads:
                got += [np.zeros(len(batch), np.float32), np.ones(len(batch), np.float32)]
            for kept, new in zip(out, got):
                kept.append(new)
        return tuple(np.concatenate(o) for o in out)

    def probabilities(self, images):
        """images: [n, 28, 28] -> [n, 10]"""
        return self.read(images)[0]


def prepare_one(path, single=False):
    """imageprepare.digit_candidates' entries for one picture, or an error message."""
    from imageprepare import ImageError, digit_candidates, load_image
    try:
        return digit_candidates(load_image(path), single)
    except ImageError as e:
        message = str(e)
        return message if message.startswith(path) else f'{path}: {message}'


def prepare(paths, single):
    """prepare_one for every path, in order."""
    return [prepare_one(path, single) for path in paths]


def start_workers(count):
    """Worker processes, one per core, to prepare `count` pictures (None
    for a few pictures, not worth them). Forked before TensorFlow is
    imported, so the workers stay light and the import overlaps their work."""
    if count < 16 or (os.cpu_count() or 1) < 2:
        return None
    import multiprocessing
    import imageprepare  # noqa: F401  (imported once here, not in every worker)
    # The workers yield to the main process, so TensorFlow's import, which
    # everything waits for, runs at full speed while they share the rest.
    return multiprocessing.get_context('fork').Pool(os.cpu_count(), initializer=start_worker)


def start_worker():
    """A worker yields the CPU to the main process (nice 10) and leaves
    Ctrl-C to it: the main process stops them all (see main)."""
    import signal
    os.nice(10)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def prepare_in_background(pool, paths, single):
    """prepare_one for every path, by the workers: an iterator, in order."""
    import functools
    return pool.imap(functools.partial(prepare_one, single=single), paths,
                     chunksize=max(1, min(64, len(paths) // (4 * os.cpu_count()))))


def read_all(classifier, prepared, mapper=map, batch=256):
    """Classify every digit; per picture, a list of (28x28, probs) per digit,
    or its error message.

    `prepared` may be an iterator over pictures still being prepared: their
    digits are read a batch at a time as they arrive, so that reading the
    first overlaps preparing the last. Then, for the wide pieces the model
    takes for several touching digits, the parts they could be cut into are
    prepared (imageprepare.cut_candidates, run by `mapper`: the workers' map
    when there are workers) and read, and the best cut chosen (choose)."""
    from imageprepare import cut_candidates, shown
    pictures, wholes, reads = [], [], []

    def read_new_wholes():
        reads.extend(read_wholes(classifier, [w for w, _ in wholes[len(reads):]]))

    for entries in prepared:
        pictures.append(entries)
        if isinstance(entries, list):
            wholes += entries
            if len(wholes) - len(reads) >= batch:
                read_new_wholes()
    read_new_wholes()

    to_cut = [i for i, (_, piece) in enumerate(wholes)
              if piece is not None and reads[i][1] > SEVERAL]
    cuts = dict(zip(to_cut, mapper(cut_candidates, [wholes[i][1] for i in to_cut])))
    probs, several, one_digit = classifier.read(np.array(
        [part for i in to_cut for part in cuts[i][0]]).reshape(-1, 28, 28))
    # Per part, in the order used below: its probabilities, and how likely
    # it is not one digit: several digits still, or not a whole digit.
    part_reads = zip(probs, 1 - (1 - several) * one_digit)
    results, i = [], 0
    for entries in pictures:
        if not isinstance(entries, list):
            results.append(entries)
            continue
        digits = []
        for whole, _ in entries:
            whole = (shown(whole), reads[i][0])   # a stretched scan's stack: the median width
            if i in cuts:
                parts, ways = cuts[i]
                read = [(part, *next(part_reads)) for part in parts]
                digits += choose(whole, reads[i][1], [[read[k] for k in way] for way in ways])
            else:
                digits.append(whole)
            i += 1
        results.append(digits)
    return results


def read_wholes(classifier, wholes):
    """(probabilities, several) of each whole (imageprepare.digit_candidates);
    for a stretched scan's stack of widths, their average: the digit's own
    width is unknown, so the reading is averaged over MNIST's typical ones."""
    stacks = [w.reshape(-1, 28, 28) for w in wholes]
    if not stacks:
        return []
    probs, several, _ = classifier.read(np.concatenate(stacks))
    ends = np.cumsum([len(s) for s in stacks])[:-1]
    return [(p.mean(axis=0), s.mean()) for p, s in zip(np.split(probs, ends), np.split(several, ends))]


SEVERAL = 0.5   # the head's probability of several digits above which a piece may be cut
LEAST_SURE = 0.5   # a cut is taken only if each of its parts is read at least this surely
ONE_DIGIT_PRIOR = 1.0   # log odds in favour of one digit before reading: most pieces are one


def log_likelihood(parts):
    """How likely it is that `parts` ((28x28, probabilities, not_one) each)
    are each one digit, read as the model reads them: the sum of log
    confidence + log(1 - the head's probability that it is not one digit)."""
    return sum(np.log(p.max()) + np.log(1 - not_one + 1e-6) for _, p, not_one in parts)


def choose(whole, several, splits):
    """The whole piece (28x28, probabilities) as one digit, or the likeliest
    way to cut it into touching digits (splits: per way, (28x28,
    probabilities, not_one) per part, see read_all). The likeliest way is
    the one whose parts are read most surely and most surely as one digit
    each, so a cut that leaves two digits together or a digit in pieces
    loses to one that parts them, and of
    two that read as well the one with fewer parts wins. Only ways whose
    parts are all read at least LEAST_SURE count, and the likeliest is
    taken if it is likelier than the whole: the head's `several` against
    1 - `several`, times each side's reading, the whole's favoured by
    ONE_DIGIT_PRIOR."""
    readable = [way for way in splits if min(p.max() for _, p, _ in way) >= LEAST_SURE]
    best = max(readable, key=log_likelihood, default=None)
    if best is None:
        return [whole]
    cut = np.log(several) + log_likelihood(best)
    one = np.log(1 - several + 1e-6) + np.log(whole[1].max()) + ONE_DIGIT_PRIOR
    return [(part, p) for part, p, _ in best] if cut > one else [whole]


def describe(digits, top_k=None, min_confidence=None):
    """The text printed for one image's digits."""
    if top_k:
        return ' | '.join(' '.join(f'{d}:{p[d]:.3f}' for d in np.argsort(-p)[:top_k])
                          for _, p in digits)
    return ''.join('?' if min_confidence is not None and p.max() < min_confidence
                   else str(int(p.argmax())) for _, p in digits)


def as_json(path, digits, min_confidence=None):
    doubtful = [bool(min_confidence is not None and p.max() < min_confidence) for _, p in digits]
    return json.dumps({
        'path': path,
        'result': describe(digits, None, min_confidence),
        'confidence': round(float(min(p.max() for _, p in digits)), 4),
        'uncertain': any(doubtful),
        'digits': [{'digit': int(p.argmax()), 'confidence': round(float(p.max()), 4),
                    'probabilities': [round(float(v), 4) for v in p]} for _, p in digits],
    })


def prepared_names(paths):
    """File names for --save-prepared: each picture's own name or, where two
    pictures share one, its path below the pictures' common folder."""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    if len(set(stems)) < len(stems):
        common = os.path.commonpath([os.path.abspath(p) for p in paths])
        stems = [os.path.relpath(os.path.abspath(p), common).replace(os.sep, '_').replace('.', '_')
                 for p in paths]
    return stems


def save_prepared(folder, stem, digits):
    """Write each 28x28 the network saw, enlarged 10 times, as STEM.png (or
    STEM_0.png, STEM_1.png ... for the digits of a number; for a stretched
    scan, read at five widths, the one at MNIST's median width)."""
    from PIL import Image
    os.makedirs(folder, exist_ok=True)
    for i, (image, _) in enumerate(digits):
        name = f'{stem}.png' if len(digits) == 1 else f'{stem}_{i}.png'
        Image.fromarray((image * 255).astype(np.uint8)).resize((280, 280), Image.NEAREST) \
            .save(os.path.join(folder, name))


def read_pictures(model_number, args, paths, pool):
    """Per path, its digits as read_all gives them, or an error message."""
    if pool is None:
        prepared = prepare(paths, args.single)
        if not any(isinstance(p, list) for p in prepared):
            return prepared                  # nothing to read: no need to start TensorFlow
    else:
        prepared = prepare_in_background(pool, paths, args.single)
    try:
        classifier = Classifier(model_number, args.model)
    except Exception as e:   # CheckpointError, or TensorFlow failing to start
        print(f'error: {e}', file=sys.stderr)
        sys.exit(EXIT_FAILED)
    if not (classifier.tells_touching or args.single):
        print(f'note: {classifier.prefix} was saved before models learnt to tell touching '
              f'digits apart, so they are read as one; train it again with '
              f'python create_model_{model_number}.py', file=sys.stderr)
    return read_all(classifier, prepared, map if pool is None else pool.map)


def main(model_number, argv=None):
    """Read and print; Ctrl-C stops with one line (exit 130), not a traceback.
    When the reader of our output goes away (`| head`), stop quietly as a
    shell tool would (exit 141, as if killed by SIGPIPE). Output is flushed
    here, however the run ends (--help too), so that a closed pipe is found
    here and not at exit; what was not printed yet is sent nowhere."""
    try:
        try:
            read_and_print(model_number, argv)
        finally:
            if sys.stdout:      # None when started with stdout closed
                sys.stdout.flush()
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        from train import write_nowhere
        write_nowhere(1, 2)     # stderr may be the same pipe (2>&1)
        sys.exit(EXIT_PIPE_CLOSED)


def read_and_print(model_number, argv):
    args = parse_args(model_number, argv)
    if args.evaluate:
        import evaluate
        sys.exit(evaluate.main(args))
    paths, errors = expand_inputs(args.inputs)
    for e in errors:
        print(f'error: {e}', file=sys.stderr)
    pool = start_workers(len(paths))
    try:
        results = read_pictures(model_number, args, paths, pool)
    finally:
        if pool is not None:
            pool.terminate()
    alone = len(args.inputs) == 1 and len(paths) == 1 and not os.path.isdir(args.inputs[0])
    failed = bool(errors)
    for path, name, digits in zip(paths, prepared_names(paths), results):
        if isinstance(digits, str):
            print(f'error: {digits}', file=sys.stderr)
            failed = True
            continue
        if args.save_prepared:
            save_prepared(args.save_prepared, name, digits)
        if args.json:
            print(as_json(path, digits, args.min_confidence))
        else:
            text = describe(digits, args.top_k, args.min_confidence)
            print(text if alone else f'{path}\t{text}')
    sys.exit(EXIT_FAILED if failed else 0)
