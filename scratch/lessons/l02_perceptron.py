"""Lesson 2: the perceptron converges on separable data within Novikoff's bound, and never
converges on XOR, where no line does better than about 3 of the 4 clusters.

Runs scratch.nn.perceptron.Perceptron on the seeded `blobs` toy set (separable by
construction, with a known separator) and on `xor`, and scans every line direction to
find the best accuracy any line reaches on XOR.
"""

import numpy as np

from scratch.data.datasets import BLOBS_SEPARATOR, make_toy
from scratch.nn.perceptron import Perceptron, mistake_bound


def signed(y):
    return np.where(y == 1, 1, -1)


def margin(X, y, w, b):
    """Geometric margin of the unit vector (w, b) / ||(w, b)|| in the augmented space."""
    augmented = np.hstack([X, np.ones((len(X), 1))])  # (N, 3)
    direction = np.append(w, b) / np.linalg.norm(np.append(w, b))
    return float(np.min(y * (augmented @ direction)))


def best_line_accuracy(X, y, angles=720):
    """The best accuracy of any line: for each direction, every threshold between
    consecutive projections, both orientations."""
    best = 0.0
    for theta in np.linspace(0, np.pi, angles, endpoint=False):
        projection = X @ np.array([np.cos(theta), np.sin(theta)])  # (N,)
        order = np.argsort(projection)
        labels = y[order]
        # predicting +1 above the k-th smallest projection: correct = (-1s below) + (+1s above)
        below_negative = np.concatenate([[0], np.cumsum(labels == -1)])  # (N + 1,)
        above_positive = np.concatenate([np.cumsum((labels == 1)[::-1])[::-1], [0]])
        correct = below_negative + above_positive
        best = max(best, correct.max() / len(y), (len(y) - correct.min()) / len(y))
    return best


def measure(seed=0, n=200, max_epochs=50):
    blobs = make_toy("blobs", n=n, seed=seed)
    X, y = blobs.X, signed(blobs.y)
    fit = Perceptron(max_epochs=max_epochs).fit(X, y)
    u, c = BLOBS_SEPARATOR
    xor = make_toy("xor", n=n, seed=seed)
    Xx, yx = xor.X, signed(xor.y)
    xor_fit = Perceptron(max_epochs=max_epochs).fit(Xx, yx)
    return {
        "blobs": (X, y),
        "xor": (Xx, yx),
        "fit": fit,
        "xor_fit": xor_fit,
        "bound": mistake_bound(X, y, u, c),
        "R": float(np.max(np.linalg.norm(np.hstack([X, np.ones((n, 1))]), axis=1))),
        "gamma_known": margin(X, y, u, c),
        "gamma_learned": margin(X, y, fit.w, fit.b),
        "train_accuracy": float(np.mean(Perceptron.predict(fit, X) == y)),
        "xor_accuracy": float(np.mean(Perceptron.predict(xor_fit, Xx) == yx)),
        "xor_best_line": best_line_accuracy(Xx, yx),
        "max_epochs": max_epochs,
    }


def answer(m):
    fit, xor_fit = m["fit"], m["xor_fit"]
    return "\n".join(
        [
            f"Separable blobs ({len(m['blobs'][1])} points): converged={fit.converged} after "
            f"{fit.epochs} epochs and {fit.mistakes} mistakes; training accuracy "
            f"{m['train_accuracy']:.3f}.",
            f"  Novikoff: R = max ||(x, 1)|| = {m['R']:.3f}, margin of the known separator "
            f"gamma = {m['gamma_known']:.4f}, so at most (R/gamma)^2 = {m['bound']:.1f} mistakes; "
            f"it made {fit.mistakes}.",
            f"  the line it found separates with margin {m['gamma_learned']:.4f} "
            f"(any positive margin will do: the rule stops at the first mistake-free epoch).",
            f"XOR ({len(m['xor'][1])} points): converged={xor_fit.converged} after "
            f"{xor_fit.epochs} epochs"
            + (
                f": every epoch made a mistake ({xor_fit.mistakes} in all), so the rule never stops"
                if not xor_fit.converged
                else ""
            )
            + f"; its last line scores {m['xor_accuracy']:.3f}.",
            f"  scanning every direction and threshold, the best any line does on XOR is "
            f"{m['xor_best_line']:.3f}: one line cannot put (+,+),(-,-) on one side and "
            f"(+,-),(-,+) on the other.",
            "Answer: a perceptron separates two classes exactly when some line (hyperplane) does; "
            "then it stops after at most (R/gamma)^2 mistakes. When none does (XOR) it never "
            "stops; a hidden layer is needed.",
        ]
    )


def draw(m, path):
    from scratch.lessons._common import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, key, fit, title in (
        (axes[0], "blobs", m["fit"], "separable blobs"),
        (axes[1], "xor", m["xor_fit"], "XOR"),
    ):
        X, y = m[key]
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=12)
        xs = np.linspace(X[:, 0].min(), X[:, 0].max(), 2)
        if abs(fit.w[1]) > 1e-12:
            ax.plot(xs, -(fit.w[0] * xs + fit.b) / fit.w[1], "k-", label="perceptron's line")
        ax.set(
            title=f"{title}: {fit.mistakes} mistakes, converged={fit.converged}",
            ylim=(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5),
        )
        ax.legend(fontsize=8)
    save_figure(fig, path)
