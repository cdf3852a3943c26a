"""Lesson 1: the shape ledger of a Linear layer, and which of its bytes grow with the batch.

Runs Linear(D, M).forward and .backward once (scratch.tools.ledger) at two batch sizes and
reads every tensor's shape and bytes off the arrays themselves.
    X (N, D)  W (D, M)  b (M,)  Y (N, M)  dY (N, M)  dX (N, D)  dW (D, M)  db (M,)
"""

import numpy as np

from scratch.nn.linear import Linear
from scratch.tools.ledger import format_ledger, layer_ledger


def measure(seed=0, D=784, M=128, batches=(32, 256), dtype="float32"):
    rng = np.random.default_rng(seed)
    layer = Linear(D, M)
    params = layer.init(rng, dtype=dtype)
    ledgers = {}
    for N in batches:
        X = rng.standard_normal((N, D)).astype(dtype)
        ledgers[N] = layer_ledger(layer, params, X, rng=rng)
    return {"D": D, "M": M, "dtype": dtype, "batches": list(batches), "ledgers": ledgers}


def rows_by_name(rows):
    return {row.name: row for row in rows}


def answer(m):
    small, large = m["batches"]
    rows = rows_by_name(m["ledgers"][small])
    big = rows_by_name(m["ledgers"][large])
    lines = [
        format_ledger(
            m["ledgers"][small], title=f"Linear({m['D']}, {m['M']}), batch {small}, {m['dtype']}"
        ),
        "",
    ]
    for grad, of in (("dW", "W"), ("db", "b"), ("dX", "X"), ("dY", "Y")):
        same = rows[grad].shape == rows[of].shape
        lines.append(
            f"{grad} {rows[grad].shape} {'has' if same else 'does NOT have'} the shape "
            f"of {of} {rows[of].shape}: a gradient is shaped like what it differentiates"
        )
    cached = [r for r in m["ledgers"][small] if r.role == "cached"]
    lines.append(
        f"the cache keeps {', '.join(r.name for r in cached)}: "
        f"{sum(r.bytes for r in cached if not r.shares_memory):,} extra bytes "
        f"({sum(r.shares_memory for r in cached)} of {len(cached)} are references to "
        f"arrays listed above, not copies)"
    )
    lines.append(f"from batch {small} to {large} (x{large // small}):")
    for name in ("X", "Y", "dX", "W", "dW"):
        lines.append(
            f"  {name:<3}{rows[name].bytes:>10,} -> {big[name].bytes:>10,} bytes "
            f"(x{big[name].bytes / rows[name].bytes:g})"
        )
    lines.append(
        "Answer: activations and their gradients grow with N; parameters and their "
        "gradients do not."
    )
    return "\n".join(lines)
