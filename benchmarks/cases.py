"""What the benchmarks time, built identically for numpy, torch and jax.

Each builder returns a Case: `run()` is the timed call (it finishes its work: torch is
eager and synchronous on CPU, jax results end in block_until_ready), and `result()`
returns numpy arrays for the correctness check that precedes timing. Compile time is
excluded for jax by calling the jitted function once while building the case.

    matmul      Y = X @ W                                   2 n^3 flops
    linear      Y = X W + b; dX = dY W^T; dW = X^T dY; db   6 n^3 flops (three matmuls)
    train_step  forward, softmax cross-entropy, backward, SGD momentum update
    activation  forward + backward of one activation or loss on an (N, H) array
    train_variant  the training step with other activations, Adam, dropout, float64:
                the main job's configuration among them
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

BACKENDS = ("numpy", "torch", "jax")
MATMUL_SIZES = (64, 128, 256, 512, 1024, 2048)
# name -> (batch N, layer sizes)
TRAIN_SIZES = {
    "tiny": (32, [2, 16, 2]),
    "small": (64, [64, 128, 10]),
    "mnist": (128, [784, 256, 10]),
    "large": (512, [784, 1024, 10]),
}
LEARNING_RATE, MOMENTUM = 0.01, 0.9


class Case(NamedTuple):
    run: Callable[[], object]
    result: Callable[[], dict]  # {name: numpy array}, for the cross-backend check
    flops: int


def matmul_inputs(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((n, n)).astype(dtype),
        rng.standard_normal((n, n)).astype(dtype),
        rng.standard_normal(n).astype(dtype),
        rng.standard_normal((n, n)).astype(dtype),
    )


def matmul_case(backend, n, dtype):
    X, W, _, _ = matmul_inputs(n, dtype)
    flops = 2 * n**3
    if backend == "numpy":
        return Case(lambda: X @ W, lambda: {"Y": X @ W}, flops)
    if backend == "torch":
        import torch

        X_t, W_t = torch.from_numpy(X), torch.from_numpy(W)
        return Case(lambda: X_t @ W_t, lambda: {"Y": (X_t @ W_t).numpy()}, flops)
    import jax
    import jax.numpy as jnp

    X_j, W_j = jnp.asarray(X), jnp.asarray(W)
    f = jax.jit(jnp.matmul)
    f(X_j, W_j).block_until_ready()  # compile outside the timing
    return Case(
        lambda: f(X_j, W_j).block_until_ready(), lambda: {"Y": np.asarray(f(X_j, W_j))}, flops
    )


def linear_case(backend, n, dtype):
    """Forward and backward of Linear(n, n) at batch n: the scratch layer itself, torch
    autograd through F.linear, and jax.vjp under jit."""
    X, W, b, dY = matmul_inputs(n, dtype)
    flops = 6 * n**3
    if backend == "numpy":
        from scratch.nn.linear import Linear

        layer, params = Linear(n, n), {"W": W, "b": b}

        def step():
            Y, cache = layer.forward(params, X)
            dX, grads = layer.backward(cache, dY)
            return Y, dX, grads

        def result():
            Y, dX, grads = step()
            return {"Y": Y, "dX": dX, "dW": grads["W"], "db": grads["b"]}

        return Case(step, result, flops)
    if backend == "torch":
        import torch
        import torch.nn.functional as F

        X_t, W_t, b_t, dY_t = (torch.from_numpy(a) for a in (X, W, b, dY))
        X_t.requires_grad_(True), W_t.requires_grad_(True), b_t.requires_grad_(True)

        def step():
            Y = F.linear(X_t, W_t.T, b_t)
            return Y, torch.autograd.grad(Y, (X_t, W_t, b_t), dY_t)

        def result():
            Y, (dX, dW, db) = step()
            return {"Y": Y.detach().numpy(), "dX": dX.numpy(), "dW": dW.numpy(), "db": db.numpy()}

        return Case(step, result, flops)
    import jax
    import jax.numpy as jnp

    X_j, W_j, b_j, dY_j = (jnp.asarray(a) for a in (X, W, b, dY))

    @jax.jit
    def step_j(X, W, b, dY):
        Y, pullback = jax.vjp(lambda X, W, b: X @ W + b, X, W, b)
        return Y, pullback(dY)

    jax.block_until_ready(step_j(X_j, W_j, b_j, dY_j))

    def result():
        Y, (dX, dW, db) = step_j(X_j, W_j, b_j, dY_j)
        return {
            "Y": np.asarray(Y),
            "dX": np.asarray(dX),
            "dW": np.asarray(dW),
            "db": np.asarray(db),
        }

    return Case(lambda: jax.block_until_ready(step_j(X_j, W_j, b_j, dY_j)), result, flops)


def train_flops(N, sizes):
    """Matmul flops of one step: forward 2 N D M per layer, backward twice that (dX and
    dW); the first layer's dX is skipped by torch and jax but computed by scratch."""
    return sum(6 * N * d_in * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:]))


