"""Lesson 6: which tensors must a two-layer MLP keep for its backward pass?

MLP([D, H, C], dropout=p) = Linear -> ReLU -> Dropout -> Linear, softmax cross-entropy.
The whole-MLP ledger (scratch.tools.ledger.model_ledger) lists what forward caches; then
each cached tensor is removed in turn and backward is run as training runs it (no gradient
for the data): it fails, or it runs and its gradients are compared with the full cache's.
    0:Linear.X   (N, D)  X itself: dW0 = X^T dZ1
    0:Linear.W   (D, H)  only for dX, the data's gradient, which training skips
    1:ReLU.Y     (N, H)  where the unit was active: dZ1 = dA1 * (A1 > 0)
    2:Dropout.scaled_mask (N, H)  which units were kept (random: cannot be recomputed
                 without replaying the generator)
    3:Linear.X   (N, H)  the dropped-out activation: dW3 = A^T dlogits
    3:Linear.W   (H, C)  dA = dlogits W3^T
    loss.P       (N, C)  dlogits = (P - onehot(y)) / N;  loss.y (N,) the labels
"""

import numpy as np

from scratch.nn.losses import SoftmaxCrossEntropy
from scratch.nn.mlp import MLP
from scratch.tools.ledger import format_ledger, model_ledger

# the multiply-adds to recompute a cached tensor from X and the parameters, as a function of
# the sizes; None: it is an input or a parameter (kept anyway), or random (not recomputable)
RECOMPUTE = {
    "0:Linear.X": ("an input: kept by the caller anyway", lambda N, D, H, C: 0),
    "0:Linear.W": ("a parameter: kept anyway", lambda N, D, H, C: 0),
    "1:ReLU.Y": ("rerun Linear 0 and ReLU", lambda N, D, H, C: N * D * H + N * H),
    "2:Dropout.scaled_mask": ("random: replay the generator's state, or keep the mask", None),
    "2:Dropout.mask": ("random: replay the generator's state, or keep the mask", None),
    "3:Linear.X": (
        "rerun Linear 0, ReLU, and apply the mask",
        lambda N, D, H, C: N * D * H + 2 * N * H,
    ),
    "3:Linear.W": ("a parameter: kept anyway", lambda N, D, H, C: 0),
    "loss.P": (
        "rerun the whole forward and the softmax",
        lambda N, D, H, C: N * D * H + 2 * N * H + N * H * C + 2 * N * C,
    ),
    "loss.y": ("an input: kept by the caller anyway", lambda N, D, H, C: 0),
}


def without(cache, loss_cache, name):
    """The caches with one entry removed (set to None, or the mask dropped)."""
    if name.startswith("loss."):
        return cache, loss_cache._replace(**{name.split(".", 1)[1]: None})
    index, rest = name.split(":")
    index, field = int(index), rest.split(".", 1)[1]
    if field == "mask":  # the bool keep-mask in the MLP's own cache
        masks = {i: m for i, m in cache.masks.items() if i != index}
        return cache._replace(masks=masks), loss_cache
    caches = list(cache.caches)
    caches[index] = caches[index]._replace(**{field: None})
    return cache._replace(caches=caches), loss_cache


def backward(mlp, loss, cache, loss_cache):
    dlogits = loss.backward(loss_cache)
    return mlp.backward(cache, dlogits, input_grad=False)[1]  # as training runs it


def measure(seed=0, sizes=(20, 16, 4), batch=8, dropout=0.5, dtype="float32"):
    rng = np.random.default_rng(seed)
    mlp, loss = MLP(list(sizes), dropout=dropout), SoftmaxCrossEntropy()
    params = mlp.init(rng, dtype=dtype)
    X = rng.standard_normal((batch, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], batch)
    rows = model_ledger(mlp, params, X, y, loss, rng=np.random.default_rng(seed))
    logits, cache = mlp.forward(params, X, training=True, rng=np.random.default_rng(seed))
    _, loss_cache = loss.forward(logits, y)
    full = backward(mlp, loss, cache, loss_cache)
    outcomes = {}
    for row in rows:
        if row.role != "cached":
            continue
        broken = without(cache, loss_cache, row.name)
        try:
            with np.errstate(all="ignore"):
                grads = backward(mlp, loss, *broken)
            diff = max(float(np.max(np.abs(grads[k] - full[k]))) for k in full)
            outcomes[row.name] = ("ran", diff)
        except Exception as error:  # what breaks is the lesson: record it, whatever it is
            outcomes[row.name] = (type(error).__name__, str(error).splitlines()[0][:60])
    N, (D, H, C) = batch, sizes
    costs = {
        name: (how, None if f is None else f(N, D, H, C)) for name, (how, f) in RECOMPUTE.items()
    }
    return {
        "rows": rows,
        "outcomes": outcomes,
        "costs": costs,
        "sizes": sizes,
        "batch": batch,
        "title": f"{mlp!r}, softmax cross-entropy, batch {batch}, {dtype}",
    }


def answer(m):
    lines = [
        format_ledger(m["rows"], title=m["title"]),
        "",
        "each cached tensor removed in turn, backward run as training runs it:",
        f"{'cached tensor':<23}{'own bytes':>10}  {'without it':<44}"
        f"recompute from X and the parameters",
    ]
    by_name = {row.name: row for row in m["rows"]}
    needed, not_needed = [], []
    for name, outcome in m["outcomes"].items():
        row = by_name[name]
        own = "(view)" if row.shares_memory else f"{row.bytes:,}"
        if outcome[0] == "ran":
            effect = (
                "runs, gradients identical"
                if outcome[1] == 0
                else f"runs, gradients WRONG by {outcome[1]:.3g}"
            )
        else:
            effect = f"fails: {outcome[0]}"
        (not_needed if effect == "runs, gradients identical" else needed).append(name)
        how, cost = m["costs"].get(name, ("?", None))
        cost_text = how if cost is None or cost == 0 else f"{how}: {cost:,} multiply-adds"
        lines.append(f"{name:<23}{own:>10}  {effect:<44}{cost_text}")
    own_bytes = sum(by_name[n].bytes for n in needed if not by_name[n].shares_memory)
    lines.append(
        f"Answer: backward needs {', '.join(needed)} ({own_bytes:,} bytes beyond the "
        f"inputs and parameters); {', '.join(not_needed) or 'nothing else'} could go. "
        f"Most removals fail loudly, but a missing dropout mask or label runs on and gives "
        f"wrong gradients. The bool keep-mask is held by the MLP's cache for inspection "
        f"and replays; backward reads only the scaled mask. The random mask is the one "
        f"tensor that cannot be recomputed from X "
        f"and the parameters alone."
    )
    return "\n".join(lines)
