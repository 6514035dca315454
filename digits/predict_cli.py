"""The command line of predict_1.py and predict_2.py: read pictures, print what they say.

Pictures are prepared first (no TensorFlow needed; with many, by worker
processes while TensorFlow loads), then the model is loaded once and the
digits are read in batches (digits.reading).
"""
import argparse
import functools
import os
import sys

from . import cli, evaluate
from .inputs import expand_inputs
from .output import as_json, describe, prepared_names, save_prepared
from .preparing import prepare, prepare_in_background, start_workers, stop_workers
from .reading import Reader


def main(model_number, argv=None):
    """Read the pictures named in argv with model `model_number`, print, and exit."""
    cli.run(read_and_print, model_number, argv)


def parse_args(model_number, argv=None):
    """The options of predict_N.py (see --help)."""
    p = argparse.ArgumentParser(
        description=f'Print the digit (or number) written in each picture, read by model {model_number}.',
        epilog='Exit status: 0 all read, 1 some input could not be read, 2 bad usage, '
               '130 stopped by Ctrl-C, 141 output closed early (| head).')
    p.add_argument('inputs', nargs='*', metavar='IMAGE',
                   help='image files, folders (read recursively) or glob patterns')
    p.add_argument('--model', default=cli.default_model(model_number),
                   help='model folder or checkpoint prefix (default: %(default)s)')
    p.add_argument('--number-model', metavar='MODEL', action='append',
                   help='the number reader: folder or checkpoint prefix; given again, another '
                        'run of it, read where the first is unsure. Replaces the default, second '
                        'opinions included (default: models/numbers and models/numbers-seed1, -seed2 '
                        'with model 2, none with model 1; not loaded with --single)')
    p.add_argument('--date-model', metavar='MODEL',
                   help='the date reader, which reads again a row that may be a date written with '
                        "'/' (default: models/dates with a number reader)")
    p.add_argument('--no-date-model', dest='date_model', action='store_false',
                   help='read without the date reader')
    p.add_argument('--single', action='store_true',
                   help='read each picture as one digit, never as a number')
    p.add_argument('--separators', action='store_true',
                   help="keep the separators written between a number's digits: '.', ',', '-', and "
                        "the '/' of a date the date reader reads (default: digits only; not with "
                        "--serve, --evaluate, or --top-k without --json)")
    p.add_argument('--json', action='store_true', help='one JSON object per line')
    p.add_argument('--top-k', type=int, metavar='K', help='show the K most likely digits')
    p.add_argument('--min-confidence', type=float, metavar='P',
                   help='print ? for a digit read with less confidence than P')
    p.add_argument('--save-prepared', metavar='DIR',
                   help='write each 28x28 as the network sees it (enlarged) into DIR')
    p.add_argument('--evaluate', metavar='DIR',
                   help='measure accuracy on a labelled folder (labels.csv, digit folders or '
                        'file names starting with the digit)')
    p.add_argument('--report', metavar='PNG', type=report_name,
                   help='with --evaluate: draw the misses into PNG (its folder is created)')
    p.add_argument('--serve', action='store_true',
                   help='serve a page to draw on, and its HTTP API, until Ctrl-C (see README)')
    p.add_argument('--host', help='with --serve: the address to listen on (default: 127.0.0.1, '
                   'this machine only)')
    p.add_argument('--port', type=int, help='with --serve: the port (default: 8000; 0: any free one)')
    p.add_argument('--collect', metavar='DIR',
                   help='with --serve: save labelled drawings into DIR (PNGs and labels.csv, for --evaluate)')
    args = p.parse_args(argv)
    if args.serve:
        if args.inputs or args.evaluate:
            p.error('--serve reads the pictures sent to it: give no IMAGE or --evaluate')
        args.host, args.port = args.host or '127.0.0.1', 8000 if args.port is None else args.port
        if not 0 <= args.port <= 65535:
            p.error('--port must be between 0 and 65535')
        if args.collect and os.path.exists(args.collect) and not os.path.isdir(args.collect):
            p.error(f'--collect: {args.collect} is a file, not a folder')
    elif args.host or args.port is not None or args.collect:
        p.error('--host, --port and --collect go with --serve')
    if not args.inputs and not args.evaluate and not args.serve:
        p.error('give at least one image (or --evaluate DIR)')
    if args.top_k is not None and not 1 <= args.top_k <= 10:
        p.error('--top-k must be between 1 and 10')
    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        p.error('--min-confidence must be between 0 and 1')
    if args.report and not args.evaluate:
        p.error('--report goes with --evaluate')
    for ignoring, option in ((args.top_k is not None and not args.json, "--top-k, which prints each digit's choices"),
                             (args.serve, '--serve, which answers digits only'),
                             (args.evaluate, '--evaluate, whose labels are digits only')):
        if args.separators and ignoring:
            p.error(f'--separators prints the number as written: not with {option}')
    if args.save_prepared and os.path.exists(args.save_prepared) and not os.path.isdir(args.save_prepared):
        p.error(f'--save-prepared: {args.save_prepared} is a file, not a folder')
    args.model_number = model_number
    return args


def report_name(path):
    """--report's type: a picture file name (see cli.picture_to_write)."""
    try:
        return cli.picture_to_write(path)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def open_reader(model_number, args):
    """The Reader that predict_N.py's options ask for: no number reader
    with --single, which reads one digit a picture. Failure if it cannot load."""
    try:
        return Reader(model_number, args.model, False if args.single else args.number_model, args.date_model)
    except Exception as e:   # CheckpointError, or TensorFlow failing to start
        raise cli.Failure(e) from None


def read_pictures(model_number, args, paths, pool):
    """Per path, its Reading (digits.reading), or an error message."""
    if pool is None:
        prepared = prepare(paths, args.single, args.separators)
        if not any(isinstance(p, list) for p in prepared):
            return prepared                  # nothing to read: no need to start TensorFlow
    else:
        prepared = prepare_in_background(pool, paths, args.single, args.separators)
    reader = open_reader(model_number, args)
    if not (reader.tells_touching or args.single):
        print(f'note: {reader.prefix} was saved before models learnt to tell touching '
              f'digits apart, so they are read as one; train it again with '
              f'python create_model_{model_number}.py', file=sys.stderr)
    # One piece to cut at a time: a few pieces, one of them maybe much slower to cut.
    return reader.read_prepared(prepared, map if pool is None else functools.partial(pool.map, chunksize=1))


def read_and_print(model_number, argv):
    """Parse argv, read every picture (or --evaluate a folder), print; the exit status."""
    args = parse_args(model_number, argv)
    if args.serve:
        from . import serve     # http.server is imported only for the page
        return serve.main(args)
    if args.evaluate:
        return evaluate.main(args, lambda: open_reader(model_number, args))
    paths, errors = expand_inputs(args.inputs)
    for e in errors:
        print(f'error: {e}', file=sys.stderr)
    pool = start_workers(len(paths))
    try:
        results = read_pictures(model_number, args, paths, pool)
    finally:
        if pool is not None:
            stop_workers(pool)
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
            print(as_json(path, digits, args.min_confidence, args.separators))
        else:
            text = describe(digits, args.top_k, args.min_confidence, args.separators)
            print(text if alone else f'{path}\t{text}')
    return cli.EXIT_FAILED if failed else 0
