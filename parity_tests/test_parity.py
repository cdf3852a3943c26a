"""Registry-driven parity: every component's forward output and every gradient against its
torch twin and its jax twin, float64 and float32, under a random upstream gradient."""

import zlib
from importlib import import_module

import numpy as np
import pytest

from parity_tests.checks import assert_same
from parity_tests.registry import RECORDS, twin

BACKENDS = ["torch", "jax"]
DTYPES = ["float64", "float32"]


def seed_for(*parts):
    return zlib.crc32("/".join(parts).encode())


def autodiff(backend):
    return import_module(f"reference.{backend}._autodiff")


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


RUNNERS = {"layer": run_layer_parity, "loss": run_loss_parity, "dropout": run_dropout_parity}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_forward_and_gradients_match_twin(record, backend, dtype):
    rng = np.random.default_rng(seed_for(record.name, backend, dtype))
    RUNNERS[record.kind](record, backend, dtype, rng)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("record", [r for r in RECORDS if r.kind == "layer"], ids=lambda r: r.name)
def test_batch_of_one_and_width_one(record, backend):
    rng = np.random.default_rng(seed_for("narrow", record.name, backend))
    if record.stem == "nn.linear":
        from scratch.nn.linear import Linear
        layer = Linear(1, 1)
        params = {k: rng.standard_normal(v.shape) for k, v in layer.init(rng).items()}
        X = rng.standard_normal((1, 1))
        Y, cache = layer.forward(params, X)
        dY = rng.standard_normal(Y.shape)
        dX, grads = layer.backward(cache, dY)
        _, dX_ref, grads_ref = autodiff(backend).layer_vjp(
            import_module(f"reference.{backend}.nn.linear").Linear(1, 1), params, X, dY)
        assert_same("Linear(1,1) dX", dX, dX_ref, "float64", "gradient")
        assert_same("Linear(1,1) dW", grads["W"], grads_ref["W"], "float64", "gradient")
        return
    width = record.kwargs["sizes"][0] if "sizes" in record.kwargs else 1  # MLP: batch 1 only
    X = record.make_input(rng, (1, width))
    run_layer_parity(record, backend, "float64", rng, X=X)
