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
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok []"


def samples(record, dtype, seed):
    """Every sample of the record: what the caller hands the component, by name."""
    return list(record.samples(np.random.default_rng(seed), dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_inputs_are_left_unmodified(record, dtype):
    for sample in samples(record, dtype, zlib.crc32(record.name.encode())):
        before = {name: value.copy() for name, value in sample.arrays().items()}
        record.run(sample)
        for name, value in sample.arrays().items():
            np.testing.assert_array_equal(
                value,
                before[name],
                err_msg=f"{record.name}[{sample.name}] modified its input {name}",
            )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_dtype_is_preserved(record, dtype):
    for sample in samples(record, dtype, 1):
        for name, value in record.run(sample).items():
            assert np.asarray(value).dtype == np.dtype(dtype), (
                f"{record.name}[{sample.name}]: {name} is {np.asarray(value).dtype}"
            )


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_outputs_do_not_alias_inputs(record):
    # a caller who updates Y or dX in place must not corrupt X or dY
    for sample in samples(record, "float64", 2):
        for out_name, out in record.run(sample).items():
            for in_name, value in sample.arrays().items():
                assert not np.shares_memory(out, value), (
                    f"{record.name}[{sample.name}]: {out_name} aliases {in_name}"
                )
