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


class _Rows:
    """Ledger rows in order; a row that shares memory with an earlier one is marked."""

    def __init__(self):
        self.rows, self.arrays = [], []

    def add(self, name, role, array):
        shared = any(np.shares_memory(array, other) for other in self.arrays)
        self.rows.append(
            LedgerRow(name, role, tuple(array.shape), str(array.dtype), int(array.nbytes), shared)
        )
        self.arrays.append(array)


def layer_ledger(layer, params, X, rng=None, forward_kwargs=None):
    """Run forward and backward once (random upstream gradient) and list every tensor."""
    rng = rng if rng is not None else np.random.default_rng(0)
    Y, cache = layer.forward(params, X, **(forward_kwargs or {}))
    dY = rng.standard_normal(Y.shape).astype(Y.dtype)
    dX, grads = layer.backward(cache, dY)

    rows = _Rows()
    add = rows.add
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
    return rows.rows


def format_ledger(rows, title=""):
    """A fixed-width table with a total per role; shared views count no bytes."""
    width = max([14] + [len(r.name) + 2 for r in rows])
    header = f"{'name':<{width}}{'role':<11}{'shape':<16}{'dtype':<9}{'bytes':>12}"
    lines = ([title] if title else []) + [header, "-" * len(header)]
    for r in rows:
        size = "(view)" if r.shares_memory else f"{r.bytes:,}"
        lines.append(f"{r.name:<{width}}{r.role:<11}{str(r.shape):<16}{r.dtype:<9}{size:>12}")
    lines.append("-" * len(header))
    totals = {}
    for r in rows:
        if not r.shares_memory:
            totals[r.role] = totals.get(r.role, 0) + r.bytes
    for role, total in totals.items():
        lines.append(f"{'total ' + role:<{len(header) - 12}}{total:>12,}")
    lines.append(f"{'total (distinct memory)':<{len(header) - 12}}{sum(totals.values()):>12,}")
    return "\n".join(lines)


def model_ledger(mlp, params, X, y, loss, optimizer=None, rng=None):
    """Every tensor of one training step of an MLP: forward (per layer output and what
    each layer caches for backward, the dropout keep-masks), loss (and what it caches:
    the probabilities and the labels), backward (per layer input gradient and the
    parameter gradients) and, given an optimizer, its state after one update."""
    rng = rng if rng is not None else np.random.default_rng(0)
    rows = _Rows()
    add = rows.add
    add("X", "input", X)
    add("y", "input", y)
    for key, value in params.items():
        add(key, "parameter", value)
    Y, cache = mlp.forward(params, X, training=True, rng=rng)
    # the activations each layer produced, recomputed from the caches' own view of them
    for index, (layer, layer_cache) in enumerate(zip(mlp.layers, cache.caches)):
        for field, value in layer_cache._asdict().items():
            if isinstance(value, np.ndarray):
                add(f"{index}:{type(layer).__name__}.{field}", "cached", value)
    for index, mask in cache.masks.items():  # the bool keep-masks the MLP's cache holds
        add(f"{index}:Dropout.mask", "cached", mask)
    add("logits", "output", Y)
    L, loss_cache = loss.forward(Y, y)
    for field, value in loss_cache._asdict().items():
        if isinstance(value, np.ndarray):
            add(f"loss.{field}", "cached", value)
    dY = loss.backward(loss_cache)
    add("dlogits", "gradient", dY)
    _, grads = mlp.backward(cache, dY, input_grad=False)  # as the training step runs it
    # the gradient each hidden Linear passes down, dA (N, d_in): backward keeps it to
    # itself, so walk the layers once more to list it (the first layer's is never made)
    dA = dY
    for index in reversed(range(1, len(mlp.layers))):
        layer = mlp.layers[index]
        dA = layer.backward(cache.caches[index], dA)[0]
        if type(layer).__name__ == "Linear":
            add(f"{index}:Linear.dX", "gradient", dA)
    for key, value in grads.items():
        add(f"d{key}", "gradient", value)
    if optimizer is not None:
        state = optimizer.init(params)
        _, state = optimizer.update(grads, state, params)
        for slot, buffers in state.items():
            if isinstance(buffers, dict):
                for key, value in buffers.items():
                    add(f"{slot}[{key}]", "optimizer", value)
    return rows.rows
