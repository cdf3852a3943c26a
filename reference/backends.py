"""The backend map and the tolerance table: written here once, imported everywhere
(the parity tests, the optimizer and training parity tests, `python -m reference`,
`python -m reference check`, the benchmarks and the parity summary).

Importing this module imports NumPy only, so framework-free tests may use it too.

Tolerances, and why:
  float64: rtol 1e-10, atol 1e-12. Both sides compute the same formula in IEEE double;
      differences come only from operation order and libm ulps, measured at <= 1e-15
      for single components, 1.6e-13 relative for a composed MLP.
  float32: forward rtol 1e-5, gradients rtol 1e-4, atol 1e-6. float32 has eps ~6e-8;
      a matmul over D ~ 10 terms, exp/erf/tanh implementations that differ by 1-2 ulp
      between NumPy, ATen and XLA, and a backward that chains 2-3 such ops compound to a
      few 1e-7 relative; 1e-5 / 1e-4 leave ~20x headroom while a 1.001 slip (1e-3) is
      still caught. atol covers entries that cancel to ~0, where relative error is noise:
      in float32 it is max(1e-6, 1e-5 x the array's largest entry), because the rounding
      of a sum is relative to the terms summed, not to the result. A composed MLP's
      gradient entries that cancel to ~1e-2 of the largest carry up to 1.4e-6 absolute
      (measured), which a fixed atol of 1e-6 would pass only through rtol's help.
  Trajectories (optimizers over many steps, lockstep training): the "trajectory" stage,
      float64 rtol 1e-10, atol 1e-12 at every step; float32 rtol 1e-5, atol 1e-6 over 20
      steps (each step rounds at ~6e-8 relative and Adam's sqrt/divide amplifies
      differences in tiny second moments; measured below 1e-6).
"""

from dataclasses import dataclass
from importlib import import_module
from typing import NamedTuple

import numpy as np

# backend name -> the package holding its components, at the same relative paths
BACKENDS = {"numpy": "scratch", "torch": "reference.torch", "jax": "reference.jax"}
TWIN_BACKENDS = ["torch", "jax"]
DTYPES = ["float64", "float32"]


def backend_module(backend, path):
    """The module at `path` ("nn.linear", "optim.optimizers") on `backend`."""
    if backend not in BACKENDS:
        raise ValueError(f"expected a backend among {list(BACKENDS)}; got {backend!r}")
    return import_module(f"{BACKENDS[backend]}.{path}")


def autodiff(backend):
    """`layer_vjp` / `loss_vjp` of a twin backend ("torch" or "jax")."""
    if backend not in TWIN_BACKENDS:
        raise ValueError(f"expected a twin backend among {TWIN_BACKENDS}; got {backend!r}")
    return import_module(f"{BACKENDS[backend]}._autodiff")


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


FLOAT32_ATOL_OF_SCALE = 1e-5  # see the float32 note above

TOLERANCES = {
    "float64": {
        "forward": Tolerance(1e-10, 1e-12),
        "gradient": Tolerance(1e-10, 1e-12),
        "trajectory": Tolerance(1e-10, 1e-12),
    },
    "float32": {
        "forward": Tolerance(1e-5, 1e-6),
        "gradient": Tolerance(1e-4, 1e-6),
        "trajectory": Tolerance(1e-5, 1e-6),
    },
}


def tolerance(dtype, stage, expected=None):
    """(rtol, atol) for comparing an array of `dtype` at `stage` ("forward", "gradient"
    or "trajectory") with the reference array `expected`. In float32 (forward and
    gradient) atol grows with the reference's largest entry, as the note above says."""
    tol = TOLERANCES[str(np.dtype(dtype))][stage]
    atol = tol.atol
    if (
        str(np.dtype(dtype)) == "float32"
        and stage != "trajectory"
        and expected is not None
        and np.size(expected)
    ):
        atol = max(atol, FLOAT32_ATOL_OF_SCALE * float(np.max(np.abs(expected))))
    return tol.rtol, atol


class Comparison(NamedTuple):
    """One row of a report: how far `ours` is from the reference, and whether that is
    within tolerance (every entry |ours - ref| <= atol + rtol |ref|, as assert_allclose)."""

    max_abs: float
    max_rel: float
    worst_index: tuple  # the entry furthest beyond (or closest to) its tolerance
    rtol: float
    atol: float
    passed: bool


def compare_arrays(ours, theirs, dtype, stage):
    """A Comparison of two arrays of the same shape, under the tolerance table."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    rtol, atol = tolerance(dtype, stage, theirs)
    if ours.size == 0:
        return Comparison(0.0, 0.0, (), rtol, atol, True)
    difference = np.abs(ours - theirs)
    difference[np.isnan(ours) != np.isnan(theirs)] = np.inf
    difference[np.isnan(ours) & np.isnan(theirs)] = 0.0
    ratio = difference / (atol + rtol * np.abs(theirs))
    index = np.unravel_index(np.argmax(ratio), ratio.shape)
    # relative error where it means something: entries larger than atol
    meaningful = np.abs(theirs) > atol
    relative = np.where(meaningful, difference / np.where(meaningful, np.abs(theirs), 1.0), 0.0)
    return Comparison(
        float(difference.max()),
        float(relative.max()),
        tuple(int(i) for i in index),
        rtol,
        atol,
        bool(ratio.max() <= 1.0),
    )
