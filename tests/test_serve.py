"""predict_2.py --serve: the HTTP API the page uses (digits/serve.py).

The real server runs as a user starts it, `predict_2.py --serve --port 0
--collect DIR` in a subprocess with the shipped model (one for the module:
TensorFlow starts once), and its answers are compared with what
`predict_2.py --json` prints for the same files. The refusals that need no
model (routing, sizes, path traversal, collecting) are checked on an
in-process server whose reader is a stand-in, so they are in the quick tier.
"""
import concurrent.futures
import http.client
import io
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote, urlsplit

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, ctrl_c_reaches_children, user_env
from digits import serve
from digits.output import prepared_names
from digits.reading import Digit, Reading
from test_bad_input import TF_NOISE, half_of, png_header_only, seven

SAMPLES = Path(ROOT) / 'samples'
START_TIMEOUT = 180   # seconds for the server to load its model and say where it listens


# ------------------------------------------------------------------ helpers

def request(base, method, path, body=None, headers=None, length=True):
    """(status, body bytes, response headers) of one request sent as is (the
    path not normalised); length=False sends a POST without Content-Length."""
    address = urlsplit(base)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    try:
        if length:
            conn.request(method, path, body=body, headers=headers or {})
        else:
            conn.putrequest(method, path)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.endheaders()
        r = conn.getresponse()
        return r.status, r.read(), r.headers
    finally:
        conn.close()


def read(base, data, name=None):
    """POST /read: (status, the JSON object or the one-line text)."""
    path = '/read' + (f'?name={quote(str(name))}' if name else '')
    status, body, headers = request(base, 'POST', path, data)
    if headers.get('Content-Type') == 'application/json':
        return status, json.loads(body)
    return status, body.decode()


def one_line(body):
    """The text of a refusal, checked to be one line and no traceback."""
    text = body.decode() if isinstance(body, bytes) else body
    assert text.endswith('\n') and text.count('\n') == 1, repr(text)
    assert 'Traceback' not in text and '<' not in text, text
    return text.strip()


def start_server(*args, script='predict_2.py', stderr=None):
    """(process, URL) of `script --serve --port 0 ARGS` once it says where it
    listens; Ctrl-C reaches it as from a terminal."""
    with ctrl_c_reaches_children():
        process = subprocess.Popen([sys.executable, script, '--serve', '--port', '0', *map(str, args)],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr or subprocess.PIPE,
                                   text=True, env=user_env())
    timer = threading.Timer(START_TIMEOUT, process.kill)
    timer.start()
    try:
        line = process.stdout.readline()
    finally:
        timer.cancel()
    found = re.search(r'http://[^/\s]+/', line)
    if not found:
        process.kill()
        _, err = process.communicate()
        pytest.fail(f'the server did not start: {line!r}\n{err}')
    return process, found.group(0)


def stop(process):
    if process.poll() is None:
        process.terminate()
        process.wait(30)


class StandIn:
    """A reader for the tests that need no model: every picture it is given
    reads as one 0. Refusals happen before it is asked."""

    def read_prepared(self, prepared):
        return [p if isinstance(p, str) else Reading([Digit(np.zeros((28, 28), np.float32), np.eye(10)[0])])
                for p in prepared]


@pytest.fixture(scope='module')
def stand_in(tmp_path_factory):
    """(URL without --collect, URL with it, its folder) of in-process servers."""
    folder = tmp_path_factory.mktemp('collect_quick')
    servers = [serve.make_server(StandIn()), serve.make_server(StandIn(), collect=str(folder))]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield serve.address(servers[0]), serve.address(servers[1]), folder
    for s in servers:
        s.shutdown()
        s.server_close()


def png_bytes(img, fmt='PNG', **options):
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


# ------------------------------------------------------------------ static files, no model

@pytest.fixture
def web(tmp_path):
    """A page folder, and beside it a page that must never be served from it."""
    (tmp_path / 'web').mkdir()
    (tmp_path / 'web' / 'index.html').write_text('<p>page</p>')
    (tmp_path / 'web' / 'page.js').write_text('// script')
    (tmp_path / 'secret.html').write_text('<p>secret</p>')
    (tmp_path / 'web' / 'link.html').symlink_to(tmp_path / 'secret.html')
    return tmp_path / 'web'