def train_step_case(backend, size, dtype="float32"):
    """One SGD-momentum step of the MLP on a fixed random batch, from identical
    initial parameters, through each backend's training Backend (the main job's code)."""
    from reference.backends import backend_module
    from scratch.nn.mlp import MLP

    N, sizes = TRAIN_SIZES[size]
    rng = np.random.default_rng(1)
    mlp = MLP(sizes)
    params = mlp.init(rng, dtype=dtype)
    X = rng.standard_normal((N, sizes[0])).astype(dtype)
    y = rng.integers(0, sizes[-1], N)
    optimizer = backend_module(backend, "optim.optimizers").SGD(lr=LEARNING_RATE, momentum=MOMENTUM)

    def fresh():
        return backend_module(backend, "training.train").Backend(mlp, params, optimizer)

    stepper = fresh()
    stepper.train_step(X, y, {})  # warm-up: jax compiles here, torch allocates

    def result():
        # one step from the shared initial parameters, on a fresh backend
        once = fresh()
        loss = once.train_step(X, y, {})
        return {"loss": np.asarray(loss, dtype=dtype), **once.get_params()}

    return Case(lambda: stepper.train_step(X, y, {}), result, train_flops(N, sizes))


# -- activations and losses (issue 17) ------------------------------------------------------
# two sizes: a hidden layer of the main job (batch 32, width 256) and a large one
ACTIVATION_SHAPES = {"small": (32, 256), "large": (512, 1024)}
# name -> (module stem under nn, class name, constructor arguments, "layer" or the loss's target)
ACTIVATIONS = {
    "relu": ("activations", "ReLU", {}, "layer"),
    "leaky_relu": ("activations", "LeakyReLU", {"slope": 0.01}, "layer"),
    "elu": ("activations", "ELU", {"alpha": 1.0}, "layer"),
    "sigmoid": ("activations", "Sigmoid", {}, "layer"),
    "tanh": ("activations", "Tanh", {}, "layer"),
    "gelu_exact": ("activations", "GELU", {"approximate": "none"}, "layer"),
    "gelu_tanh": ("activations", "GELU", {"approximate": "tanh"}, "layer"),
    "softmax": ("softmax", "Softmax", {}, "layer"),
    "log_softmax": ("softmax", "LogSoftmax", {}, "layer"),
    "mse": ("losses", "MSE", {}, "real"),
    "bce_logits": ("losses", "BCEWithLogits", {}, "probability"),
    "softmax_ce": ("losses", "SoftmaxCrossEntropy", {}, "labels"),
}


def activation_label(name, size):
    N, H = ACTIVATION_SHAPES[size]
    return f"{name} {size} {N}x{H}"


