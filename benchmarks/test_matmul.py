"""X @ W and Linear forward+backward, square n, float32 and float64, on all backends."""

import pytest

from benchmarks.cases import BACKENDS, MATMUL_SIZES, linear_case, matmul_case
from benchmarks.conftest import assert_agrees, results_for

BUILDERS = {"matmul": matmul_case, "linear": linear_case}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", MATMUL_SIZES)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", list(BUILDERS))
def test_matmul_core(benchmark, record, kind, backend, n, dtype):
    build = BUILDERS[kind]
    case = build(backend, n, dtype)
    everyone = results_for(kind, n, dtype, build)
    for other, theirs in everyone.items():  # checked before timing: no fast wrong answers
        if other != backend:
            assert_agrees(
                f"{kind} n={n} {dtype} {backend} vs {other}", everyone[backend], theirs, dtype
            )
    record(kind, backend, n, dtype, case.flops)
    benchmark(case.run)
