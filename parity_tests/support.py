"""What the tests share, in one place: the backend map and tolerance table (re-exported
from reference/backends.py), the one assertion helper, the parity and gradient-check
runners, and the optimizer objectives and trajectory runner. Test files import helpers
from here, never from each other.

Importing this module imports NumPy, scratch and the registries only: frameworks are
imported inside the functions that need them, so the NumPy-only suite can use it too.
"""

import zlib

import numpy as np

from parity_tests.registry import twin
from reference.backends import (BACKENDS, DTYPES, FLOAT32_ATOL_OF_SCALE, TOLERANCES,  # noqa: F401
                                TWIN_BACKENDS, autodiff, backend_module, tolerance)
from scratch.tools.gradcheck import TOLERANCE as GRADCHECK_TOLERANCE
from scratch.tools.gradcheck import check_layer, check_loss


def assert_same(label, ours, theirs, dtype, stage):
    """Shape, then dtype, then values, each failure labelled with what was compared (after
    tinygrad's test_ops helper). `stage` is "forward" or "gradient"; tolerances come
    from the one table in reference/backends.py."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{label}: shape {ours.shape} != reference {theirs.shape}"
    assert ours.dtype == np.dtype(dtype), f"{label}: dtype {ours.dtype}, expected {dtype}"
    assert theirs.dtype == np.dtype(dtype), f"{label}: reference dtype {theirs.dtype}, expected {dtype}"
    rtol, atol = tolerance(dtype, stage, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=label)


# ---------------------------------------------------------------------------------------
# component parity and gradient checks
# ---------------------------------------------------------------------------------------

def seed_for(*parts):
    return zlib.crc32("/".join(parts).encode())


def run_layer_parity(record, backend, dtype, rng, X=None, params=None):
    """Compare Y, dX and every parameter gradient; returns nothing, asserts everything."""
    ours = record.build()
    params = record.params(rng, dtype) if params is None else params
    if X is None:
        X, _ = record.sample(rng, dtype)
    Y, cache = ours.forward(params, X)
    dY = rng.standard_normal(Y.shape).astype(dtype)  # random upstream gradient, never ones
    dX, grads = ours.backward(cache, dY)
    Y_ref, dX_ref, grads_ref = autodiff(backend).layer_vjp(twin(record, backend), params, X, dY)
    label = f"{record.name} vs {backend} ({dtype})"
    assert_same(f"{label}: Y", Y, Y_ref, dtype, "forward")
    assert_same(f"{label}: dX", dX, dX_ref, dtype, "gradient")
    assert sorted(grads) == sorted(params), f"{label}: grads keys {sorted(grads)} != params keys"
    for key in params:
        assert_same(f"{label}: d{key}", grads[key], grads_ref[key], dtype, "gradient")


def run_loss_parity(record, backend, dtype, rng, Z=None, target=None):
    ours = record.build()
    if Z is None:
        Z, target = record.sample(rng, dtype)
    L, cache = ours.forward(Z, target)
    dL = float(rng.uniform(0.5, 2.0))  # a random upstream scalar, not 1
    dZ = ours.backward(cache, dL)
    L_ref, dZ_ref = autodiff(backend).loss_vjp(twin(record, backend), Z, target, dL)
    label = f"{record.name} vs {backend} ({dtype})"
    assert_same(f"{label}: L", L, L_ref, dtype, "forward")
    assert_same(f"{label}: dZ", dZ, dZ_ref, dtype, "gradient")


def run_dropout_parity(record, backend, dtype, rng):
    """Masks cannot be matched across RNGs: run the twin first, read its mask back as
    Y != 0 (the input has no zeros), hand that mask to scratch, compare exactly."""
    ours = record.build()
    X, _ = record.sample(rng, dtype, N=64)
    dY = rng.standard_normal(X.shape).astype(dtype)
    if backend == "torch":
        import torch
        torch.manual_seed(int(rng.integers(2**31)))
        kwargs = {}
    else:
        import jax
        kwargs = {"key": jax.random.key(int(rng.integers(2**31)))}
    Y_ref, dX_ref, _ = autodiff(backend).layer_vjp(twin(record, backend), {}, X, dY, **kwargs)
    mask = Y_ref != 0
    assert 0 < mask.mean() < 1, "the twin's mask should drop some units and keep others"
    Y, cache = ours.forward({}, X, mask=mask)
    dX, _ = ours.backward(cache, dY)
    label = f"{record.name} vs {backend} ({dtype})"
    assert_same(f"{label}: Y", Y, Y_ref, dtype, "forward")
    assert_same(f"{label}: dX", dX, dX_ref, dtype, "gradient")



def run_gradcheck(record, rng, N=3):
    component = record.build()
    if record.kind == "loss":
        Z, target = record.sample(rng, "float64", N=N)
        return check_loss(component, Z, target, dL=float(rng.uniform(0.5, 2.0)),
                          tolerance=GRADCHECK_TOLERANCE)
    X, _ = record.sample(rng, "float64", N=N)
    params = record.params(rng, "float64")
    modes = [{}]
    if record.kind == "dropout":  # training with a given mask, and eval (the identity)
        modes = [{"mask": rng.random(X.shape) >= component.p}, {"training": False}]
    results = []
    for kwargs in modes:
        Y, _ = component.forward(params, X, **kwargs)
        dY = rng.standard_normal(Y.shape)
        results += check_layer(component, params, X, dY, tolerance=GRADCHECK_TOLERANCE, forward_kwargs=kwargs)
    return results


# ---------------------------------------------------------------------------------------
# objectives: each returns {backend: grad_fn(params) -> grads}, grads as numpy arrays
# ---------------------------------------------------------------------------------------

def sequence_objective(dtype, steps=100, seed=0, shape=(4, 3)):
    """Gradients that ignore the parameters: the same precomputed list for everyone.
    Parameters W of `shape` and b of shape[-1:]."""
    rng = np.random.default_rng(seed)
    sequence = []
    for t in range(steps):
        grads = {"W": rng.standard_normal(shape), "b": rng.standard_normal(shape[-1])}
        if 20 <= t < 25:
            grads = {k: np.zeros_like(g) for k, g in grads.items()}  # a plateau
        if t in (40, 41):
            grads = {k: 1e3 * g for k, g in grads.items()}  # a spike
        sequence.append({k: g.astype(dtype) for k, g in grads.items()})
    init = {"W": rng.standard_normal(shape).astype(dtype),
            "b": rng.standard_normal(shape[-1]).astype(dtype)}
    step = {"i": {}}

    def make(backend):
        step["i"][backend] = 0

        def grad_fn(params):
            i = step["i"][backend]
            step["i"][backend] += 1
            return {k: g.copy() for k, g in sequence[i].items()}
        return grad_fn
    return init, make


def rosenbrock_objective(dtype):
    """f(x) = 0.01 * sum (1 - x_i)^2 + 100 (x_{i+1} - x_i^2)^2, from (-1.2, 1, -1.2, 1);
    scaled by 0.01 so that one learning rate suits every record."""
    init = {"x": np.array([-1.2, 1.0, -1.2, 1.0], dtype=dtype)}

    def numpy_grad(params):
        x = params["x"]
        g = np.zeros_like(x)
        g[:-1] += -2 * (1 - x[:-1]) - 400 * x[:-1] * (x[1:] - x[:-1] ** 2)
        g[1:] += 200 * (x[1:] - x[:-1] ** 2)
        return {"x": 0.01 * g}

    def f_torch(x):
        return 0.01 * ((1 - x[:-1]) ** 2 + 100 * (x[1:] - x[:-1] ** 2) ** 2).sum()

    def make(backend):
        if backend == "numpy":
            return numpy_grad
        if backend == "torch":
            import torch

            def grad_fn(params):
                x = torch.tensor(params["x"], requires_grad=True)
                (g,) = torch.autograd.grad(f_torch(x), [x])
                return {"x": g.numpy()}
            return grad_fn
        import jax
        grad = jax.grad(lambda x: f_torch(x))
        return lambda params: {"x": np.array(grad(jax.numpy.asarray(params["x"])))}
    return init, make


def mlp_objective(dtype):
    """Softmax cross-entropy of Linear(4, 8) -> Tanh -> Linear(8, 3) on 16 fixed examples,
    each backend's gradient from its own components (scratch) or autograd (twins)."""
    from scratch import Linear, SoftmaxCrossEntropy, Tanh
    rng = np.random.default_rng(5)
    X = rng.standard_normal((16, 4)).astype(dtype)
    y = rng.integers(0, 3, 16)
    fc1, act, fc2, loss = Linear(4, 8), Tanh(), Linear(8, 3), SoftmaxCrossEntropy()
    p1, p2 = fc1.init(rng, dtype), fc2.init(rng, dtype)
    init = {"0.W": p1["W"], "0.b": p1["b"] + 0.1, "2.W": p2["W"], "2.b": p2["b"] - 0.1}

    def numpy_grad(params):
        Z1, c1 = fc1.forward({"W": params["0.W"], "b": params["0.b"]}, X)
        A1, ca = act.forward({}, Z1)
        Z2, c2 = fc2.forward({"W": params["2.W"], "b": params["2.b"]}, A1)
        _, cl = loss.forward(Z2, y)
        dA1, g2 = fc2.backward(c2, loss.backward(cl))
        _, g1 = fc1.backward(c1, act.backward(ca, dA1)[0])
        return {"0.W": g1["W"], "0.b": g1["b"], "2.W": g2["W"], "2.b": g2["b"]}

    def make(backend):
        if backend == "numpy":
            return numpy_grad
        lin = backend_module(backend, "nn.linear").Linear(4, 8)
        lin2 = backend_module(backend, "nn.linear").Linear(8, 3)
        tanh = backend_module(backend, "nn.activations").Tanh()
        ce = backend_module(backend, "nn.losses").SoftmaxCrossEntropy()

        def f(p, X, y):
            Z1 = lin.forward({"W": p["0.W"], "b": p["0.b"]}, X)
            Z2 = lin2.forward({"W": p["2.W"], "b": p["2.b"]}, tanh.forward({}, Z1))
            return ce.forward(Z2, y)
        if backend == "torch":
            import torch

            def grad_fn(params):
                p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
                grads = torch.autograd.grad(f(p, torch.tensor(X), torch.tensor(y)), list(p.values()))
                return {k: g.numpy() for k, g in zip(p, grads)}
            return grad_fn
        import jax
        grad = jax.grad(f)
        X_j, y_j = jax.numpy.asarray(X), jax.numpy.asarray(y)
        return lambda params: {k: np.array(v) for k, v in
                               grad({k: jax.numpy.asarray(v) for k, v in params.items()}, X_j, y_j).items()}
    return init, make


