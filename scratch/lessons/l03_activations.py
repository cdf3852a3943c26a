"""Lesson 3: the failure modes of ReLU, sigmoid and GELU, measured.

    ReLU     f'(x) = 0 for x < 0: a unit whose pre-activation is negative on every row is dead
             (no gradient, so nothing revives it); a negative bias shift or a large
             learning rate kills units.
    sigmoid  f'(x) = f(x)(1 - f(x)) <= 1/4: in a deep stack the gradient shrinks by up to
             1/4 ||W||_2 per layer on its way down to the input.
    GELU     f'(x) = Phi(x) + x phi(x): non-zero for negative x, so no unit is dead for good.
Runs the scratch activations forward/backward, a 10-layer stack, and the training loop.
"""

import numpy as np

from scratch.nn.activations import GELU, ReLU, Sigmoid
from scratch.nn.linear import Linear
from scratch.optim.optimizers import SGD, Adam

ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "gelu": GELU}


def derivative(layer, X):
    """f'(X) elementwise: backward with an upstream gradient of ones is the derivative."""
    _, cache = layer.forward({}, X)
    return layer.backward(cache, np.ones_like(X))[0]


def stack_gradient_norms(activation, depth=10, width=32, batch=64, seed=0):
    """||dA|| at the input of each Linear of a Linear -> activation stack, from the top
    layer (index depth - 1) down to the first (index 0), for one random upstream gradient.
    Also the spectral norm of each W (for the bound ||dA_in|| <= max f' ||W||_2 ||dA_out||)."""
    rng = np.random.default_rng(seed)
    init = "xavier" if activation == "sigmoid" else "he"
    layers, params = [], []
    for _ in range(depth):
        layers += [Linear(width, width, init=init), ACTIVATIONS[activation]()]
        params += [layers[-2].init(rng), {}]
    A = rng.standard_normal((batch, width))
    caches = []
    for layer, p in zip(layers, params):
        A, cache = layer.forward(p, A)
        caches.append(cache)
    dA = rng.standard_normal(A.shape)
    norms = []
    for layer, cache in zip(reversed(layers), reversed(caches)):
        dA, _ = layer.backward(cache, dA)
        if isinstance(layer, Linear):
            norms.append(float(np.linalg.norm(dA)))
    spectral = [float(np.linalg.norm(p["W"], 2)) for p in params if p]
    return norms[::-1], spectral  # index 0 = the first layer


def measure(seed=0):
    from scratch.lessons._common import toy_splits, train_mlp

    rng = np.random.default_rng(seed)
    x = np.linspace(-4, 4, 161)[:, None]  # (161, 1)
    curves = {
        name: (cls().forward({}, x)[0][:, 0], derivative(cls(), x)[:, 0])
        for name, cls in ACTIVATIONS.items()
    }
    negatives = np.array([[-1.0, -2.0, -3.0]])
    at_negatives = {name: derivative(cls(), negatives)[0] for name, cls in ACTIVATIONS.items()}

    # dead ReLUs as the bias is shifted down, on 32 rows of standard normal inputs
    layer = Linear(64, 256)
    params = layer.init(rng)
    X = rng.standard_normal((32, 64))
    shifts = [0.0, 1.0, 2.0, 3.0, 4.0]
    dead_by_shift = []
    for shift in shifts:
        shifted = {"W": params["W"], "b": params["b"] - shift}
        Y, _ = ReLU().forward({}, layer.forward(shifted, X)[0])
        dead_by_shift.append(float(np.mean(np.all(Y == 0, axis=0))))

    # dead ReLUs after 5 epochs of plain SGD at growing learning rates
    splits = toy_splits("spirals", n=300, seed=seed)
    lrs = [0.01, 0.1, 1.0, 3.0]
    dead_by_lr = []
    for lr in lrs:
        result, mlp, backend = train_mlp(splits, [2, 64, 64, 2], SGD(lr=lr), epochs=5, seed=seed)
        _, cache = mlp.forward(backend.params, splits.train.X)
        dead_by_lr.append(
            [
                float(np.mean(np.all(c.Y == 0, axis=0)))
                for layer, c in zip(mlp.layers, cache.caches)
                if isinstance(layer, ReLU)
            ]
        )

    stacks = {name: stack_gradient_norms(name, seed=seed) for name in ACTIVATIONS}
    trained = {}
    for name in ACTIVATIONS:
        result, _, _ = train_mlp(
            splits, [2, 32, 32, 2], Adam(lr=0.01), activation=name, epochs=30, seed=seed
        )
        best = result.best_epoch - 1
        trained[name] = (result.history.train_accuracy[best], result.history.val_accuracy[best])
    return {
        "x": x[:, 0],
        "curves": curves,
        "negatives": negatives[0],
        "at_negatives": at_negatives,
        "shifts": shifts,
        "dead_by_shift": dead_by_shift,
        "shift_layer": (X, params["W"], params["b"]),
        "lrs": lrs,
        "dead_by_lr": dead_by_lr,
        "stacks": stacks,
        "trained": trained,
    }