TRAVERSALS = ['/../secret.html', '/%2e%2e/secret.html', '/%2E%2E%2Fsecret.html', '/..%2fsecret.html',
              '/.%2e/secret.html', '//../secret.html', '/..\\secret.html', '/%5c..%5csecret.html',
              '/link.html', '/index.html/../../secret.html', '/%2e%2e%2f%2e%2e%2fetc/passwd',
              '//etc/passwd', '/%2fetc%2fpasswd', '/etc/passwd%00.html', '/../../../../etc/passwd']


@pytest.mark.quick
@pytest.mark.parametrize('path', TRAVERSALS)
def test_no_file_outside_the_page_folder(web, path):
    assert serve.static_file(web, path) is None


@pytest.mark.quick
def test_the_page_folder_files_are_found(web):
    assert serve.static_file(web, '/') == (web / 'index.html').resolve()
    assert serve.static_file(web, '/page.js') == (web / 'page.js').resolve()
    assert serve.static_file(web, '/page%2ejs') == (web / 'page.js').resolve()
    assert serve.static_file(web, '/missing.js') is None
    assert serve.static_file(web, '/../web/page.js') == (web / 'page.js').resolve()   # still inside


@pytest.mark.quick
@pytest.mark.parametrize('path', [p.replace('secret.html', '../samples/7.png') for p in TRAVERSALS]
                         + ['/../serve.py', '/../../pyproject.toml', '/%2e%2e/%2e%2e/samples/7.png'])
def test_traversal_over_http_is_not_found(stand_in, path):
    """Files outside digits/web: samples/7.png (of a type the page's files
    have), digits/serve.py, pyproject.toml, /etc/passwd."""
    status, body, _ = request(stand_in[0], 'GET', path)
    assert status in (403, 404), (status, body[:200])
    one_line(body)
    assert b'PNG' not in body and b'def ' not in body and b'[project]' not in body and b'root:' not in body


@pytest.mark.quick
def test_the_page_is_served_with_its_types(stand_in):
    for path, kind in [('/', 'text/html'), ('/index.html', 'text/html'),
                       ('/page.js', 'text/javascript'), ('/page.css', 'text/css')]:
        status, body, headers = request(stand_in[0], 'GET', path)
        assert status == 200, path
        assert headers['Content-Type'].startswith(kind), (path, headers['Content-Type'])
        assert body == serve.static_file(serve.WEB, path).read_bytes()
    assert b'<canvas' in request(stand_in[0], 'GET', '/')[1]


# ------------------------------------------------------------------ refusals, no model

@pytest.mark.quick
@pytest.mark.parametrize('method, path, status', [
    ('GET', '/nothing-here', 404), ('POST', '/nothing-here', 404), ('GET', '/collect', 404),
    ('POST', '/collect?label=3', 404),                   # no --collect: not there
    ('GET', '/read', 405), ('PUT', '/read', 405), ('DELETE', '/read', 405), ('OPTIONS', '/read', 405),
    ('POST', '/', 405), ('POST', '/index.html', 405), ('POST', '/config', 405), ('HEAD', '/read', 405),
    ('BREW', '/read', 501),
])
def test_unknown_paths_and_wrong_methods(stand_in, method, path, status):
    got, body, headers = request(stand_in[0], method, path, b'x' if method in ('POST', 'PUT') else None)
    assert got == status, body
    if method != 'HEAD':
        one_line(body)
    if status == 405:
        assert headers['Allow'] in ('GET', 'POST')


@pytest.mark.quick
def test_lengths_missing_bad_or_too_large(stand_in):
    base = stand_in[0]
    status, body, _ = request(base, 'POST', '/read', length=False)
    assert status == 411 and 'Content-Length' in one_line(body)
    status, body, _ = request(base, 'POST', '/read', headers={'Transfer-Encoding': 'chunked'},
                              length=False)
    assert status == 411, body
    status, body, _ = request(base, 'POST', '/read', headers={'Content-Length': '-5'}, length=False)
    assert status == 400 and 'Content-Length' in one_line(body)
    # Refused on its declared length, before a byte of it is read.
    status, body, _ = request(base, 'POST', '/read', headers={'Content-Length': str(serve.LIMIT + 1)},
                              length=False)
    assert status == 413 and 'too large' in one_line(body)
    with socket.create_connection((urlsplit(base).hostname, urlsplit(base).port), timeout=60) as s:
        s.sendall(b'POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789')
        s.shutdown(socket.SHUT_WR)      # the client stops before the 100 bytes it announced
        answer = s.makefile('rb').read()
    assert answer.startswith(b'HTTP/1.0 400 ') and b'ended after 10 of 100 bytes' in answer, answer


