"""Check a layer of your own: `python -m reference check MODULE:Class [--torch MODULE:Class]
[--jax MODULE:Class] [--kwargs JSON] [--shape N,D] [--dtype float64|float32] [--seed S]`.

Your layer follows scratch's protocol (scratch.protocol.Layer): `init(rng) -> params`,
`forward(params, X) -> (Y, cache)`, `backward(cache, dY) -> (dX, grads)`. It is checked

  1. by central differences (scratch.tools.gradcheck, always in float64): dX and the
     gradient of every parameter, for a random upstream gradient dY;
  2. against each twin given (same constructor arguments, `forward(params, X) -> Y` on
     the framework's tensors): Y, dX and every parameter gradient, the twin's gradients
     coming from autograd (reference/<backend>/_autodiff.py), under the tolerance table of
     reference/backends.py that the project's own parity tests use.

One row per tensor (max abs error, max rel error, the tolerance, the index of the worst
entry, PASS/FAIL). Exit status 0 when every row passes, 1 when one fails, 2 for a mistake
in the command (a module that does not import, a missing class, bad --kwargs or --shape),
which is printed as one line. MODULE is a dotted module name importable from the current
folder, or a path to a .py file.

    from reference.check import check_layer_against, format_report
    report = check_layer_against(MyLayer(3, 2), torch_twin=MyTorchLayer(3, 2), shape=(4, 3))
    print(format_report(report)); assert report.passed
"""

import argparse
import importlib.util
import json
import sys
from importlib import import_module
from pathlib import Path
from typing import NamedTuple

import numpy as np

from reference.backends import DTYPES, TWIN_BACKENDS, autodiff, compare_arrays
from scratch.tools.gradcheck import TOLERANCE as CENTRAL_DIFFERENCE_TOLERANCE
from scratch.tools.gradcheck import measure_layer


class CheckError(ValueError):
    """A mistake in what was asked for (not a failed check): printed as one line, exit 2."""


class Row(NamedTuple):
    against: str  # "central differences", "torch" or "jax"
    tensor: str  # "Y", "dX", "dW", ...
    max_abs: float
    max_rel: float
    tolerance: str  # e.g. "rtol 1e-10, atol 1e-12"
    worst_index: tuple
    passed: bool
    note: str = ""  # why it failed, when the numbers cannot say it (shape, missing key)


class Report(NamedTuple):
    layer: str
    shape: tuple
    dtype: str
    seed: int
    rows: list

    @property
    def passed(self):
        return bool(self.rows) and all(row.passed for row in self.rows)


# ---------------------------------------------------------------------------------------
# Loading what the user names
# ---------------------------------------------------------------------------------------


def load_class(spec, option="MODULE:Class"):
    """The class named by "package.module:Class" or "path/to/file.py:Class"."""
    module_name, sep, class_name = spec.rpartition(":")
    if not sep or not module_name or not class_name:
        raise CheckError(f"{option} expects MODULE:Class (e.g. mylayers:Scale); got {spec!r}")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise CheckError(f"{option}: no file {module_name}")
            module_spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(module_spec)
            module_spec.loader.exec_module(module)
        else:
            module = import_module(module_name)
    except CheckError:
        raise
    except Exception as error:  # an ImportError, or any error while the module runs
        raise CheckError(
            f"{option}: cannot import {module_name}: {type(error).__name__}: {error}"
        ) from error
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise CheckError(f"{option}: {module_name} has no class {class_name}")
    return cls


def parse_kwargs(text):
    try:
        kwargs = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckError(
            f"--kwargs expects a JSON object such as '{{\"d_in\": 3}}'; got {text!r} ({error.msg})"
        ) from error
    if not isinstance(kwargs, dict):
        raise CheckError(f"--kwargs expects a JSON object; got {type(kwargs).__name__} {text!r}")
    return kwargs


def parse_shape(text):
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        shape = ()
    if len(shape) < 1 or any(n <= 0 for n in shape):
        raise CheckError(
            f"--shape expects positive integers separated by commas, such as 4,3; got {text!r}"
        )
    return shape


def build(cls, kwargs, option):
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise CheckError(f"{option}: {cls.__name__}(**{kwargs}) failed: {error}") from error


# ---------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------


def _inputs(layer, shape, dtype, rng):
    """Random parameters (biases included) and an input kept off zero, where kinks sit."""
    for method in ("init", "forward", "backward"):
        if not callable(getattr(layer, method, None)):
            raise CheckError(
                f"{layer!r} does not follow the Layer protocol: it has no "
                f"{method}() (see scratch/protocol.py)"
            )
    shapes = {k: np.shape(v) for k, v in layer.init(np.random.default_rng(0)).items()}
    params = {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}
    X = rng.standard_normal(shape)
    X[np.abs(X) < 1e-3] = 1e-3
    return params, X.astype(dtype)


def _central_difference_rows(layer, params, X, dY):
    results = measure_layer(layer, params, X, dY)  # float64, whatever dtype is checked
    rows = []
    for r in results:
        rows.append(
            Row(
                "central differences",
                f"d{r.name}",
                r.max_abs_error,
                r.max_rel_error,
                f"rel {CENTRAL_DIFFERENCE_TOLERANCE:g} (float64)",
                r.index,
                r.max_rel_error <= CENTRAL_DIFFERENCE_TOLERANCE,
            )
        )
    return rows


