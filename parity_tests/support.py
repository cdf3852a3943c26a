"""What the tests share, in one place: the backend map and tolerance table (re-exported
from reference/backends.py), the one assertion helper, the gradient-check runner, and
the optimizer objectives and trajectory runner. Test files import helpers from here,
never from each other.

Importing this module imports NumPy, scratch and the registries only: frameworks are
imported inside the functions that need them, so the NumPy-only suite can use it too.
"""

import numpy as np

from parity_tests.registry import seed_for  # noqa: F401
from reference.backends import (  # noqa: F401
    BACKENDS,
    DTYPES,
    TOLERANCES,
    TWIN_BACKENDS,
    autodiff,
    backend_module,
    tolerance,
)
from scratch.tools.gradcheck import TOLERANCE as GRADCHECK_TOLERANCE


def assert_same(label, ours, theirs, dtype, stage):
    """Shape, then dtype, then values, each failure labelled with what was compared (after
    tinygrad's test_ops helper). `stage` is "forward" or "gradient"; tolerances come
    from the one table in reference/backends.py."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{label}: shape {ours.shape} != reference {theirs.shape}"
    assert ours.dtype == np.dtype(dtype), f"{label}: dtype {ours.dtype}, expected {dtype}"
    assert theirs.dtype == np.dtype(dtype), (
        f"{label}: reference dtype {theirs.dtype}, expected {dtype}"
    )
    rtol, atol = tolerance(dtype, stage, theirs)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=label)


# ---------------------------------------------------------------------------------------
# gradient checks (the per-kind work is the registry record's)
# ---------------------------------------------------------------------------------------


def run_gradcheck(record, rng):
    """Every float64 sample of `record` through the central-difference check; raises
    GradientCheckError naming the tensor and index, else returns every result."""
    results = []
    for sample in record.samples(rng, "float64"):
        results += record.gradcheck(sample, GRADCHECK_TOLERANCE)
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
    init = {
        "W": rng.standard_normal(shape).astype(dtype),
        "b": rng.standard_normal(shape[-1]).astype(dtype),
    }
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
                grads = torch.autograd.grad(
                    f(p, torch.tensor(X), torch.tensor(y)), list(p.values())
                )
                return {k: g.numpy() for k, g in zip(p, grads)}

            return grad_fn
        import jax

        grad = jax.grad(f)
        X_j, y_j = jax.numpy.asarray(X), jax.numpy.asarray(y)
        return lambda params: {
            k: np.array(v)
            for k, v in grad({k: jax.numpy.asarray(v) for k, v in params.items()}, X_j, y_j).items()
        }

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
        assert set(s_ours) == set(ref_state), (
            f"{label}: state {sorted(s_ours)} vs {sorted(ref_state)}"
        )
        pairs = [(f"params[{k!r}]", p_ours[k], p_ref[k]) for k in init]
        pairs += [
            (f"{slot}[{k!r}]", s_ours[slot][k], ref_state[slot][k])
            for slot in s_ours
            if slot != "step"
            for k in init
        ]
        for name, a, b in pairs:
            assert a.dtype == np.dtype(dtype), f"{label}: {name} is {a.dtype}"
            assert np.isfinite(a).all(), f"{label}: {name} is not finite (diverged)"
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{label}: {name}")
            scale = max(float(np.max(np.abs(b))), np.finfo(dtype).tiny)
            worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b))) / scale)
    return worst