@pytest.mark.quick
def test_other_sites_pages_cannot_post(stand_in):
    status, body, _ = request(stand_in[1], 'POST', '/collect?label=1', png_bytes(seven()),
                              headers={'Origin': 'http://evil.example'})
    assert status == 403, body
    one_line(body)
    host = urlsplit(stand_in[1]).netloc
    status, _, _ = request(stand_in[1], 'POST', '/read', png_bytes(seven()), headers={'Origin': f'http://{host}'})
    assert status == 200


@pytest.mark.quick
def test_config_says_whether_drawings_are_collected(stand_in):
    assert json.loads(request(stand_in[0], 'GET', '/config')[1])['collect'] is False
    assert json.loads(request(stand_in[1], 'GET', '/config')[1])['collect'] is True


@pytest.mark.quick
def test_collect_writes_pngs_and_labels_csv(stand_in):
    _, base, folder = stand_in
    sent = [('7', png_bytes(seven())), ('4', png_bytes(seven().convert('RGB'), 'JPEG', quality=90)),
            ('0', png_bytes(seven(width=5)))]
    names = []
    for label, data in sent:
        status, body, _ = request(base, 'POST', f'/collect?label={label}', data)
        assert status == 200, body
        names.append(json.loads(body)['saved'])
    rows = (folder / 'labels.csv').read_text().splitlines()
    assert rows[0] == 'filename,label'
    assert rows[1:] == [f'{n},{label}' for n, (label, _) in zip(names, sent)]
    assert len(set(names)) == 3
    for name, (label, data) in zip(names, sent):
        assert name.startswith(f'{label}_') and name.endswith('.png')
        with Image.open(folder / name) as saved:
            assert saved.format == 'PNG' and saved.size == (200, 200)
    assert (folder / names[0]).read_bytes() == sent[0][1]     # a PNG is kept as sent
    for label in ['', 'x', '12', '-1', '%E2%91%A0', '1%0A2']:
        status, body, _ = request(base, 'POST', f'/collect?label={label}', png_bytes(seven()))
        assert status == 400 and 'label' in one_line(body), (label, body)
    for data in [b'', b'not a picture', png_bytes(seven())[:300]]:
        status, body, _ = request(base, 'POST', '/collect?label=1', data)
        assert status == 400, body
        one_line(body)
    assert len((folder / 'labels.csv').read_text().splitlines()) == 4, 'a refused picture was recorded'
    assert len(list(folder.glob('*.png'))) == 3


@pytest.mark.quick
def test_an_error_inside_is_one_line_and_a_500(capsys):
    class Broken:
        def read_prepared(self, prepared):
            raise RuntimeError('a bug\nwith two lines')

    server = serve.make_server(Broken())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, body, _ = request(serve.address(server), 'POST', '/read', png_bytes(seven()))
        assert status == 500
        assert 'bug' not in one_line(body)
        status, _, _ = request(serve.address(server), 'GET', '/config')
        assert status == 200, 'the server stopped after an error'
    finally:
        server.shutdown()
        server.server_close()
    logged = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(logged) == 1 and 'RuntimeError' in logged[0], logged


# ------------------------------------------------------------------ the real server

@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """(URL, collect folder, stderr file) of predict_2.py --serve with the shipped model."""
    folder = tmp_path_factory.mktemp('serve') / 'collected'
    err = tmp_path_factory.mktemp('serve_log') / 'stderr.txt'
    with open(err, 'w') as f:
        process, url = start_server('--collect', folder, stderr=f)
    yield url, folder, err
    stop(process)


