"""Elementwise activations: ReLU, LeakyReLU, ELU, Sigmoid, Tanh, GELU.

Shape ledger (any shape S, typically (N, H)):
    X  S   input (pre-activation)      dX S = dY * f'(X)
    Y  S   output f(X)                 dY S upstream gradient
    cache: whatever gives f' most cheaply and stably:
        ReLU, Sigmoid and Tanh keep Y (f' is a function of f); ELU keeps X;
        LeakyReLU keeps its slope per element, S = 1 where x > 0 else slope (f' = S);
        GELU keeps X and Phi(X) (exact) or X and tanh(u) (tanh form), so that backward
        does not evaluate erf or tanh a second time.

Speed (issue 17): these run on whole (N, H) arrays several times per training step, so
they avoid NumPy's slow idioms: `x ** 3` goes through pow (on a (512, 1024) float64
array 84 ms against 2.9 ms for x * x * x), `np.where` with a scalar branch is several
times slower than a multiplication by a 0/1 mask or a maximum, and every temporary of a
large array costs a pass over memory, so chains of operations run in place on one fresh
array. Python floats as scalars keep float32 arrays float32 (NEP 50); np.float64 scalars
would not.

Conventions at kinks, matching torch.nn.functional:
    ReLU'(0) = 0 (F.relu and jax.nn.relu agree).
    LeakyReLU'(0) = slope (F.leaky_relu; note jax.nn.leaky_relu gives 1 at exactly 0).
    ELU'(0) = alpha (F.elu and jax.nn.elu agree: the x <= 0 branch).
"""

import math
from typing import NamedTuple

import numpy as np

from scratch.nn.erf import erf
from scratch.protocol import Layer, check_choice, check_float_array, check_real, check_upstream


class InputCache(NamedTuple):
    X: np.ndarray  # S, the pre-activation


class OutputCache(NamedTuple):
    Y: np.ndarray  # S, the activation


def zero_row(X):
    """Zeros shaped like X's last axis, to compare X against: np.maximum(X, zero_row(X))
    is np.maximum(X, 0) bit for bit (±0, ±inf and nan included), but NumPy's fast loop
    for maximum and minimum needs both operands to step through memory, and a scalar
    does not. On a (512, 1024) array: 108 against 200 us in float32, 200 against 239 in
    float64; on (32, 256): 3.5 against 6.1 us (NumPy 2.4.6, the AMD VM). For (N, H) it is
    H zeros, freed after the call; a 1-d X gets as many zeros as it has elements."""
    return np.zeros(X.shape[-1:], X.dtype)


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
        Y = np.maximum(X, zero_row(X), out=X if inplace else None)
        return Y, OutputCache(Y=Y)

    def _backward(self, cache, dY, inplace=False):
        Y = cache.Y
        # strictly positive: ReLU'(0) = 0 as in F.relu
        dX = np.multiply(dY, Y > 0, out=dY if inplace else None)
        return dX, {}


class SlopeCache(NamedTuple):
    S: np.ndarray  # S, the derivative: 1 where x > 0, slope elsewhere (X's dtype)


class LeakyReLU(_Activation):
    """f(x) = x for x > 0, slope * x otherwise.

    Forward builds the derivative S = 1 where x > 0 else slope once, and both passes are
    one multiplication by it: f(x) = x * S, f'(x) = S. Multiplying by exactly 1 or by
    slope gives the same bits as np.where(x > 0, x, slope * x). Backward on a (512, 1024)
    float32 array, building S included: 2.5 ms against 10.9 ms for
    np.where(x > 0, dY, slope * dY) (float64: 11.5 against 13.5 ms; loaded machine).
    S = mask * (1 - slope) + slope is exactly 1 where the mask is 1 for 0 <= slope <= 1:
    1 - slope rounds by at most half an ulp of 1 below 1, and adding slope back lands
    within that half ulp of 1, which rounds (to even, at a tie) to 1. Larger slopes
    build S with np.where instead.
    """

    def __init__(self, slope=0.01):
        self.slope = check_real("LeakyReLU", "slope", slope, low=0.0)

    def __repr__(self):
        return f"LeakyReLU(slope={self.slope})"

    def _forward(self, params, X):
        slope = X.dtype.type(self.slope)
        if self.slope <= 1:
            S = (X > 0).astype(X.dtype)  # 1 where x > 0 (at x = 0 the slope, as torch)
            S *= 1 - slope
            S += slope
        else:
            S = np.where(X > 0, X.dtype.type(1), slope)
        Y = X * S
        return Y, SlopeCache(S=S)

    def _backward(self, cache, dY):
        dX = dY * cache.S
        return dX, {}