def activation_case(backend, label, dtype):
    """Forward and backward of one component on a random (N, H) input with a random
    upstream gradient (losses: backward of the mean, dL = 1), through the component
    itself (numpy: its public, checked forward/backward), torch autograd, jax.vjp under jit.
    `label` is activation_label(name, size). flops holds the element count N * H."""
    from importlib import import_module

    name, size, _ = label.split()
    stem, cls, kwargs, target_kind = ACTIVATIONS[name]
    N, H = ACTIVATION_SHAPES[size]
    rng = np.random.default_rng(3)
    X = rng.standard_normal((N, H)).astype(dtype)
    dY = rng.standard_normal((N, H)).astype(dtype)
    target = {
        "real": lambda: rng.standard_normal((N, H)).astype(dtype),
        "probability": lambda: rng.uniform(0, 1, (N, H)).astype(dtype),
        "labels": lambda: rng.integers(0, H, N),
        "layer": lambda: None,
    }[target_kind]()
    root = {"numpy": "scratch", "torch": "reference.torch", "jax": "reference.jax"}[backend]
    component = getattr(import_module(f"{root}.nn.{stem}"), cls)(**kwargs)
    is_loss = target is not None
    if backend == "numpy":
        if is_loss:

            def step():
                L, cache = component.forward(X, target)
                return L, component.backward(cache)
        else:

            def step():
                Y, cache = component.forward({}, X)
                return Y, component.backward(cache, dY)[0]

        first = step
    elif backend == "torch":
        import torch

        X_t = torch.from_numpy(X).requires_grad_(True)
        dY_t = torch.from_numpy(dY)
        T_t = None if target is None else torch.from_numpy(target)
        if is_loss:

            def step():
                L = component.forward(X_t, T_t)
                return L, torch.autograd.grad(L, X_t)[0]
        else:

            def step():
                Y = component.forward({}, X_t)
                return Y, torch.autograd.grad(Y, X_t, dY_t)[0]

        first = step
    else:
        import jax
        import jax.numpy as jnp

        X_j, dY_j = jnp.asarray(X), jnp.asarray(dY)
        T_j = None if target is None else jnp.asarray(target)
        if is_loss:
            step_j = jax.jit(jax.value_and_grad(lambda Z, T: component.forward(Z, T)))
            args = (X_j, T_j)
        else:

            @jax.jit
            def step_j(X, dY):
                Y, pullback = jax.vjp(lambda x: component.forward({}, x), X)
                return Y, pullback(dY)[0]

            args = (X_j, dY_j)
        jax.block_until_ready(step_j(*args))  # compile outside the timing

        def step():
            return jax.block_until_ready(step_j(*args))

        first = step

    def result():
        out, grad = first()
        as_numpy = (lambda a: a.detach().numpy()) if backend == "torch" else np.asarray
        key = ("L", "dZ") if is_loss else ("Y", "dX")
        return {key[0]: np.asarray(as_numpy(out), dtype=dtype), key[1]: as_numpy(grad)}

    return Case(step, result, N * H)


# -- training-step variants (issue 17) ------------------------------------------------------
# name -> (batch N, sizes, activation, dropout, optimizer, dtype); "main job" is what
# `python -m reference train` runs by default (digits: 64 features, 10 classes)
TRAIN_VARIANTS = {
    "main job": (32, [64, 256, 128, 10], "relu", 0.2, "adam", "float64"),
    "main job gelu": (32, [64, 256, 128, 10], "gelu", 0.2, "adam", "float64"),
    "main job tanh": (32, [64, 256, 128, 10], "tanh", 0.2, "adam", "float64"),
    "main job sigmoid": (32, [64, 256, 128, 10], "sigmoid", 0.2, "adam", "float64"),
    "mnist adam": (128, [784, 256, 10], "relu", 0.0, "adam", "float32"),
    "mnist gelu": (128, [784, 256, 10], "gelu", 0.0, "momentum", "float32"),
    "mnist tanh": (128, [784, 256, 10], "tanh", 0.0, "momentum", "float32"),
    "mnist sigmoid": (128, [784, 256, 10], "sigmoid", 0.0, "momentum", "float32"),
}


def train_variant_case(backend, name, dtype=None):
    """One training step of a TRAIN_VARIANTS configuration through each backend's
    training Backend, from identical initial parameters, with the same dropout masks
    (drawn once, as the training plan draws them). `dtype` is the variant's own."""
    from importlib import import_module

    from scratch.nn.mlp import MLP

    N, sizes, activation, dropout, optimizer_name, own_dtype = TRAIN_VARIANTS[name]
    assert dtype in (None, own_dtype), (name, dtype)
    rng = np.random.default_rng(1)
    mlp = MLP(sizes, activation=activation, dropout=dropout)
    params = mlp.init(rng, dtype=own_dtype)
    X = rng.standard_normal((N, sizes[0])).astype(own_dtype)
    y = rng.integers(0, sizes[-1], N)
    masks = {
        index: rng.random((N, mlp.layers[index - 2].d_out)) >= dropout
        for index in mlp.dropout_indices()
    }
    root = {"numpy": "scratch", "torch": "reference.torch", "jax": "reference.jax"}[backend]
    optimizers = import_module(f"{root}.optim.optimizers")
    optimizer = (
        optimizers.Adam(lr=1e-3)
        if optimizer_name == "adam"
        else optimizers.SGD(lr=LEARNING_RATE, momentum=MOMENTUM)
    )

    stepper = import_module(f"{root}.training.train").Backend(mlp, params, optimizer)
    # the warm-up step (jax compiles here, torch allocates) is the one that is checked:
    # one step from the shared initial parameters; a second backend would compile again
    first = {
        "loss": np.asarray(stepper.train_step(X, y, masks), dtype=own_dtype),
        **stepper.get_params(),
    }
    return Case(lambda: stepper.train_step(X, y, masks), lambda: first, train_flops(N, sizes))
