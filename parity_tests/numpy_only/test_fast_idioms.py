"""The faster forms chosen for speed (issue 17) compute the same numbers as the plain
forms they replaced: bit for bit where the claim is exactness, within an ulp otherwise."""

import math
import warnings

import numpy as np
import pytest

from scratch import GELU, LeakyReLU, ReLU, Sigmoid
from scratch.nn.activations import ELU

RNG = np.random.default_rng(17)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", [0.0, 0.01, 0.1, 0.2, 0.3, 1 / 3, 0.5, 0.7, 0.999, 1.0, 2.5])
def test_leaky_relu_by_multiplication_is_bit_exact(slope, dtype):
    X = (RNG.standard_normal((64, 33)) * 10).astype(dtype)
    X[0, :3] = [0.0, -0.0, np.nan]
    dY = RNG.standard_normal(X.shape).astype(dtype)
    layer = LeakyReLU(slope)
    Y, cache = layer.forward({}, X)
    dX, _ = layer.backward(cache, dY)
    s = dtype(slope)
    np.testing.assert_array_equal(Y, np.where(X > 0, X, s * X))  # nan at the same place
    np.testing.assert_array_equal(dX, np.where(X > 0, dY, s * dY))  # the slope at x = 0
    assert Y.dtype == dX.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 33), (7,), (3, 4, 5)])
@pytest.mark.parametrize("inplace", [False, True])
def test_relu_against_a_zero_row_is_max_against_zero_bit_for_bit(inplace, shape, dtype):
    X = (RNG.standard_normal(shape) * 5).astype(dtype)
    X.flat[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, np.finfo(dtype).smallest_subnormal]
    dY = RNG.standard_normal(X.shape).astype(dtype)
    expected = np.maximum(X, 0)  # the scalar form, slower (see zero_row)
    Y, cache = ReLU()._forward({}, X.copy() if inplace else X, inplace=inplace)
    dX, _ = ReLU()._backward(cache, dY)
    bits = np.dtype(f"u{X.itemsize}")  # compare the bits: -0 against +0, nan payloads
    np.testing.assert_array_equal(Y.view(bits), expected.view(bits))
    np.testing.assert_array_equal(dX, np.where(X > 0, dY, 0))
    assert Y.dtype == dX.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("alpha", [1.0, 0.7, 0.0, 2.5])  # 1.0 skips two passes: check it
def test_elu_is_the_plain_branchy_form_bit_for_bit(alpha, dtype):
    X = (RNG.standard_normal((64, 33)) * 5).astype(dtype)
    X[0, :6] = [0.0, -0.0, np.inf, -np.inf, 1e-30, -1e-30]
    X[1, 0] = np.nan
    dY = RNG.standard_normal(X.shape).astype(dtype)
    layer = ELU(alpha)
    Y, cache = layer.forward({}, X)
    dX, _ = layer.backward(cache, dY)
    a = dtype(alpha)
    with np.errstate(over="ignore", invalid="ignore"):  # the branches not taken
        np.testing.assert_array_equal(Y, np.where(X > 0, X, a * np.expm1(X)))
        np.testing.assert_array_equal(dX, np.where(X > 0, dY, a * np.exp(X) * dY))
    assert Y.dtype == dX.dtype == dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_quiet_and_accurate_at_the_extremes(dtype):
    X = np.array([-1e4, -1000.0, -100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0, 1000.0, 1e4], dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        Y, cache = Sigmoid().forward({}, X)
        dX, _ = Sigmoid().backward(cache, np.ones_like(X))
    exact = np.array([1 / (1 + math.exp(-x)) if x > -700 else 0.0 for x in X.astype(float)])
    ulp = np.spacing(exact.astype(dtype)).astype(float)
    tiny = np.finfo(dtype).tiny  # float32 returns 0 below the smallest normal (exp overflows)
    assert (np.abs(Y.astype(float) - exact) <= np.maximum(ulp, tiny)).all()
    assert Y.dtype == dX.dtype == dtype and np.isfinite(dX).all()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_against_a_math_module_reference(approximate):
    # float64, elementwise with math.erf / math.tanh and x ** 3: the slow plain forms
    X = RNG.standard_normal(2000) * 3
    dY = RNG.standard_normal(2000)
    layer = GELU(approximate)
    Y, cache = layer.forward({}, X)
    dX, _ = layer.backward(cache, dY)
    c = math.sqrt(2 / math.pi)
    if approximate == "none":
        ref_Y = [x * 0.5 * (1 + math.erf(x / math.sqrt(2))) for x in X]
        ref_d = [
            0.5 * (1 + math.erf(x / math.sqrt(2)))
            + x * math.exp(-x * x / 2) / math.sqrt(2 * math.pi)
            for x in X
        ]
    else:
        ref_Y = [0.5 * x * (1 + math.tanh(c * (x + 0.044715 * x**3))) for x in X]
        ref_d = [
            0.5 * (1 + math.tanh(c * (x + 0.044715 * x**3)))
            + 0.5
            * x
            * (1 - math.tanh(c * (x + 0.044715 * x**3)) ** 2)
            * c
            * (1 + 3 * 0.044715 * x * x)
            for x in X
        ]
    # atol: where x << 0, 1 + tanh(u) cancels in both forms (values ~1e-9, equal to ~1e-15)
    np.testing.assert_allclose(Y, ref_Y, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(dX, np.array(ref_d) * dY, rtol=1e-13, atol=1e-13)
