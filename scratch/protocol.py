"""The component protocol shared by every scratch module, and the checks at its boundary.

A component is a small frozen object holding only hyperparameters. Parameters live in a
plain dict of arrays, and the cache is a named tuple holding exactly what backward needs:

    layer = Linear(784, 128)
    params = layer.init(rng)                    # {"W": (784, 128), "b": (128,)}
    Y, cache = layer.forward(params, X)         # X (N, 784) -> Y (N, 128)
    dX, grads = layer.backward(cache, dY)       # dY (N, 128) -> dX (N, 784), grads like params

    loss = SoftmaxCrossEntropy()
    L, cache = loss.forward(Z, y)               # Z (N, C) logits, y (N,) labels -> L ()
    dZ = loss.backward(cache, dL=1.0)           # dZ (N, C)

The base classes below exist so that tests can find every component (the twin registry
walks their subclasses), and so that the checks every component needs are written once.
"""

import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


class Layer:
    """Base class of components with `init`, `forward(params, X)` and `backward(cache, dY)`."""

    def init(self, rng):
        """Parameters as a dict of arrays; components without parameters return {}."""
        return {}


class Loss:
    """Base class of losses: `forward(Z, target) -> (L, cache)`, `backward(cache, dL) -> dZ`."""


class Learner:
    """Base class of components with a `fit` whose twins reproduce the whole trajectory."""


# ---------------------------------------------------------------------------------------
# Boundary checks. Each raises TypeError / ValueError naming the argument, what was
# expected and what was given, so that no raw NumPy broadcasting error reaches a user.
# ---------------------------------------------------------------------------------------


def check_float_array(where, name, value):
    """`value` must be a float32 or float64 ndarray; returns it unchanged."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{where} expects {name} as a numpy array; got {type(value).__name__}")
    if value.dtype.type not in FLOAT_DTYPES:
        raise TypeError(f"{where} expects {name} with dtype float32 or float64; got {value.dtype}")
    return value


def check_shape(where, name, value, expected):
    """`expected` is a tuple whose entries are ints or None (any size); checks rank too."""
    shape = value.shape
    ok = len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))
    if not ok:
        pretty = "(" + ", ".join("N" if e is None else str(e) for e in expected)
        pretty += ",)" if len(expected) == 1 else ")"
        raise ValueError(f"{where} expects {name} of shape {pretty}; got {shape}")


def check_nonempty(where, name, value):
    if value.shape[0] == 0:
        raise ValueError(f"{where} expects a non-empty batch in {name}; got shape {value.shape}")


def check_upstream(where, name, dY, expected_shape, dtype):
    """dY must be an array of exactly the forward output's shape (and float dtype)."""
    check_float_array(where, name, dY)
    if dY.shape != tuple(expected_shape):
        raise ValueError(
            f"{where} expects {name} of shape {tuple(expected_shape)} "
            f"(the forward output's shape); got {dY.shape}"
        )
    if dY.dtype != dtype:
        raise TypeError(
            f"{where} expects {name} with dtype {dtype} (the forward output's); got {dY.dtype}"
        )


def check_positive_int(where, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where} expects {name} as a positive integer; got {value!r}")
    return int(value)


def check_real(where, name, value, low=None, high=None, low_open=False, high_open=False):
    """A finite real number inside [low, high] (ends open where asked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{where} expects {name} as a finite real number; got {value!r}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise ValueError(f"{where} expects {name} in {span}; got {value!r}")
    return float(value)


def check_choice(where, name, value, choices):
    if value not in choices:
        raise ValueError(f"{where} expects {name} to be one of {list(choices)}; got {value!r}")
    return value


def upstream_scalar(where, dL, dtype):
    """A loss's upstream gradient: a real scalar (python or 0-d array)."""
    if isinstance(dL, np.ndarray):
        if dL.shape != ():
            raise ValueError(
                f"{where} expects dL as a scalar (the loss is a scalar); got shape {dL.shape}"
            )
        dL = dL.item()
    if isinstance(dL, bool) or not isinstance(dL, numbers.Real):
        raise TypeError(f"{where} expects dL as a real scalar; got {type(dL).__name__}")
    return dtype.type(dL)
