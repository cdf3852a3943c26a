"""Elementwise activations: ReLU, LeakyReLU, ELU, Sigmoid, Tanh, GELU.

Shape ledger (any shape S, typically (N, H)):
    X  S   input (pre-activation)      dX S = dY * f'(X)
    Y  S   output f(X)                 dY S upstream gradient
    cache: whichever of X or Y gives f' most cheaply and stably:
        LeakyReLU, ELU, GELU keep X;  ReLU, Sigmoid and Tanh keep Y (f' is a function of f).

Conventions at kinks, matching torch.nn.functional:
    ReLU'(0) = 0 (F.relu and jax.nn.relu agree).
    LeakyReLU'(0) = slope (F.leaky_relu; note jax.nn.leaky_relu gives 1 at exactly 0).
    ELU'(0) = alpha (F.elu and jax.nn.elu agree: the x <= 0 branch).
"""

import math
from typing import NamedTuple

import numpy as np

from scratch.protocol import Layer, check_choice, check_float_array, check_real, check_upstream


class InputCache(NamedTuple):
    X: np.ndarray  # S, the pre-activation


class OutputCache(NamedTuple):
    Y: np.ndarray  # S, the activation


def _check_input(where, X):
    check_float_array(where, "X", X)
    if X.ndim == 0:
        raise ValueError(f"{where} expects X with at least one axis; got a 0-d array")
    return X


class _Activation(Layer):
    """Shared boundary checks; subclasses write the math in _forward and _backward (which
    an MLP calls directly, having checked its input once)."""

    def forward(self, params, X):
        _check_input(repr(self), X)
        return self._forward(params, X)

    def backward(self, cache, dY):
        like = cache[0]  # X or Y: the shape and dtype dY must have
        check_upstream(f"{self!r}.backward", "dY", dY, like.shape, like.dtype)
        return self._backward(cache, dY)


class ReLU(_Activation):
    """Caches its output: y > 0 exactly where x > 0, so Y alone gives the gradient, and
    an MLP may apply ReLU in place over a pre-activation that nothing else needs."""

    def __repr__(self):
        return "ReLU()"

    def _forward(self, params, X, inplace=False):
        Y = np.maximum(X, 0, out=X if inplace else None)
        return Y, OutputCache(Y=Y)

    def _backward(self, cache, dY, inplace=False):
        Y = cache.Y
        # strictly positive: ReLU'(0) = 0 as in F.relu
        dX = np.multiply(dY, Y > 0, out=dY if inplace else None)
        return dX, {}


class LeakyReLU(_Activation):
    """f(x) = x for x > 0, slope * x otherwise."""

    def __init__(self, slope=0.01):
        self.slope = check_real("LeakyReLU", "slope", slope, low=0.0)

    def __repr__(self):
        return f"LeakyReLU(slope={self.slope})"

    def _forward(self, params, X):
        slope = X.dtype.type(self.slope)
        Y = np.where(X > 0, X, slope * X)
        return Y, InputCache(X=X)

    def _backward(self, cache, dY):
        X = cache.X
        slope = X.dtype.type(self.slope)
        dX = np.where(X > 0, dY, slope * dY)  # at x = 0 the slope, as torch does
        return dX, {}


class ELU(_Activation):
    """f(x) = x for x > 0, alpha * (exp(x) - 1) otherwise; f'(x) = alpha * exp(x) there.

    exp is taken of min(x, 0) only: np.where evaluates both branches, and exp of a large
    positive x would overflow in the branch that is thrown away. expm1 keeps
    exp(x) - 1 accurate for x near 0, where the subtraction would cancel."""

    def __init__(self, alpha=1.0):
        self.alpha = check_real("ELU", "alpha", alpha, low=0.0)

    def __repr__(self):
        return f"ELU(alpha={self.alpha})"

    def _forward(self, params, X):
        alpha = X.dtype.type(self.alpha)
        Y = np.where(X > 0, X, alpha * np.expm1(np.minimum(X, 0)))
        return Y, InputCache(X=X)

    def _backward(self, cache, dY):
        X = cache.X
        alpha = X.dtype.type(self.alpha)
        dX = np.where(X > 0, dY, dY * alpha * np.exp(np.minimum(X, 0)))  # at x = 0: alpha
        return dX, {}


def stable_sigmoid(X):
    """1 / (1 + exp(-x)) without overflow: exp is only ever taken of -|x| <= 0."""
    E = np.exp(-np.abs(X))  # in (0, 1], never overflows
    return np.where(X >= 0, 1 / (1 + E), E / (1 + E))


class Sigmoid(_Activation):
    def __repr__(self):
        return "Sigmoid()"

    def _forward(self, params, X):
        Y = stable_sigmoid(X)
        return Y, OutputCache(Y=Y)

    def _backward(self, cache, dY):
        Y = cache.Y
        dX = dY * Y * (1 - Y)
        return dX, {}


class Tanh(_Activation):
    def __repr__(self):
        return "Tanh()"

    def _forward(self, params, X):
        Y = np.tanh(X)
        return Y, OutputCache(Y=Y)

    def _backward(self, cache, dY):
        Y = cache.Y
        dX = dY * (1 - Y * Y)
        return dX, {}


# NumPy has no erf, and scratch may not use SciPy; math.erf is the C library's, accurate
# to the last bit, so it is applied elementwise. Slow on large arrays, but exact.
_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


class GELU(_Activation):
    """Gaussian error linear unit, f(x) = x * Phi(x).

    approximate="none": Phi(x) = (1 + erf(x / sqrt 2)) / 2, the exact form (torch default).
    approximate="tanh": Phi(x) ~ (1 + tanh(u)) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3)
                        (jax.nn.gelu's default). Always pass `approximate` to the twins.
    """

    def __init__(self, approximate="none"):
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))

    def __repr__(self):
        return f"GELU(approximate={self.approximate!r})"

    def _forward(self, params, X):
        if self.approximate == "none":
            Phi = 0.5 * (1 + _erf(X / math.sqrt(2)).astype(X.dtype))
        else:
            Phi = 0.5 * (1 + np.tanh(_SQRT_2_OVER_PI * (X + 0.044715 * X ** 3)))
        Y = X * Phi
        return Y, InputCache(X=X)

    def _backward(self, cache, dY):
        X = cache.X
        if self.approximate == "none":
            Phi = 0.5 * (1 + _erf(X / math.sqrt(2)).astype(X.dtype))
            phi = _INV_SQRT_2PI * np.exp(-0.5 * X * X)  # standard normal density
            dX = dY * (Phi + X * phi)
        else:
            U = _SQRT_2_OVER_PI * (X + 0.044715 * X ** 3)
            T = np.tanh(U)
            dU = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * X * X)
            # d/dx [x (1 + tanh u) / 2] = (1 + tanh u) / 2 + x (1 - tanh^2 u) u' / 2
            dX = dY * (0.5 * (1 + T) + 0.5 * X * (1 - T * T) * dU)
        return dX.astype(X.dtype, copy=False), {}
