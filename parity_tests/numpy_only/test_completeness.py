"""Every scratch component has a twin file and class on both backends, every twin has a
scratch original, and every component has a registry record.

Twin files are read with `ast`, not imported, so this runs without torch or jax and a
missing or broken twin is named by its path rather than by an ImportError.
"""

import ast
import inspect
import pkgutil
from importlib import import_module
from pathlib import Path

import pytest

import scratch
from parity_tests.optimizer_registry import OPTIMIZER_RECORDS, SCHEDULE_RECORDS
from parity_tests.registry import LEARNER_RECORDS, RECORDS
from scratch.optim.optimizers import Optimizer
from scratch.optim.schedules import Schedule
from scratch.protocol import Layer, Learner, Loss

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["torch", "jax"]
COMPONENT_BASES = (Layer, Loss, Optimizer, Schedule, Learner)


def scratch_components():
    """{stem: [class names]} for every scratch module, in any sub-package, that defines a
    component; the stem is the dotted path below scratch/ ("nn.linear")."""
    found = {}
    for info in pkgutil.walk_packages(scratch.__path__, prefix="scratch."):
        module = import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                obj.__module__ == module.__name__
                and issubclass(obj, COMPONENT_BASES)
                and obj not in COMPONENT_BASES
                and not name.startswith("_")
            ):
                found.setdefault(info.name.removeprefix("scratch."), []).append(name)
    return found


def stem_path(stem):
    """nn/linear.py for the stem "nn.linear"."""
    return stem.replace(".", "/") + ".py"


def classes_in_file(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
    }


def test_scratch_has_components():
    # guards the tests below against passing vacuously on an empty discovery
    assert sum(len(v) for v in scratch_components().values()) >= 19


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_scratch_component_has_a_twin(backend):
    problems = []
    for stem, classes in sorted(scratch_components().items()):
        path = ROOT / "reference" / backend / stem_path(stem)
        if not path.exists():
            problems.append(
                f"missing twin file reference/{backend}/{stem_path(stem)} "
                f"for scratch/{stem_path(stem)} ({', '.join(classes)})"
            )
            continue
        missing = sorted(set(classes) - classes_in_file(path))
        if missing:
            problems.append(f"reference/{backend}/{stem_path(stem)} lacks twin class(es) {missing}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_twin_has_a_scratch_original(backend):
    components = scratch_components()
    problems = []
    twins = ROOT / "reference" / backend
    for path in sorted(twins.rglob("*.py")):
        if path.name.startswith("_"):
            continue  # helpers such as _autodiff.py and package __init__ files are not twins
        relative = path.relative_to(twins).with_suffix("").as_posix()
        stem = relative.replace("/", ".")
        if stem not in components:
            problems.append(
                f"reference/{backend}/{relative}.py has no scratch original "
                f"scratch/{relative}.py with a component in it"
            )
            continue
        extra = sorted(classes_in_file(path) - set(components[stem]))
        if extra:
            problems.append(
                f"reference/{backend}/{relative}.py defines {extra}, "
                f"which scratch/{relative}.py does not"
            )
    assert not problems, "\n".join(problems)


def recorded_components():
    return (
        {(r.stem, r.cls) for r in RECORDS}
        | {("optim.optimizers", r.cls) for r in OPTIMIZER_RECORDS}
        | {("optim.schedules", s.cls) for s in SCHEDULE_RECORDS}
        | set(LEARNER_RECORDS)
    )


def test_every_component_has_a_registry_record():
    recorded = recorded_components()
    missing = [
        f"scratch/{stem_path(stem)}:{cls}"
        for stem, classes in scratch_components().items()
        for cls in classes
        if (stem, cls) not in recorded
    ]
    assert not missing, f"components with no record in parity_tests/registry.py: {missing}"


def test_every_record_names_a_real_component():
    components = scratch_components()
    wrong = [
        f"{stem}:{cls}"
        for stem, cls in recorded_components()
        if cls not in components.get(stem, [])
    ]
    assert not wrong, f"registry records naming no scratch component: {wrong}"
