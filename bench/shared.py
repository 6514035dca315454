"""The files the benchmarks share with the tests and the top-level scripts.

A benchmark runs as `python bench/NAME.py` from the repository root, so it
imports the installed package `digits` and its neighbours here in bench/,
but neither tests/ nor the top of the repository: they are not on the import
path, and no benchmark edits sys.path. The few files a benchmark shares
with them (tests/synth.py, tests/fuzzcases.py, tests/make_samples.py,
imageprepare.py, create_model_2.py) are loaded from their paths by `from_repo`.
"""
import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def from_repo(path):
    """The module in `path` (relative to the repository root), loaded once and
    under its file's name, as `import NAME` gives it to the tests: a module
    loaded here first is what a later `import NAME` in another one finds."""
    name = os.path.splitext(os.path.basename(path))[0]
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, path))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]
