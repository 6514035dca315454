"""Training, saving and restoring: short runs only (seconds each)."""
import glob
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import ROOT, ctrl_c_reaches_children, mnist_dir, needs_mnist, run
from digits import augment, checkpoints, networks, session, train_cli, training

v1 = tf.compat.v1


def test_schedule_warms_up_then_decays_to_zero():
    lr = lambda step: training.learning_rate(step, total=1000, peak=0.01, warmup=100)
    assert lr(0) == pytest.approx(0.0001)
    assert lr(49) == pytest.approx(0.005)
    assert lr(99) == pytest.approx(0.01)
    assert lr(100) == pytest.approx(0.01)
    assert lr(550) == pytest.approx(0.005)
    assert lr(1000) == pytest.approx(0.0, abs=1e-12)
    assert all(lr(s) >= lr(s + 1) for s in range(100, 1000))
    assert training.learning_rate(500, 1000, 0.01, 100, 'constant') == 0.01


def outputs_after_restore(model_number, folder):
    images = np.random.default_rng(0).random((5, 784)).astype(np.float32)
    with tf.Graph().as_default():
        net = networks.BUILDERS[model_number]()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            if model_number == 1:   # zeros would make the check trivial
                sess.run(net.weights['W'].assign(tf.random.normal([784, 10], seed=1)))
            before = sess.run(net.logits, {net.x: images})
            checkpoints.save_model(sess, net, folder, 7)
    with tf.Graph().as_default():
        net = networks.BUILDERS[model_number]()
        with v1.Session() as sess:
            checkpoints.restore(sess, net, folder, model_number)
            return before, sess.run(net.logits, {net.x: images})


@pytest.mark.parametrize('model_number', [1, 2])
def test_save_restore_in_fresh_graph_gives_identical_outputs(tmp_path, model_number):
    before, after = outputs_after_restore(model_number, str(tmp_path / 'm'))
    assert np.array_equal(before, after)
    state = (tmp_path / 'm' / 'checkpoint').read_text()
    assert 'model_checkpoint_path: "model.ckpt-7"' in state     # relative path
    stored = dict(tf.train.list_variables(str(tmp_path / 'm' / 'model.ckpt-7')))
    assert not any('Adam' in name for name in stored)           # weights only


def test_resaving_never_overwrites_the_current_checkpoint(tmp_path):
    outputs_after_restore(1, str(tmp_path))
    outputs_after_restore(1, str(tmp_path))
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith('model.ckpt-7-1')
    assert not glob.glob(str(tmp_path / 'model.ckpt-7.*'))      # the old one is cleaned up


def test_wrong_model_checkpoint_is_named(tmp_path):
    outputs_after_restore(1, str(tmp_path))
    with tf.Graph().as_default():
        net = networks.convnet()
        with v1.Session() as sess, pytest.raises(checkpoints.CheckpointError, match='model 1 checkpoint'):
            checkpoints.restore(sess, net, str(tmp_path), 2)


def args_for(model_number, folder, **options):
    defaults = dict(epochs=1, batch_size=100, learning_rate=0.003)
    argv = ['--model', str(folder), '--data-dir', mnist_dir(), '--head-pictures', '200']
    for k, v in options.items():
        argv += [f'--{k.replace("_", "-")}'] + ([] if v is True else [str(v)])
    return train_cli.parse_args(model_number, defaults, argv)


def weights(folder):
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(folder)))
    return {name: reader.get_tensor(name) for name, _ in tf.train.list_variables(str(folder))}


@needs_mnist
def test_same_seed_same_weights(tmp_path):
    for name, seed in (('a', 1), ('b', 1), ('c', 2)):
        training.train(args_for(1, tmp_path / name, steps=30, seed=seed))
    a, b, c = (weights(tmp_path / n) for n in 'abc')
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a['W'], c['W'])


def test_batches_are_distorted_ahead_the_same_as_in_step():
    images = np.random.default_rng(0).random((40, 784), dtype=np.float32)
    args = train_cli.parse_args(2, dict(epochs=1, batch_size=8, learning_rate=0.1, augment=True),
                                ['--seed', '4'])
    from_start = training.training_batches(images, args, 0)
    seen = [next(from_start) for _ in range(7)]       # into a second epoch
    resumed = training.training_batches(images, args, 3)
    for (step, idx, x), (step2, idx2, x2) in zip(seen[3:], resumed):
        assert step == step2 and np.array_equal(idx, idx2) and np.array_equal(x, x2)
    for step, idx, x in seen:
        assert np.array_equal(x, augment.distort(images[idx], np.random.default_rng([4, step])))
    assert [s for s, _, _ in seen] == list(range(7))


