"""Print how closely every component agrees with its twins: `python -m parity_tests.summary`.

For each registry record, backend and dtype it runs the same comparison as the parity
tests (every sample) and prints the largest relative and absolute deviation over forward
output and all gradients, next to the tolerance the tests hold it to. The tests assert; this shows.
"""

import sys

import numpy as np

from parity_tests.registry import RECORDS
from parity_tests.support import DTYPES, TOLERANCES, seed_for
from parity_tests.support import TWIN_BACKENDS as BACKENDS


def deviations(record, backend, dtype):
    """[(ours, reference)] over every sample of one record, as test_parity compares them."""
    rng = np.random.default_rng(seed_for(record.name, backend, dtype))
    return [
        (ours, theirs)
        for sample in record.samples(rng, dtype)
        for _, ours, theirs, _ in record.against_twin(backend, sample)
    ]


def main():
    print(
        f"{'component':<32}{'backend':<8}{'dtype':<9}{'max abs diff':>14}{'max rel diff':>14}"
        f"{'rtol (grad)':>13}"
    )
    worst = {}
    for record in RECORDS:
        for backend in BACKENDS:
            for dtype in DTYPES:
                max_abs = max_rel = 0.0
                for ours, ref in deviations(record, backend, dtype):
                    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
                    abs_diff = np.abs(ours - ref)
                    max_abs = max(max_abs, float(abs_diff.max()))
                    rel = abs_diff / np.maximum(np.abs(ref), np.finfo(dtype).tiny)
                    max_rel = max(max_rel, float(rel[np.abs(ref) > 1e-6].max(initial=0)))
                worst[dtype] = max(worst.get(dtype, 0.0), max_rel)
                print(
                    f"{record.name:<32}{backend:<8}{dtype:<9}{max_abs:>14.2e}{max_rel:>14.2e}"
                    f"{TOLERANCES[dtype]['gradient'].rtol:>13.0e}"
                )
    for dtype, value in worst.items():
        print(f"largest relative deviation in {dtype} (entries > 1e-6): {value:.2e}")
    print()
    optimizer_summary()
    return 0


def optimizer_summary():
    """Largest deviation of each optimizer setting from its twins over whole trajectories,
    relative to each array's largest entry (parameters and every state buffer)."""
    from parity_tests.optimizer_registry import OPTIMIZER_RECORDS
    from parity_tests.support import (
        mlp_objective,
        rosenbrock_objective,
        run_trajectory,
        sequence_objective,
    )

    runs = {
        "sequence f64 x100": lambda: (sequence_objective("float64"), "float64", 100),
        "rosenbrock f64 x200": lambda: (rosenbrock_objective("float64"), "float64", 200),
        "mlp f64 x200": lambda: (mlp_objective("float64"), "float64", 200),
        "sequence f32 x20": lambda: (sequence_objective("float32", steps=20), "float32", 20),
    }
    print(f"{'optimizer setting':<30}{'backend':<8}" + "".join(f"{k:>22}" for k in runs))
    worst = {}
    for record in OPTIMIZER_RECORDS:
        for backend in BACKENDS:
            if backend in record.unsupported:
                print(
                    f"{record.name:<30}{backend:<8}not expressible: {record.unsupported[backend]}"
                )
                continue
            cells = []
            for _label, make in runs.items():
                objective, dtype, steps = make()
                value = run_trajectory(record, backend, dtype, objective, steps)
                worst[dtype] = max(worst.get(dtype, 0.0), value)
                cells.append(f"{value:>22.2e}")
            print(f"{record.name:<30}{backend:<8}" + "".join(cells))
    for dtype, value in worst.items():
        print(
            f"largest optimizer deviation in {dtype} (relative to each array's scale): {value:.2e}"
        )


if __name__ == "__main__":
    sys.exit(main())
