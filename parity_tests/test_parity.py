"""Registry-driven parity: every component's forward output and every gradient against its
torch twin and its jax twin, float64 and float32, under a random upstream gradient."""

import numpy as np
import pytest

from parity_tests.registry import RECORDS
from parity_tests.support import (DTYPES, TWIN_BACKENDS as BACKENDS, assert_same, autodiff,
                                  backend_module, run_dropout_parity, run_layer_parity,
                                  run_loss_parity, seed_for)

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
            backend_module(backend, "nn.linear").Linear(1, 1), params, X, dY)
        assert_same("Linear(1,1) dX", dX, dX_ref, "float64", "gradient")
        assert_same("Linear(1,1) dW", grads["W"], grads_ref["W"], "float64", "gradient")
        return
    width = record.kwargs["sizes"][0] if "sizes" in record.kwargs else 1  # MLP: batch 1 only
    X = record.make_input(rng, (1, width))
    run_layer_parity(record, backend, "float64", rng, X=X)
