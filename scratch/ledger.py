"""Shape ledger: every tensor a component touches in one forward and backward pass.

Rows are (name, role, shape, dtype, bytes) with role one of
    input / parameter / output / cached / gradient
e.g. for Linear(784, 128) at batch 32: X, W, b, Y, cached X and W, dY, dX, dW, db.
Cached rows are what the component keeps alive between forward and backward; they
usually alias the inputs or parameters, so `shares_memory` says when a row costs no bytes
of its own.
"""

from typing import NamedTuple

import numpy as np


class LedgerRow(NamedTuple):
    name: str
    role: str
    shape: tuple
    dtype: str
    bytes: int
    shares_memory: bool = False  # True when the array is a view of a row listed earlier


def _row(name, role, array, earlier):
    shared = any(np.shares_memory(array, other) for other in earlier)
    return LedgerRow(name, role, tuple(array.shape), str(array.dtype), int(array.nbytes), shared)


def layer_ledger(layer, params, X, rng=None, forward_kwargs=None):
    """Run forward and backward once (random upstream gradient) and list every tensor."""
    rng = rng if rng is not None else np.random.default_rng(0)
    Y, cache = layer.forward(params, X, **(forward_kwargs or {}))
    dY = rng.standard_normal(Y.shape).astype(Y.dtype)
    dX, grads = layer.backward(cache, dY)

    rows, seen = [], []

    def add(name, role, array):
        rows.append(_row(name, role, array, seen))
        seen.append(array)

    add("X", "input", X)
    for key, value in params.items():
        add(key, "parameter", value)
    add("Y", "output", Y)
    for field, value in cache._asdict().items():
        if isinstance(value, np.ndarray):
            add(f"cache.{field}", "cached", value)
    add("dY", "gradient", dY)
    add("dX", "gradient", dX)
    for key, value in grads.items():
        add(f"d{key}", "gradient", value)
    return rows


def format_ledger(rows, title=""):
    """A fixed-width table with a total per role; shared views count no bytes."""
    header = f"{'name':<14}{'role':<11}{'shape':<16}{'dtype':<9}{'bytes':>12}"
    lines = ([title] if title else []) + [header, "-" * len(header)]
    for r in rows:
        size = "(view)" if r.shares_memory else f"{r.bytes:,}"
        lines.append(f"{r.name:<14}{r.role:<11}{str(r.shape):<16}{r.dtype:<9}{size:>12}")
    lines.append("-" * len(header))
    totals = {}
    for r in rows:
        if not r.shares_memory:
            totals[r.role] = totals.get(r.role, 0) + r.bytes
    for role, total in totals.items():
        lines.append(f"{'total ' + role:<50}{total:>12,}")
    lines.append(f"{'total (distinct memory)':<50}{sum(totals.values()):>12,}")
    return "\n".join(lines)
