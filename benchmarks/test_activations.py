"""Forward + backward of every activation and loss, float32 and float64, two sizes."""

import pytest

from benchmarks.cases import (
    ACTIVATION_SHAPES,
    ACTIVATIONS,
    BACKENDS,
    activation_case,
    activation_label,
)
from benchmarks.conftest import assert_agrees, results_for

# Cases built for the cross-backend check, kept until their own test takes them: with the
# backend parameter varying fastest, a case's three backends run one after another, so
# at most two built cases wait here and each case (and its jax compile) is built once.
_built = {}


def built(backend, label, dtype):
    if (backend, label, dtype) not in _built:
        _built[(backend, label, dtype)] = activation_case(backend, label, dtype)
    return _built[(backend, label, dtype)]


@pytest.mark.parametrize("backend", BACKENDS)  # varies fastest
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", list(ACTIVATION_SHAPES))
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation(benchmark, record, backend, name, size, dtype):
    label = activation_label(name, size)
    everyone = results_for("activation", label, dtype, built)
    case = _built.pop((backend, label, dtype), None) or activation_case(backend, label, dtype)
    for other, theirs in everyone.items():  # checked before timing: no fast wrong answers
        if other != backend:
            assert_agrees(f"{label} {dtype} {backend} vs {other}", everyone[backend], theirs, dtype)
    record("activation", backend, label, dtype, case.flops)
    benchmark(case.run)
