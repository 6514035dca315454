"""Find, check, restore and atomically save model checkpoints.

A model is a folder (e.g. `models/model_2/`) holding a `checkpoint` state file
and one checkpoint prefix `model.ckpt-STEP` (`.index` + `.data-*`). A new model
is always written under a new prefix and only then made current by rewriting
the state file, which TensorFlow does atomically, so a crash at any moment
leaves either the old model or the new one, whole.
"""
import glob
import os
import shutil

import tensorflow as tf

v1 = tf.compat.v1
PREVIOUS = 'previous'   # the subfolder keeping the model a new one replaced


class CheckpointError(Exception):
    """A checkpoint is missing, corrupt or belongs to the other model."""


def resolve(path, model_number, hint=None):
    """Turn a model folder or a checkpoint prefix into a checkpoint prefix."""
    hint = hint or f'train one with: python create_model_{model_number}.py'
    if os.path.isdir(path):
        try:
            prefix = tf.train.latest_checkpoint(path)
        except Exception:
            prefix = None
        if prefix is None:
            raise CheckpointError(f'no checkpoint in {path}/; {hint}')
        return prefix
    if os.path.isfile(path + '.index'):
        return path
    if path.endswith('.index') and os.path.isfile(path):
        return path[:-len('.index')]
    raise CheckpointError(f'no checkpoint at {path}; {hint}')


def check_matches(prefix, net, model_number):
    """Fail with a plain message unless `prefix` holds `net`'s weights; return
    the names of the variables it holds."""
    stored = stored_shapes(prefix)
    expected = {name: var.shape.as_list() for name, var in net.weights.items()}
    if all(stored.get(name) == shape for name, shape in expected.items()):
        return stored
    other = 1 if model_number == 2 else 2
    kind = kind_of(stored)
    hint = {f'a model {other} checkpoint': f' (use predict_{other}.py)',
            NUMBER_READER: ' (read with it as --number-model; train or export it with --numbers)'}.get(kind, '')
    raise CheckpointError(f'{prefix}: {kind}, expected model {model_number}{hint}')


NUMBER_READER = "the number reader's checkpoint"


def stored_shapes(prefix):
    """{name: shape} of the variables in checkpoint `prefix`; CheckpointError if it cannot be read."""
    try:
        return dict(tf.train.list_variables(prefix))
    except Exception as e:
        raise CheckpointError(f'{prefix}: corrupt or unreadable checkpoint '
                              f'({type(e).__name__})') from None


def kind_of(stored):
    """What a checkpoint holds ({name: shape}), in words, for a message."""
    if 'nconv1/W' in stored:
        return NUMBER_READER
    if 'conv1/W' in stored:
        return 'a model 2 checkpoint'
    if 'W' in stored:
        return 'a model 1 checkpoint'
    return 'not a checkpoint of this project'


def restore(sess, net, path, model_number):
    """Restore `net`'s weights, head and temperature from a model folder or
    prefix; return (prefix, has_head). A model saved before heads existed
    has none: then only its weights are restored, and touching digits are
    not cut; one saved before calibration reads at temperature 1."""
    prefix = resolve(path, model_number)
    stored = check_matches(prefix, net, model_number)
    has_head = all(stored.get(name) == var.shape.as_list() for name, var in net.head.items())
    calibrated = stored.get('temperature') == []
    try:
        v1.train.Saver({**net.weights, **(net.head if has_head else {}),
                        **({'temperature': net.temperature} if calibrated else {})}).restore(sess, prefix)
    except Exception as e:
        raise CheckpointError(f'{prefix}: corrupt checkpoint ({type(e).__name__})') from None
    if not calibrated:
        sess.run(net.temperature.initializer)   # its initial value, 1
    return prefix, has_head


def save_model(sess, net, folder, step):
    """Write `net`'s weights, head and temperature (no optimizer state) as the folder's new model."""
    os.makedirs(folder, exist_ok=True)
    prefix = os.path.join(folder, f'model.ckpt-{step}')
    n = 1
    while glob.glob(glob.escape(prefix) + '.*'):   # never overwrite a checkpoint in place
        prefix = os.path.join(folder, f'model.ckpt-{step}-{n}')
        n += 1
    saver = v1.train.Saver({**net.weights, **net.head, 'temperature': net.temperature},
                           save_relative_paths=True)
    saver.save(sess, prefix, write_meta_graph=False)  # switches the state file last
    remove_stale(folder, keep=prefix)
    return prefix


def keep_previous(folder):
    """Copy the folder's current model, if any, into folder/previous/ (one
    generation: an older one there goes), before a new model replaces it;
    return its prefix there, or None. Built beside and renamed into place,
    so previous/ always holds one whole model."""
    try:
        current = tf.train.latest_checkpoint(folder)
    except Exception:
        current = None
    if current is None:
        return None
    kept, building = os.path.join(folder, PREVIOUS), os.path.join(folder, PREVIOUS + '.new')
    shutil.rmtree(building, ignore_errors=True)
    os.makedirs(building)
    for path in glob.glob(glob.escape(current) + '.*'):
        shutil.copy2(path, building)
    name = os.path.basename(current)
    with open(os.path.join(building, 'checkpoint'), 'w') as f:
        f.write(f'model_checkpoint_path: "{name}"\nall_model_checkpoint_paths: "{name}"\n')
    shutil.rmtree(kept, ignore_errors=True)
    os.replace(building, kept)
    return os.path.join(kept, name)


def remove_stale(folder, keep):
    """Delete older checkpoints in `folder`, once the new one is current."""
    for path in glob.glob(os.path.join(glob.escape(folder), 'model.ckpt-*')):
        if not os.path.basename(path).startswith(os.path.basename(keep) + '.'):
            if os.path.isdir(path):          # a killed save's `_temp` folder
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.remove(path)
