"""The MLP in training mode: dropout masks drawn by scratch are replayed by the torch
nn.Sequential and the jax function, and outputs and gradients agree."""

import numpy as np
import pytest

from parity_tests.support import assert_same, autodiff, backend_module
from reference.torch.nn.mlp import MLP as TorchMLP
from scratch.nn.mlp import MLP


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_training_mode_with_replayed_dropout_masks(backend, dtype):
    rng = np.random.default_rng(11)
    mlp = MLP([6, 16, 12, 4], activation="leaky_relu", dropout=0.4)
    # non-zero biases, so that db and the bias's effect on forward are both exercised
    params = {
        k: (v + 0.1 if k.endswith(".b") else v).astype(dtype)
        for k, v in mlp.init(rng, dtype).items()
    }
    X = rng.standard_normal((9, 6)).astype(dtype)
    Y, cache = mlp.forward(params, X, training=True, rng=rng)
    assert sorted(cache.masks) == mlp.dropout_indices() == [2, 5]
    dY = rng.standard_normal(Y.shape).astype(dtype)
    dX, grads = mlp.backward(cache, dY)
    if backend == "torch":
        import torch

        masks = {i: torch.tensor(m) for i, m in cache.masks.items()}
    else:
        import jax.numpy as jnp

        masks = {i: jnp.asarray(m) for i, m in cache.masks.items()}
    twin = backend_module(backend, "nn.mlp").MLP(
        [6, 16, 12, 4], activation="leaky_relu", dropout=0.4
    )
    Y_ref, dX_ref, grads_ref = autodiff(backend).layer_vjp(
        twin, params, X, dY, training=True, masks=masks
    )
    assert_same("Y", Y, Y_ref, dtype, "forward")
    assert_same("dX", dX, dX_ref, dtype, "gradient")
    for key in params:
        assert_same(f"d{key}", grads[key], grads_ref[key], dtype, "gradient")


def test_eval_mode_ignores_dropout():
    rng = np.random.default_rng(0)
    mlp = MLP([3, 5, 2], dropout=0.5)
    params = mlp.init(rng)
    X = rng.standard_normal((4, 3))
    Y1, cache = mlp.forward(params, X)
    Y2, _ = mlp.forward(params, X, training=False)
    np.testing.assert_array_equal(Y1, Y2)
    assert cache.masks == {}


def test_torch_twin_is_a_real_sequential_with_transposed_weights():
    import torch

    rng = np.random.default_rng(0)
    mlp = MLP([3, 5, 2], activation="tanh")
    params = mlp.init(rng)
    twin = TorchMLP([3, 5, 2], activation="tanh")
    module = twin.load(params)
    assert isinstance(module, torch.nn.Sequential)
    assert [type(m).__name__ for m in module] == ["Linear", "Tanh", "Linear"]
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), params["0.W"].T)
    X = rng.standard_normal((4, 3))
    np.testing.assert_allclose(
        module(torch.tensor(X)).detach().numpy(), mlp.forward(params, X)[0], rtol=1e-12, atol=1e-14
    )
