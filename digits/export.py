"""A saved model taken elsewhere: a SavedModel for TensorFlow Serving and TensorFlow Lite files (--export).

    DIR/saved_model/1/     the SavedModel (1: the version folder TensorFlow Serving wants)
    DIR/model.tflite       TensorFlow Lite, float32
    DIR/model_int8.tflite  TensorFlow Lite, int8 weights and activations, float32 input and output
    DIR/README.txt         the signature, in words

The graph is digits/networks.py's, restored from the checkpoint and frozen
(its weights become constants), with dropout taken out and the input
reshaped: `images` float32 [n, 28, 28] (0..1, ink high, as imageprepare
gives them) -> `probabilities` [n, 10] calibrated as the command lines
report them (softmax(logits / temperature)), `logits` [n, 10] and, when the
model has the touching-digits head, `several` [n] and `one_digit` [n].
The number reader (create_model_2.py --numbers --export DIR) is exported
alike, built without its dropout: `lines` float32 [n, 32, w] (line images,
digits/lines.py) -> `frame_probabilities` [n, w / 4, 11], which CTC
decoding turns into digits (digits/ctc.py; DIR/README.txt says how).
Everything is written into a temporary folder beside DIR, renamed into
place at the end, so an interrupted export leaves no half-written DIR.

Imports TensorFlow: call session.quiet_tensorflow() before importing this module.
"""
import contextlib
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import tensorflow as tf

from . import checkpoints, networks, number_model, number_net
from .lines import HEIGHT, STEP
from .session import session_config

v1 = tf.compat.v1
SIGNATURE = 'serving_default'
VERSION = '1'               # TensorFlow Serving loads DIR/saved_model/<version>/
CALIBRATION_DIGITS = 500    # MNIST training digits the int8 model's ranges are measured on
CALIBRATION_NUMBERS = 200   # numbers made from them, for the number reader's


class ExportError(Exception):
    """The export cannot be written; the message says why, in one line."""


def check_target(folder):
    """Refuse a target that is a file or a folder that is not empty."""
    if os.path.isdir(folder):
        if os.listdir(folder):
            raise ExportError(f'{folder}: folder exists and is not empty; give a new or empty folder')
    elif os.path.lexists(folder):
        raise ExportError(f'{folder}: exists and is not a folder')


def frozen_graph(model_number, model_path, threads=None):
    """The model's graph restored and frozen -> (GraphDef, {output: tensor name}, temperature, prefix).

    Outputs: 'x' (the [n, 784] input), 'logits' [n, 10], and 'several',
    'one_digit' [n] when the checkpoint has the touching-digits head.
    """
    with tf.Graph().as_default() as graph:
        net = networks.BUILDERS[model_number]()
        with v1.Session(config=session_config(threads)) as sess:
            prefix, has_head = checkpoints.restore(sess, net, model_path, model_number)
            temperature = float(sess.run(net.temperature))
            outputs = {'logits': net.logits, **({'several': net.several, 'one_digit': net.one_digit}
                                                if has_head else {})}
            kept = [t.op.name for t in outputs.values()]
            graph_def = v1.graph_util.convert_variables_to_constants(sess, graph.as_graph_def(), kept)
        if net.dropout is not None:
            graph_def = without_dropout(graph_def, net, kept)
    names = {'x': net.x.name, **{key: t.name for key, t in outputs.items()}}
    return graph_def, names, temperature, prefix


def without_dropout(graph_def, net, kept):
    """The GraphDef with the last layer reading the features directly, pruned to the ops `kept` need."""
    dropped = net.logits.op.inputs[0].op.inputs[0]      # fc2's matmul input: dropout(features)
    for node in graph_def.node:
        node.input[:] = [tensor_name(net.features) if name == tensor_name(dropped) else name
                         for name in node.input]
    return v1.graph_util.extract_sub_graph(graph_def, kept)


def tensor_name(tensor):
    """A tensor as a GraphDef node input names it: 'op' for output 0, 'op:i' otherwise."""
    return tensor.op.name if tensor.value_index == 0 else tensor.name


def serving_graph(graph_def, names, temperature):
    """In the current graph: images [n, 28, 28] -> ({'images': placeholder}, {output: tensor})."""
    images = v1.placeholder(tf.float32, [None, 28, 28], name='images')
    keys = [key for key in names if key != 'x']
    found = tf.graph_util.import_graph_def(
        graph_def, input_map={names['x']: tf.reshape(images, [-1, 784])},
        return_elements=[names[key] for key in keys], name='model')
    outputs = dict(zip(keys, found))
    logits = tf.identity(outputs['logits'], name='logits')
    # logits / temperature, written as a product by a constant (a plain MUL in TensorFlow Lite)
    probabilities = tf.nn.softmax(logits * np.float32(1 / temperature), name='probabilities')
    heads = {key: tf.identity(outputs[key], name=key) for key in ('several', 'one_digit') if key in outputs}
    return {'images': images}, {'probabilities': probabilities, 'logits': logits, **heads}


