"""What a learning rate that is too large does, on a quadratic whose answer is known.

f(x) = 1/2 sum_i L_i x_i^2, curvatures L_1 = L (largest) > ... ; gradient L_i x_i.
Plain gradient descent multiplies coordinate i by (1 - lr L_i) each step, so it converges
exactly when |1 - lr L| < 1 for the largest curvature: lr < 2 / L. Above the threshold the
stiffest direction grows by |1 - lr L| per step, and the loss by its square.

Heavy-ball momentum (SGD with momentum beta) has the larger threshold
lr < 2 (1 + beta) / L. Adam divides by the gradient's running RMS, so its steps stay near
lr in size whatever the curvature: it does not blow up, but hovers at a distance set by lr.
"""

import numpy as np

from scratch.optim.optimizers import SGD, Adam


def quadratic(curvatures):
    L = np.asarray(curvatures, dtype=np.float64)  # (D,)

    def loss_and_grad(x):
        return 0.5 * float(np.sum(L * x * x)), L * x  # scalar, (D,)

    return loss_and_grad


def run(optimizer, curvatures, steps, x0):
    """Loss before the first update and after each of `steps` updates."""
    loss_and_grad = quadratic(curvatures)
    params = {"x": np.array(x0, dtype=np.float64)}
    state = optimizer.init(params)
    losses = [loss_and_grad(params["x"])[0]]
    for _ in range(steps):
        _, grad = loss_and_grad(params["x"])
        params, state = optimizer.update({"x": grad}, state, params)
        losses.append(loss_and_grad(params["x"])[0])
    return losses


def learning_rate_study(
    curvatures=(10.0, 1.0), factors=(0.5, 0.95, 1.05, 2.0), steps=40, momentum=0.9
):
    """{optimizer label: {lr: losses}} for lr = factor * 2 / L, plus the thresholds."""
    L = max(curvatures)
    threshold = 2 / L
    x0 = np.ones(len(curvatures))
    lrs = [f * threshold for f in factors]
    makers = {
        "gradient descent": lambda lr: SGD(lr=lr),
        f"SGD momentum {momentum}": lambda lr: SGD(lr=lr, momentum=momentum),
        "Adam": lambda lr: Adam(lr=lr),
    }
    results = {
        label: {lr: run(make(lr), curvatures, steps, x0) for lr in lrs}
        for label, make in makers.items()
    }
    return {
        "L": L,
        "threshold": threshold,
        "momentum_threshold": 2 * (1 + momentum) / L,
        "lrs": lrs,
        "results": results,
    }


def verdict(losses):
    """Compare the end of the run with its start: grown, or shrunk by how much."""
    ratio = losses[-1] / losses[0]
    if not np.isfinite(ratio) or ratio > 1:
        return f"DIVERGES: loss grew x{ratio:.3g}"
    return f"converges: loss shrank x{ratio:.2g}"


def format_study(study, every=4):
    lrs = study["lrs"]
    lines = [
        f"f(x) = 1/2 sum L_i x_i^2 with largest curvature L = {study['L']:g}",
        f"gradient descent diverges above lr = 2 / L = {study['threshold']:g}; "
        f"heavy-ball momentum above 2 (1 + beta) / L = {study['momentum_threshold']:g}",
        "",
    ]
    for label, runs in study["results"].items():
        lines.append(f"{label}: loss per step")
        lines.append("step " + "".join(f"{f'lr={lr:.4g}':>16}" for lr in lrs))
        steps = len(next(iter(runs.values())))
        for t in range(0, steps, every):
            lines.append(f"{t:>4} " + "".join(f"{runs[lr][t]:>16.4g}" for lr in lrs))
        for lr in lrs:
            note = ""
            if label == "gradient descent":  # the stiff coordinate's factor per step
                note = f"   (|1 - lr L| = {abs(1 - lr * study['L']):.3g} per step)"
            lines.append(f"  lr={lr:<8.4g}{verdict(runs[lr])}{note}")
        lines.append("")
    return "\n".join(lines)
