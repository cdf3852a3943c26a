"""Mutation test: the suite must notice a 0.1% slip in any line of any backward pass.

Every assignment inside a `backward` method of a scratch component module (gradients and
the intermediates they are built from) is rewritten, one at a time, as `(rhs) * 1.001`.
The mutated module is loaded under its own name and each registry component from it
goes through the central-difference check; at least one must fail for each mutant.
"""

import ast
import types
import zlib
from pathlib import Path

import numpy as np
import pytest

from parity_tests.numpy_only.test_gradcheck import run_gradcheck
from parity_tests.registry import RECORDS
from scratch.gradcheck import GradientCheckError

SCRATCH = Path(__file__).resolve().parents[2] / "scratch"
STEMS = sorted({r.stem for r in RECORDS})


def is_cache_read(node):
    """`X = cache.X`: unpacks what forward saved; scaling it is a change to forward."""
    value = node.value
    return (isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name)
            and value.value.id == "cache")


def backward_assignments(tree):
    """Assign/AugAssign nodes with a single plain target inside any method `backward`,
    other than plain reads of the cache."""
    sites = []
    for cls in [n for n in tree.body if isinstance(n, ast.ClassDef)]:
        for method in cls.body:
            if isinstance(method, ast.FunctionDef) and method.name == "backward":
                for node in ast.walk(method):
                    if isinstance(node, ast.AugAssign) or (
                            isinstance(node, ast.Assign) and len(node.targets) == 1
                            and not isinstance(node.targets[0], ast.Tuple)
                            and not is_cache_read(node)):
                        sites.append((cls.name, node))
    return sites


def mutation_sites():
    sites = []
    for stem in STEMS:
        source = (SCRATCH / f"{stem}.py").read_text()
        for index, (cls, node) in enumerate(backward_assignments(ast.parse(source))):
            sites.append(pytest.param(stem, index, id=f"{stem}:{node.lineno}:{cls}"))
    return sites


def load_mutant(stem, index):
    path = SCRATCH / f"{stem}.py"
    tree = ast.parse(path.read_text())
    _, node = backward_assignments(tree)[index]
    node.value = ast.BinOp(left=node.value, op=ast.Mult(), right=ast.Constant(1.001))
    ast.fix_missing_locations(tree)
    module = types.ModuleType(f"mutant_{stem}_{index}")
    exec(compile(tree, str(path), "exec"), module.__dict__)
    return module, ast.unparse(node)


def test_there_are_sites_to_mutate():
    assert len(mutation_sites()) >= 20


@pytest.mark.parametrize("stem, index", mutation_sites())
def test_gradient_check_catches_a_one_per_mille_slip(stem, index, monkeypatch):
    module, mutated_line = load_mutant(stem, index)
    caught = []
    for record in [r for r in RECORDS if r.stem == stem]:
        # make record.build() return the mutant's class instead of the real one
        monkeypatch.setattr(type(record), "build", lambda self, module_root="scratch":
                            getattr(module, self.cls)(**self.kwargs))
        rng = np.random.default_rng(zlib.crc32(record.name.encode()))
        try:
            run_gradcheck(record, rng)
        except GradientCheckError:
            caught.append(record.name)
        monkeypatch.undo()
    assert caught, f"no gradient check noticed the mutation `{mutated_line}` in scratch/{stem}.py"
