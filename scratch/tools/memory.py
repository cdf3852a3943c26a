"""Measured memory of one NumPy training step, to set beside the ledger's prediction.

The shape ledger (scratch/tools/ledger.py) predicts the bytes one training step keeps
alive by listing its tensors. This module measures what the step really allocates:
NumPy reports every array allocation to Python's `tracemalloc`, so the traced peak
during `Backend.train_step` is the step's true high-water mark, temporaries included.

    resident   bytes alive before the step: the batch (X, y), parameters, optimizer state
    step peak  the most bytes alive at any moment during the step, over resident: caches,
               activations, gradients and every temporary that happens to coexist
    total      resident + step peak, the number to compare with the ledger's total

The measured step is the training loop's own (scratch.training.train.Backend): forward
with the ReLU in place, backward without the first layer's input gradient, the optimizer
in place. It runs once before measuring, so that optimizer state exists (a first update
allocates nothing the later ones do not).
"""

import gc
import tracemalloc
from typing import NamedTuple


class StepMemory(NamedTuple):
    resident: int  # bytes traced before the step (batch, parameters, optimizer state)
    step_peak: int  # the step's high-water mark above `resident`
    total: int  # resident + step_peak


def measure_training_step(mlp, params, X, y, optimizer, masks=None, task="classification"):
    """Peak traced bytes of one NumPy training step (see the module docstring).

    X, y, params are copied inside the traced region, so that they count as resident
    (arrays made before tracing started would be invisible to tracemalloc). An MLP with
    dropout gets the training plan's masks for its first step unless `masks` are given;
    like the batch, they are made before the step and count as resident."""
    from scratch.training.train import Backend, plan_for

    if masks is None:
        masks = plan_for(mlp, len(X), len(X), seed=0).masks(1, 0, len(X))
    if tracemalloc.is_tracing():
        raise RuntimeError(
            "measure_training_step needs tracemalloc to itself; "
            "it is already tracing (stop it first)"
        )
    gc.collect()
    tracemalloc.start()
    try:
        X, y = X.copy(), y.copy()
        masks = {k: m.copy() for k, m in (masks or {}).items()}
        backend = Backend(mlp, params, optimizer, task)  # copies params, allocates state
        backend.train_step(X, y, masks)  # warm-up: the first update fills the state
        gc.collect()
        resident, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        backend.train_step(X, y, masks)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return StepMemory(resident, peak - resident, peak)


def ledger_totals(rows):
    """(resident, per step, total) bytes predicted by ledger rows: resident are the
    input, parameter and optimizer rows, the rest is what the step adds; views count 0."""
    resident = sum(
        r.bytes
        for r in rows
        if not r.shares_memory and r.role in ("input", "parameter", "optimizer")
    )
    total = sum(r.bytes for r in rows if not r.shares_memory)
    return resident, total - resident, total


def format_comparison(rows, measured, title=""):
    """Ledger prediction and tracemalloc measurement side by side, with the gap."""
    predicted = ledger_totals(rows)
    lines = ([title] if title else []) + [
        f"{'':<34}{'ledger':>14}{'measured':>14}{'measured/ledger':>17}"
    ]
    for label, p, m in zip(
        ("resident (batch, params, optimizer)", "one step's peak on top", "total"),
        predicted,
        measured,
    ):
        ratio = f"{m / p:.2f}" if p else "-"
        lines.append(f"{label:<34}{p:>14,}{m:>14,}{ratio:>17}")
    return "\n".join(lines)