def train_model_2_briefly(folder, *options, callback=None):
    argv = ['--model', str(folder), '--data-dir', mnist_dir(), '--steps', '8',
            '--eval-every', '4', '--seed', '1', '--head-pictures', '200'] + list(options)
    return training.train(train_cli.parse_args(2, dict(epochs=1, batch_size=32, learning_rate=1e-3), argv),
                          callback=callback)


@needs_mnist
def test_model_2_is_saved_with_its_touching_digits_head_fitted(tmp_path, capsys):
    """Even after 8 steps the hidden features tell touching digits from one
    well; an unfitted head (zeros) would say 0.5 to everything."""
    from conftest import load_classifier
    from digits import touching
    from digits.data import load
    train_model_2_briefly(tmp_path / 'm', '--head-pictures', '1000')
    said = re.search(r'it tells touching digits from one in ([\d.]+)% of \d+', capsys.readouterr().out)
    assert said and float(said.group(1)) > 85
    images, _ = load(mnist_dir())['test']
    wholes, several = touching.examples(images, 200, np.random.default_rng(0))
    classifier = load_classifier(2, str(tmp_path / 'm'))
    assert np.mean((classifier.read(wholes)[1] > 0.5) == several) > 0.85


def test_a_model_saved_before_heads_existed_restores_without_one(tmp_path):
    with tf.Graph().as_default():
        net = networks.convnet()
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            v1.train.Saver(net.weights).save(sess, str(tmp_path / 'model.ckpt-3'))
    with tf.Graph().as_default():
        net = networks.convnet()
        with v1.Session() as sess:
            _, has_head = checkpoints.restore(sess, net, str(tmp_path), 2)
            assert not has_head
            assert sess.run(net.logits, {net.x: np.zeros((1, 784))}).shape == (1, 10)


@needs_mnist
@pytest.mark.skipif(not session.onednn_allowed(), reason='TF_ENABLE_ONEDNN_OPTS=0 turns bfloat16 off')
def test_bfloat16_training_is_measured_in_float32(tmp_path, monkeypatch):
    monkeypatch.setenv('TF_ENABLE_ONEDNN_OPTS', '1')   # as at import; the prediction tests set 0 later
    images = np.random.default_rng(0).random((20, 784), dtype=np.float32)
    measured = []

    def compare(step, sess, net, seconds):
        weights = sess.run(net.weights)
        with tf.Graph().as_default():     # the same weights in a plain float32 session
            plain = networks.convnet()
            with v1.Session() as fresh:
                for name, value in weights.items():
                    plain.weights[name].load(value, fresh)
                expected = fresh.run(plain.logits, {plain.x: images})
        measured.append(np.array_equal(sess.run(net.logits, {net.x: images}), expected))
    train_model_2_briefly(tmp_path / 'bf16', '--bfloat16', callback=compare)
    assert measured == [True, True]


@needs_mnist
@pytest.mark.skipif(not session.bfloat16_native(), reason='this CPU does not compute in bfloat16')
def test_bfloat16_trains_in_bfloat16(tmp_path, monkeypatch):
    monkeypatch.setenv('TF_ENABLE_ONEDNN_OPTS', '1')   # as at import; the prediction tests set 0 later
    train_model_2_briefly(tmp_path / 'bf16', '--bfloat16')
    train_model_2_briefly(tmp_path / 'fp32', '--no-bfloat16')
    bf16, fp32 = weights(tmp_path / 'bf16'), weights(tmp_path / 'fp32')
    assert not np.allclose(bf16['fc1/W'], fp32['fc1/W'], atol=1e-6)    # it did train in bfloat16
    assert np.allclose(bf16['fc1/W'], fp32['fc1/W'], atol=0.01)        # ... to about the same


def test_bfloat16_is_for_model_2_and_needs_onednn(monkeypatch):
    defaults = dict(epochs=1, batch_size=32, learning_rate=1e-3)
    assert not train_cli.parse_args(1, defaults, []).bfloat16
    assert train_cli.parse_args(2, defaults, []).bfloat16 == session.bfloat16_native()
    monkeypatch.setenv('TF_ENABLE_ONEDNN_OPTS', '0')
    assert not train_cli.parse_args(2, defaults, []).bfloat16
    with pytest.raises(SystemExit) as stop:
        train_cli.parse_args(2, defaults, ['--bfloat16'])
    assert stop.value.code == 2


