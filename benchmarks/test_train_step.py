"""One training step (forward, loss, backward, SGD momentum) at four sizes, float32."""

import pytest

from benchmarks.cases import BACKENDS, TRAIN_SIZES, train_step_case
from benchmarks.conftest import assert_agrees, results_for


@pytest.mark.parametrize("size", list(TRAIN_SIZES))
@pytest.mark.parametrize("backend", BACKENDS)
def test_train_step(benchmark, record, backend, size):
    case = train_step_case(backend, size)
    everyone = results_for("train_step", size, "float32", train_step_case)
    for other, theirs in everyone.items():
        if other != backend:
            assert_agrees(
                f"train_step {size} {backend} vs {other}", everyone[backend], theirs, "float32"
            )
    record("train_step", backend, size, "float32", case.flops)
    benchmark(case.run)
