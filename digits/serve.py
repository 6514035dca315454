"""predict_N.py --serve: a page to draw on, and the HTTP API it uses.

    POST /read[?name=N&single=1]  the picture's bytes -> --json's object, plus
                                  the 28x28s the network saw as PNG data URLs
    POST /collect?label=D         (with --collect DIR) the picture saved in DIR
                                  as a PNG and appended to DIR/labels.csv
    GET  /config                  what the page may show ({"collect": bool})
    GET  / and the page's files   from digits/web/ only

Python's standard library server, one thread per request; the model is
loaded once and read by one request at a time (a lock), while pictures are
prepared in parallel. Every error is one plain line; a stack trace never
leaves the process (one line on stderr instead, and a 500).
"""
import base64
import io
import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np
from PIL import Image

from . import cli
from .decode import ImageError, load_image, short
from .output import as_json
from .preparing import prepare_one

GRACE = 2   # seconds the requests being answered get to end on Ctrl-C
LIMIT = 10 * 1024 * 1024   # bytes: the largest picture taken (a phone's photo is 2-6 MB)
WEB = Path(__file__).resolve().with_name('web')
TYPES = {'.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
         '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml',
         '.ico': 'image/x-icon'}
PNG = b'\x89PNG\r\n\x1a\n'


class Refused(Exception):
    """A request answered with `status` and one line, `message`."""

    def __init__(self, status, message, allow=None):
        super().__init__(message)
        self.status, self.allow = status, allow


class Upload(io.BytesIO):
    """A picture's bytes that name themselves in digits.decode's messages
    ('drawing.png: not an image file Pillow can read'), as a path would."""

    def __init__(self, data, name):
        super().__init__(data)
        self.label = name

    def __str__(self):
        return self.label


def main(args):
    """Serve until Ctrl-C (cli.run then prints `interrupted`, exit 130)."""
    if args.collect:
        cli.writable_folder(args.collect)
    server = make_server(None, args.host, args.port, args.collect)   # port taken: said before loading
    try:
        from .reading import Reader
        try:
            server.reader = Reader(args.model_number, args.model, args.number_model, args.date_model)
        except Exception as e:   # CheckpointError, or TensorFlow failing to start
            raise cli.Failure(e) from None
        print(f'serving model {args.model_number} on {address(server)} (Ctrl-C to stop)', flush=True)
        server.serve_forever()
    finally:
        server.server_close()
        finish_requests(GRACE)


def finish_requests(seconds):
    """Give the requests still being answered (daemon threads) up to
    `seconds` to end before the process exits: a thread stopped by the
    interpreter's exit halfway through TensorFlow's code can abort the
    process instead of exiting with the status cli.run gives."""
    end = time.monotonic() + seconds
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon:
            thread.join(max(0, end - time.monotonic()))


def make_server(reader, host='127.0.0.1', port=0, collect=None):
    """A bound server reading with `reader` (a digits.Reader, or anything with
    its read_prepared), saving into the folder `collect` if given.
    cli.Failure when the address cannot be listened on."""
    class Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ':' in host else socket.AF_INET
        daemon_threads = True
        request_queue_size = 64   # connections waiting to be taken (5 by default)

    try:
        server = Server((host, port), Handler)
    except (OSError, OverflowError) as e:
        raise cli.Failure(f'cannot listen on {host}:{port}: {getattr(e, "strerror", None) or e}') from None
    server.reader, server.collect = reader, collect
    server.reading, server.saving = threading.Lock(), threading.Lock()
    return server


def address(server):
    """The page's URL, e.g. http://127.0.0.1:8000/."""
    host, port = server.server_address[:2]
    return f'http://[{host}]:{port}/' if ':' in host else f'http://{host}:{port}/'