def write_saved_model(folder, serving):
    """Write the SavedModel with its serving_default signature into `folder`
    (which must not exist); serving() builds it: ({input: placeholder}, {output: tensor})."""
    with tf.Graph().as_default():
        inputs, outputs = serving()
        with v1.Session() as sess:
            builder = v1.saved_model.Builder(folder)
            signature = v1.saved_model.predict_signature_def(inputs, outputs)
            builder.add_meta_graph_and_variables(sess, [v1.saved_model.tag_constants.SERVING],
                                                 signature_def_map={SIGNATURE: signature},
                                                 strip_default_attrs=True)
            builder.save()
    return sorted(outputs)


def tflite_model(saved_model, calibration=None):
    """The SavedModel converted to TensorFlow Lite (bytes): float, or int8
    calibrated on `calibration`, a list of inputs ({name: array} each)."""
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model, signature_keys=[SIGNATURE])
    if calibration is not None:
        def representative():
            yield from calibration
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        # input and output stay float32: the file reads the same images as the float one
    with converter_chatter_hidden():
        return converter.convert()


@contextlib.contextmanager
def converter_chatter_hidden():
    """Keep what the converter writes to stderr (its C++ included) and its warnings to
    itself, unless it fails: then what it said is passed on."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile('w+') as caught, warnings.catch_warnings():
        warnings.simplefilter('ignore')
        os.dup2(caught.fileno(), 2)
        try:
            yield
        except Exception:          # not Ctrl-C: that says `interrupted` only
            sys.stderr.flush()
            os.dup2(saved, 2)
            caught.seek(0)
            sys.stderr.write(caught.read())
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def describe(model_number, prefix, temperature, outputs):
    """The README.txt written beside the files: what they take and give."""
    shapes = {'probabilities': '[n, 10] calibrated: softmax(logits / temperature)',
              'logits': '[n, 10]', 'several': '[n] probability that the picture holds several touching digits',
              'one_digit': '[n] probability that a part cut from such a picture is exactly one digit'}
    return '\n'.join([
        f'Model {model_number}, exported from {prefix} (temperature {temperature:.4f}).',
        '',
        'saved_model/1/     SavedModel, signature serving_default (TensorFlow Serving: mount saved_model/)',
        'model.tflite       TensorFlow Lite, float32',
        'model_int8.tflite  TensorFlow Lite, int8 inside; float32 input and output, as model.tflite',
        '',
        'input:  images  float32 [n, 28, 28], 0..1, ink high (imageprepare(path).reshape(28, 28))',
        *[f'output: {key:13} {shapes[key]}' for key in outputs],
        'The digit is the argmax of probabilities.', ''])


def export(model_number, model_path, folder, train_images, threads=None):
    """Write DIR (folder) from the checkpoint; train_images [n, 784] calibrate the int8 model.

    -> {'prefix': the checkpoint's, 'saved_model' / 'model.tflite' / 'model_int8.tflite': bytes}
    """
    check_target(os.path.normpath(folder))
    graph_def, names, temperature, prefix = frozen_graph(model_number, model_path, threads)
    calibration = [{'images': image[None]} for image in
                   np.asarray(train_images[:CALIBRATION_DIGITS], np.float32).reshape(-1, 28, 28)]
    return write_export(folder, prefix, lambda: serving_graph(graph_def, names, temperature), calibration,
                        lambda outputs: describe(model_number, prefix, temperature, outputs))


def export_numbers(model_path, folder, lines, threads=None):
    """Write DIR (folder) from the number reader's checkpoint; `lines`
    (line images) calibrate the int8 model. -> as export()"""
    check_target(os.path.normpath(folder))
    graph_def, names, prefix = frozen_number_reader(model_path, threads)
    calibration = [{'lines': line[None]} for line in lines]
    return write_export(folder, prefix, lambda: number_serving_graph(graph_def, names), calibration,
                        lambda outputs: describe_numbers(prefix))


def frozen_number_reader(model_path, threads=None):
    """The number reader restored and frozen, built without dropout ->
    (GraphDef, {'x', 'probabilities': tensor name}, prefix)."""
    with tf.Graph().as_default() as graph:
        net = number_net.number_reader(dropout=False)
        with v1.Session(config=session_config(threads)) as sess:
            prefix = number_model.restore(sess, net, model_path)
            graph_def = v1.graph_util.convert_variables_to_constants(
                sess, graph.as_graph_def(), [net.probabilities.op.name])
    return graph_def, {'x': net.x.name, 'probabilities': net.probabilities.name}, prefix


def number_serving_graph(graph_def, names):
    """In the current graph: lines [n, HEIGHT, w] -> ({'lines': placeholder}, {'frame_probabilities': tensor})."""
    lines = v1.placeholder(tf.float32, [None, HEIGHT, None], name='lines')
    probabilities, = tf.graph_util.import_graph_def(graph_def, input_map={names['x']: lines},
                                                    return_elements=[names['probabilities']], name='model')
    return {'lines': lines}, {'frame_probabilities': tf.identity(probabilities, name='frame_probabilities')}


def describe_numbers(prefix):
    """The number reader's README.txt: what the files take and give, and how to decode."""
    return '\n'.join([
        f'The number reader, exported from {prefix}.',
        '',
        'saved_model/1/     SavedModel, signature serving_default (TensorFlow Serving: mount saved_model/)',
        'model.tflite       TensorFlow Lite, float32',
        'model_int8.tflite  TensorFlow Lite, int8 inside; float32 input and output, as model.tflite',
        '',
        f'input:  lines  float32 [n, {HEIGHT}, w], 0..1, ink high: a number\'s line image, as',
        '        digits.preparing.prepare_one(path).line gives it (w a multiple of 4);',
        '        lines of several widths padded with 0 on the right. In TensorFlow Lite, resize',
        f'        the input to [n, {HEIGHT}, w] first (the signature runner does it).',
        f'output: frame_probabilities  [n, w / {STEP}, 11]: for each {STEP} columns, the ten',
        '        digits and, last, the blank (no new digit here).',
        'The digits: each frame\'s likeliest class, runs of one class merged, blanks dropped',
        '(CTC greedy decoding; digits.ctc.decode finds the likeliest number).', ''])


def write_export(folder, prefix, serving, calibration, readme):
    """Write DIR: the SavedModel serving() builds, the two TensorFlow Lite
    files (int8 calibrated on `calibration`) and README.txt (readme(outputs)),
    in a temporary folder renamed into place at the end. -> as export()"""
    folder = os.path.normpath(folder)
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    building = tempfile.mkdtemp(prefix=f'.{os.path.basename(folder)}.', suffix='.partial', dir=parent)
    try:
        saved_model = os.path.join(building, 'saved_model', VERSION)
        os.makedirs(os.path.dirname(saved_model))
        outputs = write_saved_model(saved_model, serving)
        for name, data in (('model.tflite', None), ('model_int8.tflite', calibration)):
            with open(os.path.join(building, name), 'wb') as f:
                f.write(tflite_model(saved_model, data))
        with open(os.path.join(building, 'README.txt'), 'w') as f:
            f.write(readme(outputs))
        check_target(folder)            # still new or empty: then rename() may replace it
        os.chmod(building, 0o777 & ~current_umask())   # mkdtemp made it private
        os.replace(building, folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)    # gone already when it was renamed
    return {'prefix': prefix, **{name: size_of(os.path.join(folder, name))
                                 for name in ('saved_model', 'model.tflite', 'model_int8.tflite')}}


def run(args, data):
    """--export DIR: export the saved model (args.model) and say what was written."""
    sizes = export(args.model_number, args.model, args.export, data['train'][0], args.threads)
    report(sizes, args.export)


def run_numbers(args, data):
    """--numbers --export DIR: export the number reader (args.model) and say what was written."""
    report(export_numbers(args.model, args.export, calibration_lines(data), args.threads), args.export)


def calibration_lines(data):
    """Line images of CALIBRATION_NUMBERS numbers made from MNIST's training digits."""
    from .number_synth import by_digit, synthesise
    crops, rng = by_digit(*data['train']), np.random.default_rng(0)
    return [synthesise(crops, rng)[0] for _ in range(CALIBRATION_NUMBERS)]


def report(sizes, folder):
    """Say what export() wrote, and where."""
    print(f'exported {sizes.pop("prefix")} to {os.path.normpath(folder)}/')
    for name, size in sizes.items():
        shown = f'{name}/{VERSION}/' if name == 'saved_model' else name
        print(f'  {shown:18} {size / 1e6:5.1f} MB')


def current_umask():
    """The process's umask (read by setting it and back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def size_of(path):
    """Bytes in a file, or in all files under a folder."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)
