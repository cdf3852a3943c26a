"""Numerical gradient check: central differences in float64, an oracle with no framework.

For a layer with output Y and a fixed random upstream gradient dY, the scalar
f(params, X) = sum(Y * dY) has gradient exactly (dX, grads) from backward. Each entry is
compared with (f(x + eps) - f(x - eps)) / (2 eps), whose error is O(eps^2) from truncation
plus O(1e-16 |f| / eps) from rounding, about 1e-10 relative at eps = 1e-6.

Relative error per entry: |a - n| / max(|a|, |n|, tiny). Rounding leaves an absolute
noise of about machine_eps * sum|terms of f| / eps in every numeric entry (~1e-9 for a
sum of 50 unit terms), so an entry whose true gradient is 1e-4 cannot be checked to 1e-5
relative. `tiny` is therefore set from that noise: the magnitude below which the noise
would exceed the tolerance. Below it entries are compared absolutely, |a - n| / tiny.
"""

from typing import NamedTuple

import numpy as np

TOLERANCE = 1e-5  # noise measured <= 1e-6 at eps = 1e-6 (see above); a 0.1% slip is 1e-3


class GradCheckResult(NamedTuple):
    name: str  # "X" or a parameter name
    max_rel_error: float
    index: tuple  # where the largest error sits
    analytic: float
    numeric: float
    max_abs_error: float = 0.0


class GradientCheckError(AssertionError):
    pass


def numerical_gradient(f, x, eps=1e-6, indices=None, one_sided=False):
    """Central-difference gradient of scalar f() with respect to array x, perturbed in place
    and restored exactly (so f must read x each time it is called). `indices`, a list of
    index tuples, limits the work to those entries (the others stay 0).

    one_sided=True also returns the forward and backward differences (f(x+e) - f(x)) / e
    and (f(x) - f(x-e)) / e: where they disagree, x sits on a kink (a ReLU at exactly 0,
    say) and the central difference averages two different one-sided slopes."""
    if x.dtype != np.float64:
        raise TypeError(
            f"numerical_gradient expects x in float64 (float32 rounding swamps the "
            f"difference); got {x.dtype}"
        )
    grad = np.zeros_like(x)
    forward, backward = np.zeros_like(x), np.zeros_like(x)
    f_here = f() if one_sided else None
    for index in np.ndindex(x.shape) if indices is None else indices:
        original = x[index]
        x[index] = original + eps
        f_plus = f()
        x[index] = original - eps
        f_minus = f()
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
        if one_sided:
            forward[index] = (f_plus - f_here) / eps
            backward[index] = (f_here - f_minus) / eps
    return (grad, forward, backward) if one_sided else grad


def noise_floor(magnitude, eps, tolerance):
    """Entries smaller than this cannot be checked relatively at `tolerance`: their
    central-difference rounding noise (with a safety factor of 10) is too large."""
    noise = 10 * np.finfo(np.float64).eps * magnitude / eps
    return max(noise / tolerance, 1e-12)


def compare(name, analytic, numeric, tiny):
    """The largest relative error between two gradient arrays, and where it sits."""
    if analytic.shape != numeric.shape:
        raise ValueError(f"gradient of {name} has shape {analytic.shape}; expected {numeric.shape}")
    if analytic.size == 0:
        return GradCheckResult(name, 0.0, (), 0.0, 0.0)
    difference = np.abs(analytic - numeric)
    error = difference / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), tiny)
    index = np.unravel_index(np.argmax(error), error.shape)
    return GradCheckResult(
        name,
        float(error[index]),
        tuple(int(i) for i in index),
        float(analytic[index]),
        float(numeric[index]),
        float(difference.max()),
    )


def check_layer(layer, params, X, dY, eps=1e-6, tolerance=TOLERANCE, forward_kwargs=None):
    """Check a layer's backward against central differences; raise GradientCheckError
    naming the parameter and index on failure, else return the per-array results."""
    results = measure_layer(layer, params, X, dY, eps, tolerance, forward_kwargs)
    _raise_if_bad(layer, results, tolerance)
    return results


def measure_layer(layer, params, X, dY, eps=1e-6, tolerance=TOLERANCE, forward_kwargs=None):
    """The per-array results of the check, without judging them (`tolerance` only sets
    the noise floor below which entries are compared absolutely)."""
    forward_kwargs = forward_kwargs or {}
    X = np.array(X, dtype=np.float64)
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    dY = np.asarray(dY, dtype=np.float64)

    Y, cache = layer.forward(params, X, **forward_kwargs)
    dX, grads = layer.backward(cache, dY)

    def objective():
        return float(np.sum(layer.forward(params, X, **forward_kwargs)[0] * dY))

    tiny = noise_floor(float(np.sum(np.abs(Y * dY))), eps, tolerance)
    results = [compare("X", dX, numerical_gradient(objective, X, eps), tiny)]
    for key in params:
        results.append(
            compare(key, grads[key], numerical_gradient(objective, params[key], eps), tiny)
        )
    return results


def check_loss(loss, Z, target, dL=1.0, eps=1e-6, tolerance=TOLERANCE):
    """The same for a loss: dZ from backward against central differences of dL * L."""
    Z = np.array(Z, dtype=np.float64)
    if isinstance(target, np.ndarray) and np.issubdtype(target.dtype, np.floating):
        target = target.astype(np.float64)
    L, cache = loss.forward(Z, target)
    dZ = loss.backward(cache, dL)
    numeric = numerical_gradient(lambda: float(dL * loss.forward(Z, target)[0]), Z, eps)
    # a mean over Z.size terms: the sum it rounds is about |L| * size
    tiny = noise_floor(abs(float(L) * dL) * Z.size, eps, tolerance)
    results = [compare("Z", dZ, numeric, tiny)]
    _raise_if_bad(loss, results, tolerance)
    return results


def _raise_if_bad(component, results, tolerance):
    for r in results:
        if not r.max_rel_error <= tolerance:
            raise GradientCheckError(
                f"{component!r}: gradient of {r.name} at index {r.index} is {r.analytic!r} "
                f"by backward but {r.numeric!r} by central differences "
                f"(relative error {r.max_rel_error:.3g} > {tolerance:g})"
            )