def _twin_rows(backend, twin, ours, params, X, dY, dtype):
    Y, dX, grads = ours
    Y_ref, dX_ref, grads_ref = autodiff(backend).layer_vjp(twin, params, X, dY)
    pairs = [("Y", Y, Y_ref, "forward"), ("dX", dX, dX_ref, "gradient")]
    pairs += [(f"d{k}", grads.get(k), grads_ref.get(k), "gradient") for k in params]
    rows = []
    for tensor, mine, theirs, stage in pairs:
        mine, theirs = np.asarray(mine), np.asarray(theirs)
        if mine.shape != theirs.shape:
            rows.append(
                Row(
                    backend,
                    tensor,
                    np.inf,
                    np.inf,
                    "",
                    (),
                    False,
                    f"shape {mine.shape}, the twin's {theirs.shape}",
                )
            )
            continue
        c = compare_arrays(mine, theirs, dtype, stage)
        rows.append(
            Row(
                backend,
                tensor,
                c.max_abs,
                c.max_rel,
                f"rtol {c.rtol:g}, atol {c.atol:.1g}",
                c.worst_index,
                c.passed,
            )
        )
    return rows


def check_layer_against(
    layer, torch_twin=None, jax_twin=None, shape=(4, 5), dtype="float64", seed=0
):
    """Check `layer` by central differences and against each twin given; a Report."""
    if dtype not in DTYPES:
        raise CheckError(f"dtype expects one of {DTYPES}; got {dtype!r}")
    rng = np.random.default_rng(seed)
    params, X = _inputs(layer, tuple(shape), dtype, rng)
    try:
        Y, cache = layer.forward(params, X)
    except (TypeError, ValueError) as error:
        raise CheckError(
            f"{layer!r}.forward on X of shape {tuple(shape)} ({dtype}) raised "
            f"{type(error).__name__}: {error} (try --shape)"
        ) from error
    dY = rng.standard_normal(np.shape(Y)).astype(dtype)  # random, never all ones
    dX, grads = layer.backward(cache, dY)
    rows = []
    if sorted(grads) != sorted(params):
        rows.append(
            Row(
                "protocol",
                "grads",
                np.inf,
                np.inf,
                "",
                (),
                False,
                f"backward returned grads for {sorted(grads)}; params are {sorted(params)}",
            )
        )
        return Report(repr(layer), tuple(shape), dtype, seed, rows)
    rows += _central_difference_rows(layer, params, X, dY)
    for backend, twin in zip(TWIN_BACKENDS, (torch_twin, jax_twin)):
        if twin is not None:
            rows += _twin_rows(backend, twin, (Y, dX, grads), params, X, dY, dtype)
    return Report(repr(layer), tuple(shape), dtype, seed, rows)


def format_report(report):
    head = (
        f"{'against':<21}{'tensor':<8}{'max abs err':>12}{'max rel err':>12}  "
        f"{'tolerance':<26}{'worst at':<12}result"
    )
    lines = [
        f"check of {report.layer}: X of shape {report.shape}, {report.dtype}, "
        f"random parameters and upstream gradient (seed {report.seed})",
        head,
        "-" * len(head),
    ]
    for row in report.rows:
        lines.append(
            f"{row.against:<21}{row.tensor:<8}{row.max_abs:>12.2e}{row.max_rel:>12.2e}  "
            f"{row.tolerance:<26}{str(row.worst_index):<12}"
            f"{'PASS' if row.passed else 'FAIL'}{'  ' + row.note if row.note else ''}"
        )
    failed = [row for row in report.rows if not row.passed]
    if failed:
        worst = failed[0]
        lines.append(
            f"FAIL: {len(failed)} of {len(report.rows)} tensors out of tolerance; "
            f"first: {worst.tensor} against {worst.against}, worst entry at "
            f"index {worst.worst_index}"
        )
    else:
        lines.append(f"PASS: all {len(report.rows)} tensors within tolerance")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The command line (`python -m reference check`)
# ---------------------------------------------------------------------------------------


def add_check_options(parser):
    parser.add_argument("layer", metavar="MODULE:Class", help="your layer's class")
    parser.add_argument("--torch", metavar="MODULE:Class", help="its torch twin")
    parser.add_argument("--jax", metavar="MODULE:Class", help="its jax twin")
    parser.add_argument(
        "--kwargs",
        default="{}",
        help="constructor arguments as JSON, the same for the layer and its twins (default {})",
    )
    parser.add_argument("--shape", default="4,5", help="the input's shape (default 4,5)")
    parser.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    parser.add_argument("--seed", default="0", help="seed of parameters, X and dY (default 0)")


def run_check(args):
    """Everything is loaded and validated before any work; a mistake is one line, exit 2."""
    try:
        kwargs = parse_kwargs(args.kwargs)
        shape = parse_shape(args.shape)
        if args.dtype not in DTYPES:
            raise CheckError(f"--dtype expects one of {DTYPES}; got {args.dtype!r}")
        if not args.seed.isdigit():
            raise CheckError(f"--seed expects a non-negative integer; got {args.seed!r}")
        classes = {"layer": load_class(args.layer)}
        for backend in TWIN_BACKENDS:
            if getattr(args, backend):
                classes[backend] = load_class(getattr(args, backend), f"--{backend}")
        built = {
            name: build(cls, kwargs, "MODULE:Class" if name == "layer" else f"--{name}")
            for name, cls in classes.items()
        }
        report = check_layer_against(
            built["layer"], built.get("torch"), built.get("jax"), shape, args.dtype, int(args.seed)
        )
    except CheckError as error:
        print(f"python -m reference check: error: {error}", file=sys.stderr)
        return 2
    print(format_report(report))
    return 0 if report.passed else 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m reference check",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_check_options(parser)
    return run_check(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