@pytest.fixture(scope='module')
def bad_pictures(tmp_path_factory):
    """{path: bytes} of each bad input of docs/errors.md that can be sent as bytes,
    and the first-frame cases (GIF, TIFF), which read."""
    d = tmp_path_factory.mktemp('bad')
    seven().save(d / 'seven.png')
    seven().convert('RGB').save(d / 'seven.jpg', quality=90)
    files = {'empty.png': b'', 'letter.png': b'Dear reader,\nthis is not a picture.\n',
             'scan.png': b'%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n',
             'truncated.png': Path(half_of(d / 'seven.png', d / 'h.png')).read_bytes(),
             'truncated.jpg': Path(half_of(d / 'seven.jpg', d / 'h.jpg')).read_bytes(),
             'one_pixel_black.png': png_bytes(Image.new('L', (1, 1), 0)),
             'one_pixel_white.png': png_bytes(Image.new('L', (1, 1), 255)),
             'blank_page.png': png_bytes(Image.new('RGB', (800, 600), 'white')),
             'page_all_ink.png': png_bytes(Image.new('RGB', (800, 600), 'black')),
             'bomb_100000.png': png_header_only(100_000, 100_000),
             'bomb_10000.png': png_header_only(10_000, 10_000)}
    frames = [seven().convert('P'), Image.new('L', (200, 200), 255).convert('P')]
    files['animated.gif'] = png_bytes(frames[0], 'GIF', save_all=True, append_images=frames[1:],
                                      duration=200, loop=0)
    files['pages.tif'] = png_bytes(seven(), 'TIFF', save_all=True,
                                   append_images=[Image.new('L', (200, 200), 255)])
    for name, data in files.items():
        (d / name).write_bytes(data)
    return {str(d / name): data for name, data in files.items()}


@pytest.fixture(scope='module')
def command_line(bad_pictures, tmp_path_factory):
    """What `predict_2.py --json --save-prepared DIR` says of the samples and
    the bad pictures, in one run: ({path: JSON object}, {path: error line},
    {path: [28x28 uint8 the network saw]})."""
    out = tmp_path_factory.mktemp('prepared')
    paths = sorted(str(p) for p in SAMPLES.iterdir()) + list(bad_pictures)
    r = subprocess.run([sys.executable, 'predict_2.py', '--json', '--save-prepared', out, *paths],
                       cwd=ROOT, capture_output=True, text=True, timeout=600, env=user_env())
    assert 'Traceback' not in r.stderr, r.stderr
    objects = {o['path']: o for o in map(json.loads, r.stdout.splitlines())}
    errors = {}
    for line in r.stderr.splitlines():
        if line.startswith('error: '):
            path = next(p for p in paths if line.startswith(f'error: {p}: '))
            errors[path] = line[len('error: '):]
    assert objects and errors, r.stderr
    seen, stems = {}, dict(zip(paths, prepared_names(paths)))
    for path, o in objects.items():
        stem = stems[path]
        files = [out / f'{stem}.png'] if len(o['digits']) == 1 else \
            [out / f'{stem}_{i}.png' for i in range(len(o['digits']))]
        seen[path] = [np.asarray(Image.open(f))[::10, ::10] for f in files]   # enlarged 10 times
    return objects, errors, seen


def decoded(data_url):
    assert data_url.startswith('data:image/png;base64,')
    import base64
    with Image.open(io.BytesIO(base64.b64decode(data_url.split(',', 1)[1]))) as img:
        return np.asarray(img)


def test_pictures_read_as_the_command_line_reads_them(server, command_line):
    objects, _, seen = command_line
    assert len(objects) >= 15
    for path, expected in objects.items():
        status, got = read(server[0], Path(path).read_bytes(), name=path)
        assert status == 200, (path, got)
        prepared = got.pop('prepared')
        assert got == expected, path
        assert len(prepared) == len(expected['digits'])
        for image, want in zip(prepared, seen[path]):
            assert np.array_equal(decoded(image), want), path
    assert read(server[0], (SAMPLES / '7.png').read_bytes())[1]['path'] == 'upload'


def test_bad_pictures_get_400_and_the_command_lines_message(server, bad_pictures, command_line):
    objects, errors, _ = command_line
    assert len(errors) == len(bad_pictures) - 2, 'GIF and TIFF read their first frame'
    for path, data in bad_pictures.items():
        status, got = read(server[0], data, name=path)
        if path in objects:
            assert status == 200 and got['result'] == objects[path]['result'], (path, got)
        else:
            assert status == 400, (path, got)
            assert one_line(got) == errors[path]


def test_size_limit(server):
    rng = np.random.default_rng(0)
    status, body, _ = request(server[0], 'POST', '/read', rng.bytes(serve.LIMIT))
    assert status == 400 and 'not an image' in one_line(body)     # read, up to the limit
    status, body, _ = request(server[0], 'POST', '/read',
                              headers={'Content-Length': str(serve.LIMIT + 1)}, length=False)
    assert status == 413, body
    one_line(body)


