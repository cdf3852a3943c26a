"""The third oracle: every sample of every registry component, backward against central
differences in float64, with no framework involved; and the checker itself proved able
to fail."""

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity_tests.registry import RECORDS
from parity_tests.support import GRADCHECK_TOLERANCE as TOLERANCE
from parity_tests.support import run_gradcheck
from scratch.nn.activations import Tanh
from scratch.nn.linear import Linear
from scratch.tools.gradcheck import GradientCheckError, check_layer, numerical_gradient


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_backward_matches_central_differences(record):
    rng = np.random.default_rng(zlib.crc32(record.name.encode()))
    results = run_gradcheck(record, rng)
    assert results, "the check compared nothing"
    for r in results:
        assert r.max_rel_error <= TOLERANCE


@settings(max_examples=60, deadline=None)
@given(
    N=st.integers(1, 12), D=st.integers(1, 12), M=st.integers(1, 12), seed=st.integers(0, 2**32 - 1)
)
def test_linear_gradcheck_over_shapes(N, D, M, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(D, M)
    params = {k: rng.standard_normal(v.shape) for k, v in layer.init(rng).items()}
    check_layer(
        layer, params, rng.standard_normal((N, D)), rng.standard_normal((N, M)), tolerance=TOLERANCE
    )


def test_numerical_gradient_of_a_known_function():
    x = np.array([0.3, -1.2, 2.0])
    grad = numerical_gradient(lambda: float(np.sum(x**3)), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(x, [0.3, -1.2, 2.0])  # restored exactly


def test_checker_names_parameter_and_index_on_a_wrong_backward():
    class WrongBias(Linear):
        def backward(self, cache, dY):
            dX, grads = super().backward(cache, dY)
            grads["b"] = grads["b"].copy()
            grads["b"][2] *= 1.001
            return dX, grads

    rng = np.random.default_rng(0)
    layer = WrongBias(3, 4)
    params = {k: rng.standard_normal(v.shape) for k, v in layer.init(rng).items()}
    with pytest.raises(GradientCheckError, match=r"gradient of b at index \(2,\)"):
        check_layer(layer, params, rng.standard_normal((5, 3)), rng.standard_normal((5, 4)))


def test_checker_rejects_float32_perturbation():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_gradcheck_of_tiny_gradients_is_not_fooled_by_rounding_noise():
    # tanh at |x| ~ 5: f' ~ 1e-4 to 1e-6, where central differences carry ~1e-10 of
    # absolute rounding noise; the tiny floor keeps that from reading as an error
    rng = np.random.default_rng(1)
    X = 5 + rng.uniform(-0.5, 0.5, (4, 3))
    check_layer(Tanh(), {}, X, rng.standard_normal(X.shape), tolerance=TOLERANCE)
