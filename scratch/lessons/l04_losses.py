"""Lesson 4: MSE or cross-entropy? Measured on a classification and a regression target.

Classification: MSE on softmax probabilities against a one-hot target, and softmax
cross-entropy, on a confidently wrong example (the gradient on the correct logit) and in
training (the same MLP, initial weights, batches and steps). Regression: MSE's gradient
descent lands on the least-squares line; cross-entropy is not even defined for a real target.
    CE:   dL/dz_y = p_y - 1                       (about -1 however wrong the model is)
    MSE:  dL/dz = J_softmax^T 2 (p - t) / C       (J has factors p_i (1 - p_i): tends to 0)
"""

import numpy as np

from scratch.data.datasets import load
from scratch.data.splits import Standardizer, split
from scratch.nn.linear import Linear
from scratch.nn.losses import MSE, SoftmaxCrossEntropy
from scratch.nn.mlp import MLP
from scratch.nn.softmax import Softmax
from scratch.optim.optimizers import SGD


def one_hot(y, C):
    T = np.zeros((len(y), C))
    T[np.arange(len(y)), y] = 1.0
    return T


def logit_gradients(Z, y):
    """(dZ of cross-entropy, dZ of MSE on softmax probabilities), each (N, C)."""
    ce = SoftmaxCrossEntropy()
    L, cache = ce.forward(Z, y)
    dZ_ce = ce.backward(cache)
    softmax, mse = Softmax(), MSE()
    P, softmax_cache = softmax.forward({}, Z)
    L, mse_cache = mse.forward(P, one_hot(y, Z.shape[1]))
    dZ_mse, _ = softmax.backward(softmax_cache, mse.backward(mse_cache))
    return dZ_ce, dZ_mse


def train_classifier(loss_name, splits, C, steps=300, lr=0.5, batch=32, seed=0):
    """The MLP trained with one loss by plain SGD; validation accuracy every 50 steps."""
    mlp = MLP([splits.train.X.shape[1], 32, C])
    params = mlp.init(np.random.default_rng(seed))
    optimizer = SGD(lr=lr)
    state = optimizer.init(params)
    rng = np.random.default_rng(seed)
    accuracy = []
    for step in range(steps + 1):
        if step % 50 == 0:
            logits, _ = mlp.forward(params, splits.validation.X)
            accuracy.append(float(np.mean(logits.argmax(axis=1) == splits.validation.y)))
        if step == steps:
            break
        rows = rng.choice(len(splits.train.y), batch, replace=False)
        Z, cache = mlp.forward(params, splits.train.X[rows])
        dZ_ce, dZ_mse = logit_gradients(Z, splits.train.y[rows])
        _, grads = mlp.backward(cache, dZ_ce if loss_name == "cross-entropy" else dZ_mse)
        params, state = optimizer.update(grads, state, params)
    return accuracy


def fit_line(x, t, steps=500, lr=0.1):
    """Linear(1, 1) fitted to (x, t) by full-batch gradient descent on MSE."""
    layer, mse = Linear(1, 1), MSE()
    params = layer.init(np.random.default_rng(0))
    for _ in range(steps):
        Y, cache = layer.forward(params, x)
        L, mse_cache = mse.forward(Y, t)
        _, grads = layer.backward(cache, mse.backward(mse_cache))
        params = {k: params[k] - lr * grads[k] for k in params}
    return float(params["W"][0, 0]), float(params["b"][0]), float(L)