def answer(m):
    lines = ["f'(x) at x = " + ", ".join(f"{v:g}" for v in m["negatives"]) + ":"]
    for name, values in m["at_negatives"].items():
        lines.append(f"  {name:<8}" + "".join(f"{v:>11.4g}" for v in values))
    lines.append(
        "ReLU, dead units (zero on all 32 rows) of Linear(64, 256) as its bias shifts down by s:"
    )
    lines.append(
        "  " + "   ".join(f"s={s:g}: {d:.0%}" for s, d in zip(m["shifts"], m["dead_by_shift"]))
    )
    lines.append("ReLU, dead units per hidden layer after 5 epochs of SGD on spirals:")
    for lr, dead in zip(m["lrs"], m["dead_by_lr"]):
        lines.append(f"  lr={lr:<5g} " + ", ".join(f"{d:.0%}" for d in dead))
    lines.append(
        "||gradient|| at each Linear's input in a 10-layer stack (first layer ... top), "
        "and first / top:"
    )
    for name, (norms, _) in m["stacks"].items():
        lines.append(
            f"  {name:<8}"
            + " ".join(f"{n:.2g}" for n in norms)
            + f"   ratio {norms[0] / norms[-1]:.2g}"
        )
    lines.append(
        "The same MLP [2, 32, 32, 2] on spirals, Adam 0.01, 30 epochs, accuracy "
        "train / validation at the best epoch:"
    )
    for name, (train_acc, val_acc) in m["trained"].items():
        lines.append(f"  {name:<8}{train_acc:.3f} / {val_acc:.3f}")
    sigmoid_ratio = m["stacks"]["sigmoid"][0][0] / m["stacks"]["sigmoid"][0][-1]
    lines.append(
        f"Answer: ReLU's failure is dead units (zero gradient for x < 0: "
        f"{max(m['dead_by_lr'][-1]):.0%} of a layer at lr {m['lrs'][-1]:g}); "
        f"sigmoid's is vanishing gradients (f' <= 1/4; the first layer of the stack "
        f"gets {sigmoid_ratio:.2g} of the top's); GELU keeps a gradient for negative "
        f"inputs ({m['at_negatives']['gelu'][0]:.3f} at x = -1, though it fades too: "
        f"{m['at_negatives']['gelu'][-1]:.3f} at x = -3) at the price of a costlier "
        f"function."
    )
    return "\n".join(lines)


def draw(m, path):
    from scratch.lessons._common import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for i, (name, (f, df)) in enumerate(m["curves"].items()):
        axes[0].plot(m["x"], f, color=f"C{i}", label=f"{name}")
        axes[0].plot(m["x"], df, "--", color=f"C{i}", label=f"{name}'")
    axes[0].set(title="activations (solid) and derivatives (dashed)", xlabel="x")
    for name, (norms, _) in m["stacks"].items():
        axes[1].semilogy(range(1, len(norms) + 1), norms, "o-", label=name)
    axes[1].set(title="gradient norm at each layer's input", xlabel="layer (1 = first)")
    axes[2].plot(m["shifts"], m["dead_by_shift"], "o-", label="by bias shift s")
    axes[2].set(title="dead ReLU fraction", xlabel="bias shift s", ylim=(-0.05, 1.05))
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save_figure(fig, path)