@needs_mnist
def test_average_of_the_weights_is_what_is_evaluated_and_saved(tmp_path):
    training.train(args_for(1, tmp_path / 'plain', steps=30, seed=1))
    seen = []

    def record(step, sess, net, seconds):
        seen.append(sess.run(net.weights))
    training.train(args_for(1, tmp_path / 'avg', steps=30, seed=1, average=0.9, eval_every=1),
                   callback=record)
    plain, averaged = weights(tmp_path / 'plain'), weights(tmp_path / 'avg')
    assert len(seen) == 30
    assert all(np.array_equal(averaged[k], seen[-1][k]) for k in seen[-1])
    assert not np.allclose(averaged['W'], plain['W'], atol=1e-4)


@needs_mnist
@pytest.mark.parametrize('average', [0, 0.9])
def test_resume_continues_where_it_stopped(tmp_path, capsys, average):
    training.train(args_for(1, tmp_path / 'whole', steps=60, seed=3, average=average))

    def interrupt(step, sess, net, seconds):
        raise KeyboardInterrupt
    with pytest.raises(training.Stopped) as stop:
        training.train(args_for(1, tmp_path / 'parts', steps=60, seed=3, average=average),
                       callback=interrupt)
    assert not stop.value.closed
    assert '--resume' in str(stop.value)
    assert not os.path.exists(tmp_path / 'parts' / 'checkpoint')    # no half-trained model
    saved = tf.train.latest_checkpoint(str(tmp_path / 'parts' / 'resume'))
    assert saved.endswith('train.ckpt-6')                           # first evaluation: step 6

    training.train(args_for(1, tmp_path / 'parts', steps=60, seed=3, average=average, resume=True))
    assert 'resuming from step 6/60' in capsys.readouterr().out
    whole, parts = weights(tmp_path / 'whole'), weights(tmp_path / 'parts')
    assert tf.train.latest_checkpoint(str(tmp_path / 'parts')).endswith('model.ckpt-60')
    assert all(np.allclose(whole[k], parts[k], atol=1e-6) for k in whole)
    assert not os.path.exists(tmp_path / 'parts' / 'resume')


@needs_mnist
def test_interrupted_while_fitting_the_head_resumes_into_fitting_it(tmp_path, capsys, monkeypatch):
    """Ctrl-C after the last step, while the touching-digits head is being
    fitted, saves the state like any other; --resume then only fits the head
    and saves the same model as a run never interrupted."""
    from digits import touching
    training.train(args_for(1, tmp_path / 'whole', steps=20, seed=3))
    make_pictures = touching.examples

    def interrupt(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(touching, 'examples', interrupt)
    with pytest.raises(training.Stopped) as stop:
        training.train(args_for(1, tmp_path / 'parts', steps=20, seed=3))
    assert not stop.value.closed
    assert 'interrupted at step 20/20' in str(stop.value)
    assert not os.path.exists(tmp_path / 'parts' / 'checkpoint')
    monkeypatch.setattr(touching, 'examples', make_pictures)
    training.train(args_for(1, tmp_path / 'parts', steps=20, seed=3, resume=True))
    whole, parts = weights(tmp_path / 'whole'), weights(tmp_path / 'parts')
    assert sorted(whole) == sorted(parts) and 'several/W' in whole
    assert all(np.array_equal(whole[k], parts[k]) for k in whole)


@needs_mnist
def test_interrupting_a_resumed_run_keeps_only_the_latest_state(tmp_path, capsys):
    """Each interruption saves the training state; the one the run resumed
    from is then removed, so that a run interrupted often does not fill the
    disk (model 2's state is about 50 MB: weights, Adam's two moments and
    their average)."""
    def interrupt(step, sess, net, seconds):
        raise KeyboardInterrupt
    for resume in ({}, {'resume': True}):
        with pytest.raises(training.Stopped) as stop:
            training.train(args_for(1, tmp_path / 'm', steps=60, seed=3, **resume), callback=interrupt)
        assert not stop.value.closed
    states = glob.glob(str(tmp_path / 'm' / 'resume' / 'train.ckpt-*.index'))
    assert [os.path.basename(p) for p in states] == ['train.ckpt-12.index']


@needs_mnist
def test_logdir_writes_tensorboard_events(tmp_path):
    training.train(args_for(1, tmp_path / 'm', steps=20, logdir=tmp_path / 'logs'))
    events = glob.glob(str(tmp_path / 'logs' / 'events.out.tfevents.*'))
    assert events
    tags = {v.tag for e in v1.train.summary_iterator(events[0]) for v in e.summary.value}
    assert {'loss', 'lr', 'val_acc'} <= tags


@needs_mnist
def test_progress_without_terminal_is_plain_lines(tmp_path):
    result = run('create_model_1.py', '--steps', 50, '--head-pictures', 200, '--model', tmp_path / 'm')
    assert result.returncode == 0, result.stderr
    lines = [l for l in result.stdout.splitlines() if l.startswith('step ')]
    assert len(lines) == 10 and lines[-1].startswith('step 50/50')
    assert 'val_acc' in lines[-1] and 'ETA' in lines[-1]
    assert '\r' not in result.stdout and '\x1b' not in result.stdout
    assert result.stderr == ''    # not even TensorFlow's oneDNN notice, printed twice on import


@needs_mnist
def test_progress_on_a_terminal_is_a_bar(tmp_path):
    import pty
    env = dict(os.environ, MNIST_DATA_DIR=os.path.abspath(mnist_dir()))
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, 'create_model_1.py', '--steps', '50', '--head-pictures', '200',
                                   '--model', str(tmp_path / 'm')], env)
    out = b''
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    text = out.decode(errors='replace')
    assert '\r' in text and '50/50' in text and 'val_acc' in text


