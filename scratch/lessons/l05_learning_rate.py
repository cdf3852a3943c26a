"""Lesson 5: a learning rate that is too large, on a quadratic whose answer is known.

Reuses scratch.tools.explore (python -m scratch explore learning-rate): gradient descent,
heavy-ball momentum and Adam on f(x) = 1/2 (L x1^2 + x2^2). Gradient descent multiplies the
stiff coordinate by (1 - lr L) per step, so the loss ends up changing by (1 - lr L)^2 per
step: it converges exactly when lr < 2 / L.
    loss_t = 1/2 sum_i L_i (1 - lr L_i)^(2t)     (x starts at ones)
"""

import numpy as np

from scratch.tools.explore import format_study, learning_rate_study


def measure(seed=0, curvature=10.0, steps=40):
    study = learning_rate_study(
        curvatures=(curvature, 1.0), factors=(0.5, 0.95, 1.05, 2.0), steps=steps
    )
    gd = study["results"]["gradient descent"]
    # the loss's factor over the last step, against the closed form
    L = np.array([curvature, 1.0])

    def closed_loss(lr, t):
        return 0.5 * np.sum(L * (1 - lr * L) ** (2 * t))

    factors = {
        lr: (gd[lr][-1] / gd[lr][-2], closed_loss(lr, steps) / closed_loss(lr, steps - 1))
        for lr in study["lrs"]
    }
    return {"study": study, "factors": factors}


def answer(m):
    study = m["study"]
    lines = [
        format_study(study, every=8),
        "gradient descent, the loss's factor over the last step, measured and from the closed "
        "form 1/2 sum_i L_i (1 - lr L_i)^(2t)\n(it tends to the largest (1 - lr L_i)^2):",
    ]
    for lr, (measured, closed) in m["factors"].items():
        lines.append(f"  lr={lr:<8.4g} x{measured:.6g}   closed form x{closed:.6g}")
    too_large = [lr for lr in study["lrs"] if lr > study["threshold"]]
    lines.append(
        f"Answer: past lr = 2 / L = {study['threshold']:g} the step overshoots along the "
        f"stiffest direction by more than it corrects, so the loss grows geometrically "
        f"(lr {too_large[0]:.4g}: x{m['factors'][too_large[0]][0]:.3g} per step) instead "
        f"of shrinking; momentum moves that limit to {study['momentum_threshold']:g}, "
        f"and Adam, whose step size is about lr whatever the gradient, does not diverge "
        f"but hovers at a distance set by lr."
    )
    return "\n".join(lines)


def draw(m, path):
    from scratch.lessons._common import pyplot, save_figure

    plt = pyplot()
    study = m["study"]
    fig, axes = plt.subplots(1, len(study["results"]), figsize=(15, 4))
    for ax, (label, runs) in zip(axes, study["results"].items()):
        for lr, losses in runs.items():
            ax.semilogy(losses, label=f"lr={lr:.3g} ({lr / study['threshold']:.2g} x 2/L)")
        ax.set(title=label, xlabel="step", ylabel="loss")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save_figure(fig, path)
