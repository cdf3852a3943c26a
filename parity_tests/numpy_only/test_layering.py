"""The layering, read from the source: scratch/ never imports reference/ or a framework,
by statement or by an `import_module` / `__import__` string, and imports tqdm and
matplotlib only lazily (inside a function); a twin never imports scratch/ or the other
framework. Files are parsed with `ast`, not imported, so a leak in a branch that no
test runs is found too, and named by file and line.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {"torch", "jax", "jaxlib", "optax", "scipy", "sklearn"}
LAZY_ONLY = {"tqdm", "matplotlib"}  # allowed in scratch/ inside a function only
DYNAMIC_IMPORTERS = {"import_module", "__import__"}

# Run by hand once to make the shipped .npz files; it sits in a folder that is not a
# package, so nothing can import it. It is the one scratch file that needs sklearn.
EXEMPT = {"scratch/data/shipped/export_sklearn.py"}


def _python_files(folder, root=ROOT):
    return sorted(p for p in (root / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _dynamic_target(call):
    """The literal start of the module name an import_module/__import__ call imports:
    the whole string for a constant, the text before the first {} for an f-string,
    None when the name is computed (then nobody can tell what it imports)."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in DYNAMIC_IMPORTERS or not call.args:
        return False
    arg = call.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
        return arg.values[0].value
    return None


def imports_of(path):
    """[(line, module name or None, inside a function?, how)] for every import in a file:
    `import a.b`, `from a.b import c`, and import_module("a.b") / __import__("a.b")."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            if isinstance(child, ast.Import):
                found.extend(
                    (child.lineno, alias.name, in_function, "import") for alias in child.names
                )
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                found.append((child.lineno, child.module, in_function, "from"))
            elif isinstance(child, ast.Call):
                target = _dynamic_target(child)
                if target is not False:
                    found.append((child.lineno, target, in_function, "import_module"))
            visit(child, inner)

    visit(tree, False)
    return found


def _top(name):
    return name.split(".")[0]


def scratch_violations(root=ROOT):
    problems = []
    for path in _python_files("scratch", root):
        where = path.relative_to(root).as_posix()
        if where in EXEMPT:
            continue
        for line, name, in_function, how in imports_of(path):
            if name is None:
                problems.append(
                    f"{where}:{line}: {how} of a computed module name "
                    "(scratch/ must say what it imports)"
                )
            elif how == "import_module" and (
                name.startswith("reference") or _top(name) in FRAMEWORKS
            ):
                problems.append(f"{where}:{line}: import_module string {name!r}")
            elif _top(name) == "reference" or _top(name) in FRAMEWORKS:
                problems.append(f"{where}:{line}: imports {name}")
            elif _top(name) in LAZY_ONLY and not in_function:
                problems.append(
                    f"{where}:{line}: imports {name} at module level "
                    "(allowed only inside the function that uses it)"
                )
    return problems


def twin_violations(backend):
    other = {"torch": {"jax", "jaxlib", "optax"}, "jax": {"torch"}}[backend]
    forbidden_roots = {f"reference.{o}" for o in ("torch", "jax") if o != backend}
    problems = []
    for path in _python_files(f"reference/{backend}"):
        where = path.relative_to(ROOT).as_posix()
        for line, name, _, how in imports_of(path):
            if name is None:
                problems.append(f"{where}:{line}: {how} of a computed module name")
            elif (
                _top(name) == "scratch"
                or _top(name) in other
                or any(name == root or name.startswith(root + ".") for root in forbidden_roots)
            ):
                problems.append(f"{where}:{line}: imports {name}")
    return problems


def test_scratch_imports_neither_reference_nor_a_framework():
    assert _python_files("scratch"), "no scratch files found: the test would pass vacuously"
    problems = scratch_violations()
    assert not problems, "scratch/ must stand on NumPy alone:\n" + "\n".join(problems)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_twins_import_neither_scratch_nor_the_other_framework(backend):
    assert _python_files(f"reference/{backend}")
    problems = twin_violations(backend)
    assert not problems, f"reference/{backend} must stand on {backend} alone:\n" + "\n".join(
        problems
    )


def test_exempt_files_cannot_be_imported():
    # an exemption must never hide a module that the package (or a test) can import
    for where in EXEMPT:
        assert not (ROOT / where).parent.joinpath("__init__.py").exists(), where


SOURCES = {
    "statement": ("import torch\n", "imports torch"),
    "from": ("from reference.torch import _autodiff\n", "imports reference.torch"),
    "string": (
        "from importlib import import_module\n"
        "def f(b):\n    return import_module(f'reference.{b}._autodiff')\n",
        "import_module string 'reference.'",
    ),
    "dunder": ("def f():\n    return __import__('jax')\n", "import_module string 'jax'"),
    "computed": (
        "import importlib\ndef f(name):\n    return importlib.import_module(name)\n",
        "computed module name",
    ),
    "eager_tqdm": ("from tqdm import tqdm\n", "tqdm at module level"),
}


@pytest.mark.parametrize("case", SOURCES, ids=list(SOURCES))
def test_the_reader_catches_each_kind_of_leak(case, tmp_path):
    # the guard itself must be able to fail: plant one leak in a fake scratch/ tree
    source, message = SOURCES[case]
    (tmp_path / "scratch" / "nn").mkdir(parents=True)
    (tmp_path / "scratch" / "nn" / "leaky.py").write_text("import numpy as np\n\n" + source)
    (tmp_path / "scratch" / "ok.py").write_text("def plot():\n    import matplotlib\n")
    problems = scratch_violations(root=tmp_path)
    assert len(problems) == 1 and problems[0].startswith("scratch/nn/leaky.py:"), problems
    assert message in problems[0], problems
