"""Forward + backward of every activation and loss, float32 and float64, two sizes."""

import pytest

from benchmarks.cases import (ACTIVATION_SHAPES, ACTIVATIONS, BACKENDS, activation_case,
                              activation_label)
from benchmarks.conftest import assert_agrees, results_for


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", list(ACTIVATION_SHAPES))
@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("backend", BACKENDS)
def test_activation(benchmark, record, backend, name, size, dtype):
    label = activation_label(name, size)
    case = activation_case(backend, label, dtype)
    everyone = results_for("activation", label, dtype, activation_case)
    for other, theirs in everyone.items():  # checked before timing: no fast wrong answers
        if other != backend:
            assert_agrees(f"{label} {dtype} {backend} vs {other}", everyone[backend], theirs, dtype)
    record("activation", backend, label, dtype, case.flops)
    benchmark(case.run)