def measure(seed=0):
    wrong_logits = np.array([0.0, 1.0, 2.0, 4.0, 6.0, 8.0])  # logit of a wrong class
    Z = np.stack([wrong_logits, np.zeros_like(wrong_logits), np.zeros_like(wrong_logits)], 1)
    y = np.ones(len(Z), dtype=np.int64)  # the correct class is 1, whose logit stays 0
    # one example at a time: a batch's mean would divide each gradient by N
    per_example = [logit_gradients(Z[i : i + 1], y[i : i + 1]) for i in range(len(Z))]
    dZ_ce = np.vstack([ce for ce, _ in per_example])  # (6, 3)
    dZ_mse = np.vstack([mse for _, mse in per_example])  # (6, 3)
    P = Softmax().forward({}, Z)[0]

    digits = load("digits")
    splits = split(digits, seed=seed)
    splits = Standardizer.fit(splits.train, method="minmax").transform_splits(splits)
    curves = {
        name: train_classifier(name, splits, digits.num_classes, seed=seed)
        for name in ("cross-entropy", "MSE")
    }

    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, (100, 1))
    t = 3 * x - 2 + 0.5 * rng.standard_normal((100, 1))
    slope, intercept, final_mse = fit_line(x, t)
    lstsq = np.linalg.lstsq(np.hstack([x, np.ones_like(x)]), t, rcond=None)[0][:, 0]
    try:
        SoftmaxCrossEntropy().forward(x, t[:, 0])
        refusal = "accepted (unexpected)"
    except (TypeError, ValueError) as error:
        refusal = f"{type(error).__name__}: {error}"
    return {
        "wrong_logits": wrong_logits,
        "p_correct": P[:, 1],
        "dz_ce": dZ_ce[:, 1],
        "dz_mse": dZ_mse[:, 1],
        "curves": curves,
        "line": (slope, intercept),
        "lstsq": tuple(float(v) for v in lstsq),
        "final_mse": final_mse,
        "refusal": refusal,
    }


def answer(m):
    lines = [
        "One example, 3 classes, correct class 1 with logit 0; a wrong class's logit grows:",
        f"  {'wrong logit':>11}{'p_correct':>11}{'CE dL/dz_y':>12}{'MSE dL/dz_y':>13}",
    ]
    for row in zip(m["wrong_logits"], m["p_correct"], m["dz_ce"], m["dz_mse"]):
        lines.append(f"  {row[0]:>11g}{row[1]:>11.4f}{row[2]:>12.4f}{row[3]:>13.2e}")
    ce, mse = m["curves"]["cross-entropy"], m["curves"]["MSE"]
    lines.append(
        "digits, MLP [64, 32, 10], SGD lr 0.5, batch 32; validation accuracy every 50 steps:"
    )
    lines.append("  cross-entropy " + " ".join(f"{a:.3f}" for a in ce))
    lines.append("  MSE           " + " ".join(f"{a:.3f}" for a in mse))
    lines.append(
        f"regression t = 3x - 2 + noise: gradient descent on MSE finds slope "
        f"{m['line'][0]:.4f}, intercept {m['line'][1]:.4f}; least squares: "
        f"{m['lstsq'][0]:.4f}, {m['lstsq'][1]:.4f}"
    )
    lines.append(f"cross-entropy on that real target: {m['refusal']}")
    lines.append(
        f"Answer: for classes use cross-entropy: when the model is confidently wrong "
        f"its gradient stays near -1 ({m['dz_ce'][-1]:.3f}) while MSE's through the "
        f"softmax fades ({m['dz_mse'][-1]:.1e}), and after the same steps it reaches "
        f"{ce[-1]:.3f} validation accuracy against MSE's {mse[-1]:.3f}. For a real-valued "
        f"target use MSE (its minimiser is least squares); cross-entropy needs classes."
    )
    return "\n".join(lines)


def draw(m, path):
    from scratch.lessons._common import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].plot(m["wrong_logits"], -m["dz_ce"], "o-", label="cross-entropy")
    axes[0].plot(m["wrong_logits"], -m["dz_mse"], "s-", label="MSE on probabilities")
    axes[0].set(
        yscale="log",
        xlabel="wrong class's logit",
        title="|dL/dz| on the correct logit (one example)",
    )
    for name, curve in m["curves"].items():
        axes[1].plot(np.arange(len(curve)) * 50, curve, "o-", label=name)
    axes[1].set(xlabel="SGD step", ylabel="validation accuracy", title="digits")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save_figure(fig, path)
