"""The package's layout: what imports TensorFlow, no import cycles, and no
test or benchmark reaching into the import path by hand."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.quick

PACKAGE = Path(ROOT) / 'digits'

# Reading pictures, preparing them and printing what was read must not
# wait for TensorFlow's import (seconds): only the model and training need it.
WITHOUT_TENSORFLOW = ['digits.decode', 'digits.masks', 'digits.clean', 'digits.ink', 'digits.normalise',
                      'digits.picture', 'digits.pieces', 'digits.preparing', 'digits.reading',
                      'digits.inputs', 'digits.output', 'digits.augment', 'digits.data',
                      'digits.lines', 'digits.ctc', 'digits.number_synth']


def tensorflow_modules_after_importing(modules):
    """The tensorflow modules in sys.modules of a fresh Python once it has imported `modules`."""
    code = ('import sys\n' + ''.join(f'import {m}\n' for m in modules)
            + "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] == 'tensorflow')))")
    result = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_reading_and_preparing_do_not_import_tensorflow():
    if tensorflow_modules_after_importing(WITHOUT_TENSORFLOW):
        culprits = [m for m in WITHOUT_TENSORFLOW if tensorflow_modules_after_importing([m])]
        pytest.fail(f'importing {", ".join(culprits)} imports tensorflow')


def imported_modules(path, modules):
    """The modules of the package (names in `modules`) that the file at `path`
    imports, at module level or in a function: {name: first line}."""
    found = {}

    def add(name, node):
        if name in modules:
            found.setdefault(name, node.lineno)
        elif name:
            add(name.rpartition('.')[0], node)    # digits.reading.Reader -> digits.reading

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node)
        elif isinstance(node, ast.ImportFrom):
            if node.level:      # relative: from . import x, from .x import y
                base = '.'.join(['digits'] + ([node.module] if node.module else []))
            else:
                base = node.module or ''
            for alias in node.names:
                add(f'{base}.{alias.name}', node)    # the submodule if it is one, else base
    return found


def test_the_package_has_no_import_cycles():
    files = {('digits' if p.stem == '__init__' else f'digits.{p.stem}'): p for p in PACKAGE.glob('*.py')}
    assert len(files) > 1, f'no modules found in {PACKAGE}'
    graph = {name: imported_modules(path, files) for name, path in files.items()}
    for name in graph:
        graph[name].pop(name, None)     # `from digits.x import y` inside digits/x.py is no cycle

    state = {}      # name: 'open' while its imports are explored, then 'done'

    def cycle_from(name, path):
        state[name] = 'open'
        for other in graph[name]:
            if state.get(other) == 'open':
                return path[path.index(other):] + [other]
            if other not in state:
                found = cycle_from(other, path + [other])
                if found:
                    return found
        state[name] = 'done'
        return None

    for name in sorted(graph):
        if name not in state:
            cycle = cycle_from(name, [name])
            if cycle:
                steps = [f'{a} imports {b} (digits/{files[a].name}:{graph[a][b]})'
                         for a, b in zip(cycle, cycle[1:])]
                pytest.fail('import cycle: ' + ' -> '.join(cycle) + '\n  ' + '\n  '.join(steps))


def is_sys_path(node):
    """sys.path, or an item or slice of it."""
    if isinstance(node, ast.Subscript):
        node = node.value
    return (isinstance(node, ast.Attribute) and node.attr == 'path'
            and isinstance(node.value, ast.Name) and node.value.id == 'sys')


def sys_path_edits(path):
    """(line, what) for each place the file changes the import path."""
    edits = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and is_sys_path(node.func.value)):
            edits.append((node.lineno, f'sys.path.{node.func.attr}(...)'))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            if any(is_sys_path(t) for t in targets):
                edits.append((node.lineno, 'an assignment to sys.path'))
        elif isinstance(node, ast.ImportFrom) and node.module == 'sys' and any(
                a.name == 'path' for a in node.names):
            edits.append((node.lineno, 'from sys import path'))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == 'addsitedir'):
            edits.append((node.lineno, 'site.addsitedir(...)'))
    return edits


def test_no_test_or_benchmark_edits_the_import_path():
    """pyproject.toml puts the repository root and tests/ on the tests' path;
    a benchmark imports the installed package and its neighbours in bench/."""
    files = sorted(p for folder in ('tests', 'bench') for p in (Path(ROOT) / folder).rglob('*.py'))
    assert any(p.name == 'conftest.py' for p in files) and any(p.parent.name == 'bench' for p in files)
    edits = [f'{p.relative_to(ROOT)}:{line}: {what}' for p in files for line, what in sys_path_edits(p)]
    assert not edits, 'the import path is edited in:\n' + '\n'.join(edits)