class Handler(BaseHTTPRequestHandler):
    """One request: routed by path, every failure turned into one line."""
    timeout = 60   # seconds a silent client may hold its thread
    server_version = 'digits'

    def do_GET(self):
        self.answer()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = do_GET

    def answer(self):
        """Route the request; Refused is its one-line answer; anything else
        one line on stderr and a 500 that says nothing of the code."""
        try:
            self.route(*urlsplit(self.path)[2:4])
        except Refused as e:
            self.reply(e.status, f'{e}\n', 'text/plain; charset=utf-8', allow=e.allow)
        except ConnectionError:
            self.close_connection = True   # the client went away
        except TimeoutError:
            self.send_error(408, f'nothing received for {self.timeout} s')
        except Exception as e:
            print(f'error: {self.command} {self.path[:200]!r}: {type(e).__name__}: {short(e)}',
                  file=sys.stderr, flush=True)
            try:
                self.reply(500, 'the server failed to answer this request\n', 'text/plain; charset=utf-8')
            except OSError:
                pass

    def route(self, path, query):
        """Send what `path` asks for; Refused otherwise."""
        query = {k: v[-1] for k, v in parse_qs(query).items()}
        if path == '/read':
            self.only('POST')
            self.reply_json(read_picture(self.server, self.body(), picture_name(query.get('name')),
                                         query.get('single') in ('1', 'true')))
        elif path == '/collect' and self.server.collect:
            self.only('POST')
            self.reply_json(collect(self.server, self.body(), query.get('label', '')))
        elif path == '/config':
            self.only('GET')
            self.reply_json({'collect': bool(self.server.collect), 'limit': LIMIT})
        else:
            file = static_file(WEB, path)
            if file is None:
                raise Refused(404, f'not found: {path[:200]}')
            self.only('GET')
            self.reply(200, file.read_bytes(), TYPES[file.suffix])

    def only(self, method):
        """Refuse (405) any method but `method`."""
        if self.command != method:
            raise Refused(405, f'{self.command} is not allowed here; use {method}', allow=method)

    def body(self):
        """The request's bytes, refused before reading when too long, of no
        declared length (411) or from another site's page (403)."""
        origin = self.headers.get('Origin')
        if origin and urlsplit(origin).netloc != self.headers.get('Host'):
            raise Refused(403, 'requests from other sites\' pages are refused')
        length = self.headers.get('Content-Length')
        if length is None or self.headers.get('Transfer-Encoding'):
            raise Refused(411, 'send the picture with a Content-Length')
        if not length.isdigit():
            raise Refused(400, f'bad Content-Length: {length[:40]}')
        if int(length) > LIMIT:
            self.close_connection = True   # the body is left unread
            raise Refused(413, f'picture too large: {int(length):,} bytes, the limit is {LIMIT:,}')
        data = self.rfile.read(int(length))
        if len(data) < int(length):
            raise Refused(400, f'the body ended after {len(data)} of {length} bytes')
        return data

    def reply_json(self, value):
        self.reply(200, json.dumps(value).encode(), 'application/json')

    def reply(self, status, body, content_type, allow=None):
        """Send the whole answer: status, headers, body (bytes or str)."""
        body = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Cache-Control', 'no-store')
        self.send_header('X-Content-Type-Options', 'nosniff')
        self.send_header('Content-Security-Policy',
                         "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'")
        if allow:
            self.send_header('Allow', allow)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def send_error(self, code, message=None, explain=None):
        """http.server's own refusals (a bad request line, an unknown
        method) as one plain line too, not its HTML page."""
        self.close_connection = True
        try:
            self.reply(code, f'{message or self.responses.get(code, ("error",))[0]}\n',
                       'text/plain; charset=utf-8')
        except OSError:
            pass

    def log_message(self, format, *args):
        """Quiet: a page reading as you draw would fill the terminal."""


def static_file(folder, url_path):
    """The file of `folder` that `url_path` (still %-encoded) names, or None:
    never one outside it (.., %2e%2e, absolute paths, backslashes, links out),
    nor of a type not in TYPES."""
    path = unquote(url_path)
    if '\\' in path or '\0' in path:
        return None
    relative = path.lstrip('/') or 'index.html'
    root = Path(folder).resolve()
    try:
        file = (root / relative).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if not file.is_relative_to(root) or file.suffix not in TYPES or not file.is_file():
        return None
    return file


def picture_name(name):
    """The name a picture's messages and JSON give it: the client's, made one
    short printable line, else 'upload'."""
    name = ''.join(c for c in (name or '') if c.isprintable())[:200]
    return name or 'upload'


def read_picture(server, data, name, single=False):
    """--json's object for the picture in `data`, with 'prepared': the
    28x28s the network saw, as PNG data URLs; Refused (400) with the CLI's
    one-line message when it cannot be read or shows no digit."""
    try:
        prepared = prepare_one(load_image(Upload(data, name)), single)   # in parallel with other requests
    except ImageError as e:
        raise Refused(400, str(e)) from None
    with server.reading:       # one model, one request at a time
        reading = server.reader.read_prepared([prepared])[0]
    if isinstance(reading, str):
        raise Refused(400, reading if reading.startswith(f'{name}: ') else f'{name}: {reading}')
    result = json.loads(as_json(name, reading))
    result['prepared'] = [png_data_url(image) for image, _ in reading]
    return result


def png_data_url(image):
    """A 28x28 (0..1, ink high) as a data: URL of a grey PNG, as --save-prepared draws it."""
    out = io.BytesIO()
    Image.fromarray((image * 255).astype(np.uint8)).save(out, 'PNG')
    return 'data:image/png;base64,' + base64.b64encode(out.getvalue()).decode()


def collect(server, data, label):
    """Save the picture in `data` into the collect folder as a PNG named after
    its label (D_NNNN.png) and add it to labels.csv, so that --evaluate
    measures on it later; Refused (400) for a bad label or picture."""
    if len(label) != 1 or label not in '0123456789':
        raise Refused(400, f'label: give one digit 0-9, not {label[:20]!r}')
    try:
        image = load_image(Upload(data, 'the picture'))
    except ImageError as e:
        raise Refused(400, str(e)) from None
    folder = server.collect
    with server.saving:
        name, file = new_file(folder, label)
        with file:
            if data.startswith(PNG):
                file.write(data)
            else:
                image.save(file, 'PNG')
        add_label(os.path.join(folder, 'labels.csv'), name, label)
    return {'saved': name, 'label': int(label)}


def new_file(folder, label):
    """(name, file opened for writing) of the first D_NNNN.png not yet in `folder`."""
    n = len(os.listdir(folder))
    while True:
        name = f'{label}_{n:04d}.png'
        try:
            return name, open(os.path.join(folder, name), 'xb')
        except FileExistsError:
            n += 1


def add_label(table, name, label):
    """Append `name,label` to the labels.csv `table`, with its header if new."""
    new = not os.path.exists(table) or os.path.getsize(table) == 0
    with open(table, 'a+b') as f:
        if new:
            f.write(b'filename,label\n')
        else:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b'\n':
                f.write(b'\n')      # a file saved without its last line's end
        f.write(f'{name},{label}\n'.encode())