@needs_mnist
def test_ctrl_c_keeps_previous_model_and_says_how_to_resume(tmp_path):
    folder = tmp_path / 'm'
    assert run('create_model_1.py', '--steps', 20, '--head-pictures', 200, '--model', folder).returncode == 0
    before = {p: open(p, 'rb').read() for p in glob.glob(str(folder / '*'))}
    env = dict(os.environ, MNIST_DATA_DIR=os.path.abspath(mnist_dir()))
    with ctrl_c_reaches_children():
        proc = subprocess.Popen([sys.executable, 'create_model_1.py', '--steps', '100000', '--head-pictures', '200',
                                 '--model', str(folder)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:            # wait until it is really training
        if line.startswith('step '):
            break
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert '--resume' in err and 'Traceback' not in err
    after = {p: open(p, 'rb').read() for p in glob.glob(str(folder / '*')) if os.path.isfile(p)}
    assert after == before
    resumed = run('create_model_1.py', '--steps', '100000', '--head-pictures', '200', '--model', folder,
                  '--resume', '--help')
    assert resumed.returncode == 0


@needs_mnist
def test_output_closed_keeps_previous_model_and_says_how_to_resume(tmp_path):
    """`create_model_1.py | head -1`: the reader goes away after the first
    progress line. Training stops as if interrupted (exit 141, as if by
    SIGPIPE), keeps its progress for --resume and the previous model."""
    folder = tmp_path / 'm'
    assert run('create_model_1.py', '--steps', 20, '--head-pictures', 200, '--model', folder).returncode == 0
    before = {p: open(p, 'rb').read() for p in glob.glob(str(folder / '*'))}
    env = dict(os.environ, MNIST_DATA_DIR=os.path.abspath(mnist_dir()))
    proc = subprocess.Popen([sys.executable, 'create_model_1.py', '--steps', '100000', '--head-pictures', '200',
                             '--eval-every', '10', '--model', str(folder)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith('step ')
    proc.stdout.close()
    proc.stdout = None          # so that communicate reads stderr only
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141, err
    assert 'output closed at step' in err and '--resume' in err
    assert 'Traceback' not in err and 'Exception ignored' not in err
    after = {p: open(p, 'rb').read() for p in glob.glob(str(folder / '*')) if os.path.isfile(p)}
    assert after == before
    assert glob.glob(str(folder / 'resume' / 'train.ckpt-*.index'))


@needs_mnist
def test_an_error_with_no_one_reading_still_exits_1(tmp_path):
    """`create_model_1.py --evaluate --model nowhere 2>&1 | true`: the
    reader has gone before the error is written; the exit status still
    says the run failed, and nothing is left to complain about it (it
    exited 120 when Python failed to flush at exit). Output is buffered, as
    in a user's shell."""
    read, write = os.pipe()
    os.close(read)              # no reader, from the start
    proc = subprocess.run([sys.executable, 'create_model_1.py', '--evaluate', '--data-dir', mnist_dir(),
                           '--model', str(tmp_path / 'nowhere')], cwd=ROOT, stdout=write, stderr=write,
                          env={k: v for k, v in os.environ.items() if k != 'PYTHONUNBUFFERED'})
    os.close(write)
    assert proc.returncode == 1


def write_mnist_pngs(folder, count):
    """MNIST test digits as a user would hand them in: black on white,
    uncropped with a wide margin, off-centre."""
    from digits.data import read_idx
    images = read_idx(os.path.join(mnist_dir(), 't10k-images-idx3-ubyte.gz'))[:count]
    labels = read_idx(os.path.join(mnist_dir(), 't10k-labels-idx1-ubyte.gz'))[:count]
    os.makedirs(folder)
    rng = np.random.default_rng(0)
    for i, (img, label) in enumerate(zip(images, labels)):
        page = np.full((90, 120), 255, np.uint8)
        y, x = rng.integers(0, 90 - 28), rng.integers(0, 120 - 28)
        page[y:y + 28, x:x + 28] = 255 - img
        Image.fromarray(page).save(os.path.join(folder, f'{label}_{i:04d}.png'))
    return labels


@needs_mnist
@pytest.mark.parametrize('model_number, options, least', [
    (1, ['--steps', 300], 0.8),
    (2, ['--steps', 120, '--batch-size', 50], 0.8),
])
def test_end_to_end_train_then_predict_pngs(tmp_path, model_number, options, least):
    folder = tmp_path / 'model'
    trained = run(f'create_model_{model_number}.py', '--model', folder, '--head-pictures', 200, *options)
    assert trained.returncode == 0, trained.stderr
    labels = write_mnist_pngs(tmp_path / 'pngs', 200)
    result = run(f'predict_{model_number}.py', '--model', folder, '--single', '--json', tmp_path / 'pngs')
    assert result.returncode == 0, result.stderr
    read = [json.loads(line) for line in result.stdout.splitlines()]
    guesses = {os.path.basename(r['path']): r['result'] for r in read}
    correct = sum(guesses[f'{label}_{i:04d}.png'] == str(label) for i, label in enumerate(labels))
    assert correct / len(labels) > least


def test_nan_loss_stops_training_and_keeps_previous_model(tmp_path):
    """A run that diverges says so and never replaces the model that was there."""
    folder = tmp_path / 'm'
    outputs_after_restore(1, str(folder))
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    rng = np.random.default_rng(0)
    good = (rng.random((200, 784)).astype(np.float32), rng.integers(0, 10, 200))
    bad = (np.full((200, 784), np.nan, np.float32), good[1])
    data = {'train': bad, 'validation': good, 'test': good}
    args = train_cli.parse_args(1, dict(epochs=1, batch_size=50, learning_rate=0.01),
                                ['--model', str(folder), '--steps', '5'])
    with pytest.raises(FloatingPointError, match='loss became nan'):
        training.train(args, data=data)
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == before


def test_option_values_are_checked():
    parse = lambda *argv: train_cli.parse_args(2, dict(epochs=1, batch_size=10, learning_rate=0.1),
                                               list(argv))
    assert parse('--warmup', '0.00', '--dropout', '0').warmup == 0.0
    for bad in (['--dropout', '-1'], ['--steps', '0'], ['--learning-rate', 'nan'],
                ['--batch-size', '2.5'], ['--warmup', '1']):
        with pytest.raises(SystemExit) as stop:
            parse(*bad)
        assert stop.value.code == 2, bad


@needs_mnist
def test_callback_time_leaves_out_measuring(tmp_path):
    seconds = []

    def slow_measure(step, sess, net, trained):
        seconds.append(trained)
        time.sleep(0.5)              # a benchmark measuring test accuracy, say
    training.train(args_for(1, tmp_path / 'm', steps=20, seed=1, eval_every=5),
                   callback=slow_measure)
    assert len(seconds) == 4
    # 15 steps of model 1 take milliseconds; counting the three sleeps would add 1.5 s
    assert seconds[-1] - seconds[0] < 1.0


def test_only_the_onednn_notice_is_hidden(capfd):
    """TensorFlow's import writes its oneDNN notice straight to file
    descriptor 2; training hides that notice, and nothing else."""
    with session.onednn_notice_hidden():
        os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called '
                    b'are written to STDERR\n'
                    b'I0000 port.cc:153] oneDNN custom operations are on. You may see ...\n'
                    b'a fatal error from C++\n')
        print('a Python warning', file=sys.stderr)
    print('after', file=sys.stderr)
    lines = capfd.readouterr().err.splitlines()
    assert sorted(lines) == ['a Python warning', 'a fatal error from C++', 'after']