class ELU(_Activation):
    """f(x) = x for x > 0, alpha * (exp(x) - 1) otherwise; f'(x) = alpha * exp(x) there.

    exp is taken of min(x, 0) only: exp of a large positive x would overflow in a branch
    that is thrown away. expm1 keeps exp(x) - 1 accurate for x near 0, where the
    subtraction would cancel. Forward is max(x, 0) + alpha * expm1(min(x, 0)): one term is
    exactly 0 wherever the other is not, so the sum is either branch exactly, on two
    arrays where np.where(x > 0, x, ...) keeps four alive."""

    def __init__(self, alpha=1.0):
        self.alpha = check_real("ELU", "alpha", alpha, low=0.0)

    def __repr__(self):
        return f"ELU(alpha={self.alpha})"

    def _forward(self, params, X):
        alpha = X.dtype.type(self.alpha)
        zeros = zero_row(X)
        Y = np.minimum(X, zeros)
        np.expm1(Y, out=Y)
        if alpha != 1:  # (a pass that would change nothing for the default alpha = 1)
            Y *= alpha  # alpha (exp(x) - 1) for x <= 0, exactly 0 for x > 0
        Y += np.maximum(X, zeros)
        return Y, InputCache(X=X)

    def _backward(self, cache, dY):
        X = cache.X
        alpha = X.dtype.type(self.alpha)
        dX = np.minimum(X, zero_row(X))
        np.exp(dX, out=dX)  # exp(x) for x <= 0, and exp(0) = 1 exactly for x > 0
        if alpha != 1:  # for alpha = 1 that is already f'(x): two passes saved
            dX *= alpha  # alpha exp(x) for x <= 0 (at x = 0: alpha, as F.elu)
            # putmask, not copyto(where=): 8 against 13-25 us on 8,192 elements
            np.putmask(dX, X > 0, 1)
        dX *= dY
        return dX, {}


def stable_sigmoid(X):
    """1 / (1 + exp(-x)) without a warning: where -x is large, exp(-x) is inf and
    1 / (1 + inf) = 0, the correctly rounded answer in float64 (float32 flushes values
    below ~1e-38 to 0 this way, which a float32 sigmoid's users never see).
    Four in-place passes over one fresh array; the branchy form
    np.where(x >= 0, 1 / (1 + e), e / (1 + e)) with e = exp(-|x|) took 8 passes and
    13x as long on a (512, 1024) float64 array (38.5 against 2.9 ms, loaded machine)."""
    P = np.negative(X)
    with np.errstate(over="ignore"):  # exp(-x) = inf for x < -709 (float64): intended
        np.exp(P, out=P)
    P += 1
    np.reciprocal(P, out=P)
    return P


class Sigmoid(_Activation):
    def __repr__(self):
        return "Sigmoid()"

    def _forward(self, params, X):
        Y = stable_sigmoid(X)
        return Y, OutputCache(Y=Y)

    def _backward(self, cache, dY):
        Y = cache.Y
        dX = np.subtract(1, Y)  # 1 - y; a Python 1 keeps float32 float32
        dX *= Y
        dX *= dY
        return dX, {}


class Tanh(_Activation):
    def __repr__(self):
        return "Tanh()"

    def _forward(self, params, X):
        Y = np.tanh(X)
        return Y, OutputCache(Y=Y)

    def _backward(self, cache, dY):
        Y = cache.Y
        dX = Y * Y
        np.subtract(1, dX, out=dX)  # 1 - y^2
        dX *= dY
        return dX, {}


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_KAPPA = 0.044715


class GELUCache(NamedTuple):
    X: np.ndarray  # S, the pre-activation
    F: np.ndarray  # S, Phi(X) (exact form) or tanh(u) (tanh form)


class GELU(_Activation):
    """Gaussian error linear unit, f(x) = x * Phi(x).

    approximate="none": Phi(x) = (1 + erf(x / sqrt 2)) / 2, the exact form (torch default),
                        with erf from scratch/nn/erf.py (vectorised; it replaced
                        np.vectorize(math.erf), a Python loop about 100x slower).
    approximate="tanh": Phi(x) ~ (1 + tanh(u)) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3)
                        (jax.nn.gelu's default). Always pass `approximate` to the twins.
    Both orders of operations follow torch's kernels (x * (1/sqrt 2), x + k * x^3).
    """

    def __init__(self, approximate="none"):
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))

    def __repr__(self):
        return f"GELU(approximate={self.approximate!r})"

    def _forward(self, params, X):
        if self.approximate == "none":
            F = erf(X * _SQRT_HALF)
            F += 1
            F *= 0.5  # Phi(x)
            Y = X * F
        else:
            F = X * X
            F *= X  # x^3 as a product: X ** 3 goes through pow, ~30x slower
            F *= _KAPPA
            F += X
            F *= _SQRT_2_OVER_PI  # u
            np.tanh(F, out=F)  # tanh(u)
            Y = F + 1
            Y *= X
            Y *= 0.5  # x (1 + tanh u) / 2
        return Y, GELUCache(X=X, F=F)

    def _backward(self, cache, dY):
        X, F = cache
        if self.approximate == "none":
            # f'(x) = Phi(x) + x phi(x), phi the standard normal density
            dX = X * X
            dX *= -0.5
            np.exp(dX, out=dX)
            dX *= _INV_SQRT_2PI
            dX *= X  # x phi(x)
            dX += F
        else:
            # d/dx [x (1 + tanh u) / 2] = (1 + tanh u) / 2 + x (1 - tanh^2 u) u' / 2,
            # u' = sqrt(2/pi) (1 + 3 k x^2)
            dX = X * X
            dX *= 3 * _KAPPA
            dX += 1
            dX *= _SQRT_2_OVER_PI  # u'
            dX *= X
            T2 = F * F
            np.subtract(1, T2, out=T2)  # 1 - tanh^2 u
            dX *= T2
            dX += F
            dX += 1
            dX *= 0.5
        dX *= dY
        return dX, {}
