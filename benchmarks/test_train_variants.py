"""The training step with GELU, tanh and sigmoid, with Adam and dropout, and the main
job's own configuration (float64, batch 32, 64-256-128-10, dropout 0.2, Adam)."""

import pytest

from benchmarks.cases import BACKENDS, TRAIN_VARIANTS, train_variant_case
from benchmarks.conftest import assert_agrees, results_for

_built = {}  # as in test_activations.py: each case built once, for its check and its timing


def built(backend, name, dtype):
    if (backend, name, dtype) not in _built:
        _built[(backend, name, dtype)] = train_variant_case(backend, name, dtype)
    return _built[(backend, name, dtype)]


@pytest.mark.parametrize("backend", BACKENDS)  # varies fastest
@pytest.mark.parametrize("name", list(TRAIN_VARIANTS))
def test_train_variant(benchmark, record, backend, name):
    dtype = TRAIN_VARIANTS[name][-1]
    everyone = results_for("train_variant", name, dtype, built)
    case = _built.pop((backend, name, dtype), None) or train_variant_case(backend, name, dtype)
    for other, theirs in everyone.items():
        if other != backend:
            assert_agrees(
                f"train_variant {name} {backend} vs {other}", everyone[backend], theirs, dtype
            )
    record("train_variant", backend, name, dtype, case.flops)
    benchmark(case.run)
