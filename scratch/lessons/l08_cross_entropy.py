"""Lesson 8: what cross-entropy penalises as the correct class's logit falls.

One example with C classes, the other logits at 0, correct logit z:
    L(z)     = -log p_y = log(1 + (C - 1) e^(-z))  ->  -z + log(C - 1)   (linear as z -> -inf)
    dL/dz_y  = p_y - 1                             ->  -1
    dL/dz_j  = p_j (j != y): the wrong classes are pushed down by what the correct one lacks.
Runs scratch.nn.losses.SoftmaxCrossEntropy forward and backward at each z.
"""

import numpy as np

from scratch.nn.losses import SoftmaxCrossEntropy


def measure(seed=0, C=4, logits=(6.0, 4.0, 2.0, 0.0, -2.0, -4.0, -8.0, -16.0)):
    loss = SoftmaxCrossEntropy()
    rows = []
    for z in logits:
        Z = np.zeros((1, C))
        Z[0, 0] = z  # the correct class is 0
        L, cache = loss.forward(Z, np.array([0]))
        dZ = loss.backward(cache)
        rows.append((z, float(L), float(cache.P[0, 0]), float(dZ[0, 0]), float(dZ[0, 1])))
    return {"C": C, "rows": rows}


def answer(m):
    lines = [
        f"one example, {m['C']} classes, wrong logits 0, correct logit z:",
        f"  {'z':>6}{'loss':>10}{'p_y':>10}{'dL/dz_y':>10}{'dL/dz_wrong':>13}{'slope':>8}",
    ]
    previous = None
    for z, L, p, dz, dz_wrong in m["rows"]:
        slope = "" if previous is None else f"{(L - previous[1]) / (z - previous[0]):>8.3f}"
        lines.append(f"  {z:>6g}{L:>10.4f}{p:>10.4f}{dz:>10.4f}{dz_wrong:>13.4f}{slope}")
        previous = (z, L)
    z, L, p, dz, _ = m["rows"][-1]
    lines.append(
        f"Answer: the loss penalises the missing probability on the correct class, "
        f"-log p_y. As its logit falls the loss grows about linearly (slope "
        f"{(L - m['rows'][-2][1]) / (z - m['rows'][-2][0]):.4f} at the end, -z + "
        f"log(C - 1) = {-z + np.log(m['C'] - 1):.4f} against {L:.4f}), and the "
        f"gradient on that logit, p_y - 1, tends to -1 ({dz:.6f}): a steady push that "
        f"never saturates, unlike a sigmoid's or MSE's."
    )
    return "\n".join(lines)


def draw(m, path):
    from scratch.lessons._common import pyplot, save_figure

    plt = pyplot()
    z, L, p, dz, _ = (np.array(column) for column in zip(*m["rows"]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].plot(z, L, "o-", label="loss")
    axes[0].plot(z, np.maximum(-z + np.log(m["C"] - 1), 0), "--", label="-z + log(C - 1)")
    axes[0].set(xlabel="correct logit z", title="cross-entropy")
    axes[1].plot(z, dz, "o-", label="dL/dz_y = p_y - 1")
    axes[1].set(xlabel="correct logit z", title="gradient on the correct logit")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save_figure(fig, path)
