"""How many pictures a second predict_2.py --serve reads, and how long each waits.

    python bench/serve_load.py [--requests 2000] [--threads 16] [--script predict_2.py]

Starts the real server (`SCRIPT --serve --port 0`, the shipped model) on a
free loopback port, warms it up with one request, then sends --requests
POST /read requests of the project's samples (samples/*, in turn) from
--threads threads, one connection each. Prints requests/s over the whole
run and the latency's median and 95th percentile, with the load average
(the machine may be busy). Exit status 1 if the server fails to start or
any answer is not what that sample reads when sent alone.
"""
import argparse
import concurrent.futures
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from shared import ROOT

SAMPLES = sorted(p for p in (Path(ROOT) / 'samples').iterdir() if p.suffix in ('.png', '.jpg'))


def start(script):
    """(process, host, port) of the server, once it says where it listens."""
    process = subprocess.Popen([sys.executable, script, '--serve', '--port', '0'], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    found = re.search(r'http://([\d.]+):(\d+)/', process.stdout.readline())
    if not found:
        process.kill()
        sys.exit(f'{script} --serve did not start')
    return process, found.group(1), int(found.group(2))


def read(host, port, data):
    """(seconds, status, result) of one POST /read."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=120)
    try:
        conn.request('POST', '/read', body=data)
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    result = json.loads(body)['result'] if r.status == 200 else body.decode().strip()
    return time.perf_counter() - start, r.status, result


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--requests', type=int, default=2000)
    p.add_argument('--threads', type=int, default=16)
    p.add_argument('--script', default='predict_2.py')
    args = p.parse_args()
    pictures = [s.read_bytes() for s in SAMPLES]
    process, host, port = start(args.script)
    try:
        alone = [read(host, port, data)[2] for data in pictures]     # also the warm-up
        jobs = [i % len(pictures) for i in range(args.requests)]
        begin = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
            answers = list(pool.map(lambda i: (i, *read(host, port, pictures[i])), jobs))
        seconds = time.perf_counter() - begin
    finally:
        process.terminate()
        process.wait(30)
    wrong = [(SAMPLES[i].name, status, result) for i, _, status, result in answers
             if status != 200 or result != alone[i]]
    latencies = sorted(t for _, t, _, _ in answers)
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
    print(f'{args.requests} requests of {len(pictures)} samples from {args.threads} threads, '
          f'{args.script} --serve on loopback, {os.cpu_count()} cores, load average '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    print(f'{args.requests / seconds:.1f} requests/s ({seconds:.1f} s); latency p50 '
          f'{1000 * statistics.median(latencies):.0f} ms, p95 {1000 * p95:.0f} ms; '
          f'{len(wrong)} answers not as when sent alone')
    for name, status, result in wrong[:10]:
        print(f'  {name}: {status} {result}')
    return 1 if wrong else 0


if __name__ == '__main__':
    sys.exit(main())
