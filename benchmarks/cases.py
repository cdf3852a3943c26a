"""What the benchmarks time, built identically for numpy, torch and jax.

Each builder returns a Case: `run()` is the timed call (it finishes its work: torch is
eager and synchronous on CPU, jax results end in block_until_ready), and `result()`
returns numpy arrays for the correctness check that precedes timing. Compile time is
excluded for jax by calling the jitted function once while building the case.

    matmul      Y = X @ W                                   2 n^3 flops
    linear      Y = X W + b; dX = dY W^T; dW = X^T dY; db   6 n^3 flops (three matmuls)
    train_step  forward, softmax cross-entropy, backward, SGD momentum update
"""

from typing import Callable, NamedTuple

import numpy as np

BACKENDS = ("numpy", "torch", "jax")
MATMUL_SIZES = (64, 128, 256, 512, 1024, 2048)
# name -> (batch N, layer sizes)
TRAIN_SIZES = {"tiny": (32, [2, 16, 2]), "small": (64, [64, 128, 10]),
               "mnist": (128, [784, 256, 10]), "large": (512, [784, 1024, 10])}
LEARNING_RATE, MOMENTUM = 0.01, 0.9


class Case(NamedTuple):
    run: Callable[[], object]
    result: Callable[[], dict]   # {name: numpy array}, for the cross-backend check
    flops: int


def matmul_inputs(n, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((n, n)).astype(dtype),
            rng.standard_normal(n).astype(dtype), rng.standard_normal((n, n)).astype(dtype))


def matmul_case(backend, n, dtype):
    X, W, _, _ = matmul_inputs(n, dtype)
    flops = 2 * n ** 3
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
    return Case(lambda: f(X_j, W_j).block_until_ready(), lambda: {"Y": np.asarray(f(X_j, W_j))}, flops)


def linear_case(backend, n, dtype):
    """Forward and backward of Linear(n, n) at batch n: the scratch layer itself, torch
    autograd through F.linear, and jax.vjp under jit."""
    X, W, b, dY = matmul_inputs(n, dtype)
    flops = 6 * n ** 3
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
        return {"Y": np.asarray(Y), "dX": np.asarray(dX), "dW": np.asarray(dW), "db": np.asarray(db)}
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
