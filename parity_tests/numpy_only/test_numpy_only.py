"""scratch/ stands on NumPy alone: importing it must not import a framework, and every
component keeps its inputs unmodified and its dtype (float32 in, float32 out)."""

import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest

from parity_tests.registry import RECORDS

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ["torch", "jax", "jaxlib", "optax", "scipy", "sklearn", "tqdm", "matplotlib"]


def test_scratch_imports_no_framework():
    # In a fresh interpreter where importing any framework raises, import every scratch
    # module (and run a forward/backward) to prove none of them needs one.
    script = textwrap.dedent(f"""
        import importlib, pkgutil, sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {FORBIDDEN!r}:
                    raise ImportError("blocked framework import: " + name)
        sys.meta_path.insert(0, Block())
        import numpy as np, scratch
        for info in pkgutil.walk_packages(scratch.__path__, prefix="scratch."):
            importlib.import_module(info.name)
        layer = scratch.Linear(3, 2)
        Y, cache = layer.forward(layer.init(np.random.default_rng(0)), np.ones((4, 3)))
        layer.backward(cache, np.ones_like(Y))
        print("ok", sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r}))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok []"


def make_inputs(record, dtype, rng):
    """Everything the caller hands the component: X or Z, target, params, dY, mask."""
    X, target = record.sample(rng, dtype)
    if record.kind == "loss":
        return {"Z": X, "target": target}
    inputs = {"X": X, "params": record.params(rng, dtype)}
    if record.kind == "dropout":
        inputs["mask"] = rng.random(X.shape) >= 0.3
    out_shape = record.build().forward(inputs["params"], X, **(
        {"mask": inputs["mask"]} if "mask" in inputs else {}))[0].shape
    inputs["dY"] = rng.standard_normal(out_shape).astype(dtype)
    return inputs


def run_component(record, inputs):
    """Forward and backward once; returns every output array by name."""
    component = record.build()
    if record.kind == "loss":
        L, cache = component.forward(inputs["Z"], inputs["target"])
        return {"L": L, "dZ": component.backward(cache, 1.5)}
    kwargs = {"mask": inputs["mask"]} if "mask" in inputs else {}
    Y, cache = component.forward(inputs["params"], inputs["X"], **kwargs)
    dX, grads = component.backward(cache, inputs["dY"])
    return {"Y": Y, "dX": dX, **{f"d{k}": g for k, g in grads.items()}}


def flat(inputs):
    """{name: array} with params spread out as params['W'] etc."""
    out = {k: v for k, v in inputs.items() if isinstance(v, np.ndarray)}
    out.update({f"params[{k!r}]": v for k, v in inputs.get("params", {}).items()})
    return out


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_inputs_are_left_unmodified(record, dtype):
    inputs = make_inputs(record, dtype, np.random.default_rng(zlib.crc32(record.name.encode())))
    before = {name: value.copy() for name, value in flat(inputs).items()}
    run_component(record, inputs)
    for name, value in flat(inputs).items():
        np.testing.assert_array_equal(value, before[name],
                                      err_msg=f"{record.name} modified its input {name}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_dtype_is_preserved(record, dtype):
    outputs = run_component(record, make_inputs(record, dtype, np.random.default_rng(1)))
    for name, value in outputs.items():
        assert np.asarray(value).dtype == np.dtype(dtype), f"{record.name}: {name} is {value.dtype}"


@pytest.mark.parametrize("record", [r for r in RECORDS if r.kind != "loss"], ids=lambda r: r.name)
def test_outputs_do_not_alias_inputs(record):
    # a caller who updates Y or dX in place must not corrupt X or dY
    inputs = make_inputs(record, "float64", np.random.default_rng(2))
    outputs = run_component(record, inputs)
    for out_name, out in outputs.items():
        for in_name, value in flat(inputs).items():
            assert not np.shares_memory(out, value), f"{record.name}: {out_name} aliases {in_name}"