def fuzzed(i, rng):
    """Bytes that are not a good picture: truncated, random, empty, damaged (fuzzcases)."""
    import fuzzcases    # here: it imports imageprepare, not on the path of tests/test_browser.py run as a script
    good = (SAMPLES / f'{i % 10}.png').read_bytes()
    kind = i % 4
    if kind == 0:
        return good[:rng.randrange(1, len(good))]
    if kind == 1:
        return rng.randbytes(rng.randrange(1, 5000))
    if kind == 2:
        return b''
    return fuzzcases.make_case(rng.choice(['png', 'jpeg', 'gif', 'bmp']), i).data


def test_200_concurrent_requests_good_and_fuzzed(server, command_line):
    objects, _, _ = command_line
    good = [p for p in objects if Path(p).parent == SAMPLES]
    rng = random.Random(0)
    jobs = [(good[i % len(good)], Path(good[i % len(good)]).read_bytes()) if i % 2 else
            (None, fuzzed(i, rng)) for i in range(200)]

    def send(job):
        path, data = job
        return job, read(server[0], data, name=path)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, jobs, timeout=600))
    for (path, _), (status, got) in answers:
        assert status < 500, (path, got)
        if path is not None:
            assert status == 200, (path, got)
            got.pop('prepared')
            assert got == objects[path], path
        elif status != 200:
            one_line(got)
    assert sum(1 for (p, _), _ in answers if p is None) == 100
    assert request(server[0], 'GET', '/config')[0] == 200
    assert read(server[0], (SAMPLES / '7.png').read_bytes(), name=str(SAMPLES / '7.png'))[1]['result'] \
        == objects[str(SAMPLES / '7.png')]['result']
    log = server[2].read_text()
    assert 'Traceback' not in log and 'error:' not in log, log


def test_collected_drawings_are_measured_by_evaluate(server, command_line):
    objects, _, _ = command_line
    url, folder, _ = server
    for d in range(10):
        status, body, _ = request(url, 'POST', f'/collect?label={d}', (SAMPLES / f'{d}.png').read_bytes())
        assert status == 200, body
    rows = (folder / 'labels.csv').read_text().splitlines()
    assert rows[0] == 'filename,label' and len(rows) == 11
    right = sum(objects[str(SAMPLES / f'{d}.png')]['result'] == str(d) for d in range(10))
    r = subprocess.run([sys.executable, 'predict_2.py', '--evaluate', folder], cwd=ROOT,
                       capture_output=True, text=True, timeout=600, env=user_env())
    assert r.returncode == 0, r.stderr
    assert f'accuracy {right / 10:.4f} ({right}/10)' in r.stdout, r.stdout


# ------------------------------------------------------------------ the command line

def run_predict(*args, script='predict_2.py'):
    return subprocess.run([sys.executable, script, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=user_env())


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run_predict('--serve', '--port', port)
    assert r.returncode == 1, r.stderr
    assert r.stderr == f'error: cannot listen on 127.0.0.1:{port}: Address already in use\n'
    assert r.stdout == ''


@pytest.mark.parametrize('args, fragment', [
    (['--serve', 'samples/7.png'], 'give no IMAGE'),
    (['--port', '8000', 'samples/7.png'], 'go with --serve'),
    (['--collect', 'x', 'samples/7.png'], 'go with --serve'),
    (['--serve', '--port', '70000'], 'between 0 and 65535'),
    (['--serve', '--collect', 'README.md'], 'README.md is a file, not a folder'),
])
def test_bad_serve_options_are_usage_errors(args, fragment):
    r = run_predict(*args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[-1].startswith('predict_2.py: error: ') and fragment in r.stderr, r.stderr
    assert 'Traceback' not in r.stderr


def test_collect_where_no_folder_can_be_made(tmp_path):
    (tmp_path / 'afile').write_text('x')
    r = run_predict('--serve', '--port', '0', '--collect', tmp_path / 'afile' / 'sub')
    assert r.returncode == 1
    assert r.stderr.startswith('error: ') and 'cannot create this folder' in r.stderr
    assert r.stderr.count('\n') == 1, r.stderr


def test_ctrl_c_stops_the_server_with_one_line():
    """predict_1.py serves too; Ctrl-C ends it as it ends a prediction."""
    process, url = start_server(script='predict_1.py')
    try:
        status, got = read(url, (SAMPLES / '7.png').read_bytes())
        assert status == 200 and got['result'].isdigit()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        stop(process)
    assert process.returncode == 130, err
    lines = [line for line in err.splitlines() if line and not TF_NOISE.match(line)]
    assert lines == ['interrupted'], err
