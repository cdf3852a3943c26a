"""Property-based parity over shapes (batch 1 and width 1 included), extreme inputs, and
the documented conventions at x = 0."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference.torch.nn.activations as torch_activations
from parity_tests.registry import RECORDS
from parity_tests.support import TWIN_BACKENDS as BACKENDS
from parity_tests.support import assert_same, autodiff, backend_module
from reference.torch._autodiff import layer_vjp as torch_layer_vjp
from scratch.nn.activations import ELU, LeakyReLU, ReLU

SIZES = st.integers(1, 7)
SEEDS = st.integers(0, 2**32 - 1)


@settings(max_examples=15, deadline=None)
@given(N=SIZES, D=SIZES, M=SIZES, seed=SEEDS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_parity_over_shapes(record, backend, N, D, M, seed):
    # the record says what N, D and M mean for it: Linear(D, M), an MLP D -> ... -> M,
    # 1-d predictions for MSE and BCE when M = 1, and nothing for elementwise layers
    rng = np.random.default_rng(seed)
    sample = record.sample_at(rng, "float64", N, D, M)
    for name, ours, theirs, stage in record.against_twin(backend, sample):
        assert_same(
            f"{record.name}[N={N}, D={D}, M={M}] vs {backend}: {name}",
            ours,
            theirs,
            "float64",
            stage,
        )


EXTREME = [r for r in RECORDS if r.extreme_inputs]


@pytest.mark.parametrize("scale", [1e2, 1e3, 1e4])
@pytest.mark.parametrize("record", EXTREME, ids=lambda r: r.name)
def test_extreme_inputs_stay_finite_and_match_torch(record, scale):
    rng = np.random.default_rng(7)
    sample = record.sample_at(rng, "float64", 6, record.width)
    # logits / pre-activations at +-scale (every entry's magnitude between scale/2 and scale)
    shape = record.main_input(sample).shape
    X = np.sign(rng.standard_normal(shape)) * rng.uniform(0.5, 1.0, shape) * scale
    sample = record.with_input(sample, X)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        outputs = record.run(sample)
        for name, ours, theirs, stage in record.against_twin("torch", sample):
            assert_same(f"{record.name} at {scale:g}: {name}", ours, theirs, "float64", stage)
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


def test_elu_gradient_at_zero_is_alpha_in_all_three():
    X = np.array([[-1.0, 0.0, 2.0]])
    dY = np.array([[0.7, -1.3, 0.4]])
    ours = ELU(alpha=0.7)
    _, cache = ours.forward({}, X)
    dX, _ = ours.backward(cache, dY)
    np.testing.assert_allclose(
        dX, [[0.7 * 0.7 * np.exp(-1.0), -1.3 * 0.7, 0.4]], rtol=1e-15, atol=0
    )
    for backend in BACKENDS:
        twin = backend_module(backend, "nn.activations").ELU(alpha=0.7)
        _, dX_twin, _ = autodiff(backend).layer_vjp(twin, {}, X, dY)
        np.testing.assert_allclose(dX, dX_twin, rtol=1e-15, atol=0, err_msg=backend)