# ---------------------------------------------------------------------------------------

def run_trajectory(record, backend, dtype, objective, steps):
    """Step scratch and the twin side by side; assert agreement after every step.
    Returns the largest deviation seen, relative to each array's largest entry."""
    rtol, atol = tolerance(dtype, "trajectory")
    init, make = objective
    ours, theirs = record.build("numpy", compared_with=backend), record.build(backend)
    grad_ours, grad_theirs = make("numpy"), make(backend)
    p_ours, s_ours = dict(init), ours.init(init)
    p_ref, s_ref = dict(init), theirs.init(init)
    worst = 0.0
    for t in range(steps):
        p_ours, s_ours = ours.update(grad_ours(p_ours), s_ours, p_ours)
        p_ref, s_ref = theirs.update(grad_theirs(p_ref), s_ref, p_ref)
        ref_state = theirs.state_arrays(s_ref)
        label = f"{record.name} vs {backend} ({dtype}), after update {t + 1}"
        assert s_ours["step"] == ref_state["step"] == t + 1, label
        assert set(s_ours) == set(ref_state), f"{label}: state {sorted(s_ours)} vs {sorted(ref_state)}"
        pairs = [(f"params[{k!r}]", p_ours[k], p_ref[k]) for k in init]
        pairs += [(f"{slot}[{k!r}]", s_ours[slot][k], ref_state[slot][k])
                  for slot in s_ours if slot != "step" for k in init]
        for name, a, b in pairs:
            assert a.dtype == np.dtype(dtype), f"{label}: {name} is {a.dtype}"
            assert np.isfinite(a).all(), f"{label}: {name} is not finite (diverged)"
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{label}: {name}")
            scale = max(float(np.max(np.abs(b))), np.finfo(dtype).tiny)
            worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b))) / scale)
    return worst
