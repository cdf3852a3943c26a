"""MLP.from_layers over layers in any order (issue: a first layer that is not a Linear
used to raise KeyError '0.W'): forward and backward against central differences and
against the layers composed by hand, inputs left unmodified, and clear errors."""

import numpy as np
import pytest

from parity_tests.support import GRADCHECK_TOLERANCE
from scratch.nn.activations import GELU, ReLU, Sigmoid, Tanh
from scratch.nn.dropout import Dropout
from scratch.nn.linear import Linear
from scratch.nn.mlp import MLP
from scratch.protocol import Layer
from scratch.tools.gradcheck import check_layer


class Doubled(Layer):
    """A layer of a user's own that changes the width: X (N, D) -> [X, 2X] (N, 2D)."""

    def forward(self, params, X):
        return np.concatenate([X, 2 * X], axis=1), X.shape[1]

    def backward(self, cache, dY):
        D = cache
        return dY[:, :D] + 2 * dY[:, D:], {}


ORDERS = {
    "relu_first": lambda: [ReLU(), Linear(3, 2)],
    "activations_around": lambda: [Tanh(), Linear(3, 4), ReLU(), Linear(4, 2), Sigmoid()],
    "dropout_eval_first": lambda: [Dropout(0.5), GELU(), Linear(3, 2)],
    "user_layer_first": lambda: [Doubled(), Linear(6, 4), ReLU(), Linear(4, 2)],
    "linear_last_only": lambda: [Sigmoid(), Tanh(), Linear(3, 1)],
}


def by_hand(layers, params, X):
    """The layers composed one by one through their public forward (eval mode)."""
    A = X
    for index, layer in enumerate(layers):
        p = {k.split(".")[1]: v for k, v in params.items() if k.split(".")[0] == str(index)}
        A, _ = (
            layer.forward(p, A, training=False)
            if isinstance(layer, Dropout)
            else layer.forward(p, A)
        )
    return A


@pytest.mark.parametrize("order", ORDERS)
def test_any_layer_order_runs_and_is_right(order):
    rng = np.random.default_rng(4)
    layers = ORDERS[order]()
    mlp = MLP.from_layers(layers)
    params = {k: rng.standard_normal(v.shape) for k, v in mlp.init(rng).items()}
    first = next(i for i, layer in enumerate(layers) if isinstance(layer, Linear))
    assert f"{first}.W" in params  # keyed by the Linear's own index
    X = rng.standard_normal((5, 3))
    X[np.abs(X) < 1e-3] = 1e-3  # off the ReLU kink
    X_before = X.copy()
    Y, cache = mlp.forward(params, X)
    np.testing.assert_allclose(Y, by_hand(ORDERS[order](), params, X), rtol=1e-13, atol=1e-15)
    dY = rng.standard_normal(Y.shape)
    dX, grads = mlp.backward(cache, dY)
    np.testing.assert_array_equal(X, X_before)  # a ReLU first must not overwrite X
    assert sorted(grads) == sorted(params)
    check_layer(mlp, params, X, dY, tolerance=GRADCHECK_TOLERANCE)  # raises on a wrong entry


def test_the_reported_case_no_longer_raises_key_error():
    mlp = MLP.from_layers([ReLU(), Linear(3, 2)])
    params = mlp.init(np.random.default_rng(0))
    assert sorted(params) == ["1.W", "1.b"]
    X = np.array([[-1.0, 2.0, 0.5]])
    Y, _ = mlp.forward(params, X)
    np.testing.assert_allclose(Y, np.maximum(X, 0) @ params["1.W"] + params["1.b"], rtol=1e-15)


def test_wrong_width_is_named_by_the_mlp_when_it_can_tell():
    mlp = MLP.from_layers([ReLU(), Linear(3, 2)])
    params = mlp.init(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"expects X of shape \(N, 3\); got \(2, 4\)"):
        mlp.forward(params, np.ones((2, 4)))
    with pytest.raises(TypeError, match="parameters' dtype float64; got float32"):
        mlp.forward(params, np.ones((2, 3), dtype=np.float32))


def test_wrong_width_after_a_user_layer_is_named_by_the_linear():
    # Doubled makes the width 2 x 2 = 4, but the Linear expects 6: its own check says so
    mlp = MLP.from_layers([Doubled(), Linear(6, 2)])
    params = mlp.init(np.random.default_rng(0))
    with pytest.raises(
        ValueError, match=r"Linear\(6, 2, init='he'\) expects X of shape \(N, 6\); got \(3, 4\)"
    ):
        mlp.forward(params, np.ones((3, 2)))
