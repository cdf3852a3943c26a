"""Property-based parity over shapes (batch 1 and width 1 included), extreme inputs, and
the documented conventions at x = 0."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity_tests.registry import RECORDS, Record
from parity_tests.support import TWIN_BACKENDS as BACKENDS, autodiff, run_layer_parity, run_loss_parity
from reference.torch._autodiff import layer_vjp as torch_layer_vjp
import reference.torch.nn.activations as torch_activations
from scratch.nn.activations import LeakyReLU, ReLU

SIZES = st.integers(1, 7)
SEEDS = st.integers(0, 2**32 - 1)
SHAPE_RECORDS = [r for r in RECORDS if r.kind in ("layer", "loss")]


@settings(max_examples=15, deadline=None)
@given(N=SIZES, D=SIZES, M=SIZES, seed=SEEDS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("record", SHAPE_RECORDS, ids=lambda r: r.name)
def test_parity_over_shapes(record, backend, N, D, M, seed):
    rng = np.random.default_rng(seed)
    if record.stem == "nn.linear":
        record = Record(record.name, record.stem, record.cls, record.kind, {"d_in": D, "d_out": M},
                        input_shape=lambda n: (n, D))
    if record.stem == "nn.mlp":  # widths D -> M -> 2
        record = Record(record.name, record.stem, record.cls, record.kind,
                        dict(record.kwargs, sizes=[D, M, 2]), input_shape=lambda n: (n, D))
    shape = (N, D)
    if record.cls == "BCEWithLogits" or record.cls == "MSE":
        shape = (N,) if M == 1 else (N, D)  # 1-d predictions are common for these losses
    if record.kind == "loss":
        Z, target = record.sample(rng, "float64", shape=shape)
        run_loss_parity(record, backend, "float64", rng, Z=Z, target=target)
    else:
        X, _ = record.sample(rng, "float64", shape=shape)
        run_layer_parity(record, backend, "float64", rng, X=X)


EXTREME = [r for r in RECORDS if r.extreme_inputs]


@pytest.mark.parametrize("scale", [1e2, 1e3, 1e4])
@pytest.mark.parametrize("record", EXTREME, ids=lambda r: r.name)
def test_extreme_inputs_stay_finite_and_match_torch(record, scale):
    rng = np.random.default_rng(7)
    # logits / pre-activations at +-scale (every entry's magnitude between scale/2 and scale)
    shape = record.input_shape(6)
    X = np.sign(rng.standard_normal(shape)) * rng.uniform(0.5, 1.0, shape) * scale
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        ours = record.build()
        if record.kind == "loss":
            _, target = record.sample(rng, "float64", shape=shape)
            L, cache = ours.forward(X, target)
            outputs = {"L": L, "dZ": ours.backward(cache, 1.0)}
            run_loss_parity(record, "torch", "float64", rng, Z=X, target=target)
        else:
            Y, cache = ours.forward({}, X)
            outputs = {"Y": Y, "dX": ours.backward(cache, rng.standard_normal(Y.shape))[0]}
            run_layer_parity(record, "torch", "float64", rng, X=X)
    for name, value in outputs.items():
        assert np.isfinite(value).all(), f"{record.name} at {scale:g}: {name} is not finite"


def test_relu_gradient_at_zero_is_zero_like_torch():
    X = np.array([[-1.0, 0.0, 2.0]])
    dY = np.array([[0.7, -1.3, 0.4]])
    _, cache = ReLU().forward({}, X)
    dX, _ = ReLU().backward(cache, dY)
    _, dX_ref, _ = torch_layer_vjp(torch_activations.ReLU(), {}, X, dY)
    np.testing.assert_array_equal(dX, [[0.0, 0.0, 0.4]])
    np.testing.assert_array_equal(dX, dX_ref)


def test_leaky_relu_gradient_at_zero_is_the_slope_like_torch_not_jax():
    X = np.array([[-1.0, 0.0, 2.0]])
    dY = np.array([[0.7, -1.3, 0.4]])
    _, cache = LeakyReLU(0.1).forward({}, X)
    dX, _ = LeakyReLU(0.1).backward(cache, dY)
    _, dX_torch, _ = torch_layer_vjp(torch_activations.LeakyReLU(0.1), {}, X, dY)
    np.testing.assert_allclose(dX, [[0.07, -0.13, 0.4]], rtol=1e-15, atol=0)
    np.testing.assert_array_equal(dX, dX_torch)
    # documented difference: jax.nn.leaky_relu takes the identity branch at exactly 0
    import reference.jax.nn.activations as jax_activations
    _, dX_jax, _ = autodiff("jax").layer_vjp(jax_activations.LeakyReLU(0.1), {}, X, dY)
    assert dX_jax[0, 1] == pytest.approx(-1.3, rel=1e-15)
