"""Print how closely every component agrees with its twins: `python -m parity_tests.summary`.

For each registry record, backend and dtype it runs the same comparison as the parity
tests and prints the largest relative and absolute deviation over forward output and all
gradients, next to the tolerance the tests hold it to. The tests assert; this shows.
"""

import sys

import numpy as np

from parity_tests.registry import RECORDS, twin
from parity_tests.support import DTYPES, TOLERANCES, TWIN_BACKENDS as BACKENDS, autodiff, seed_for


def deviations(record, backend, dtype):
    """{array name: (ours, reference)} for one record, as in test_parity's runners."""
    rng = np.random.default_rng(seed_for(record.name, backend, dtype))
    ours, ref = record.build(), twin(record, backend)
    diff = autodiff(backend)
    if record.kind == "loss":
        Z, target = record.sample(rng, dtype)
        L, cache = ours.forward(Z, target)
        dL = float(rng.uniform(0.5, 2.0))
        L_ref, dZ_ref = diff.loss_vjp(ref, Z, target, dL)
        return {"L": (L, L_ref), "dZ": (ours.backward(cache, dL), dZ_ref)}
    X, _ = record.sample(rng, dtype, N=64 if record.kind == "dropout" else 4)
    params = record.params(rng, dtype)
    kwargs = {}
    if record.kind == "dropout":
        import torch, jax  # noqa: E401  (only to seed the twins' RNGs)
        torch.manual_seed(0)
        kwargs = {"key": jax.random.key(0)} if backend == "jax" else {}
        dY = rng.standard_normal(X.shape).astype(dtype)
        Y_ref, dX_ref, _ = diff.layer_vjp(ref, {}, X, dY, **kwargs)
        Y, cache = ours.forward({}, X, mask=Y_ref != 0)
        return {"Y": (Y, Y_ref), "dX": (ours.backward(cache, dY)[0], dX_ref)}
    Y, cache = ours.forward(params, X)
    dY = rng.standard_normal(Y.shape).astype(dtype)
    dX, grads = ours.backward(cache, dY)
    Y_ref, dX_ref, grads_ref = diff.layer_vjp(ref, params, X, dY)
    pairs = {"Y": (Y, Y_ref), "dX": (dX, dX_ref)}
    pairs.update({f"d{k}": (grads[k], grads_ref[k]) for k in params})
    return pairs


def main():
    print(f"{'component':<32}{'backend':<8}{'dtype':<9}{'max abs diff':>14}{'max rel diff':>14}"
          f"{'rtol (grad)':>13}")
    worst = {}
    for record in RECORDS:
        for backend in BACKENDS:
            for dtype in DTYPES:
                max_abs = max_rel = 0.0
                for ours, ref in deviations(record, backend, dtype).values():
                    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
                    abs_diff = np.abs(ours - ref)
                    max_abs = max(max_abs, float(abs_diff.max()))
                    rel = abs_diff / np.maximum(np.abs(ref), np.finfo(dtype).tiny)
                    max_rel = max(max_rel, float(rel[np.abs(ref) > 1e-6].max(initial=0)))
                worst[dtype] = max(worst.get(dtype, 0.0), max_rel)
                print(f"{record.name:<32}{backend:<8}{dtype:<9}{max_abs:>14.2e}{max_rel:>14.2e}"
                      f"{TOLERANCES[dtype]['gradient'].rtol:>13.0e}")
    for dtype, value in worst.items():
        print(f"largest relative deviation in {dtype} (entries > 1e-6): {value:.2e}")
    print()
    optimizer_summary()
    return 0


def optimizer_summary():
    """Largest deviation of each optimizer setting from its twins over whole trajectories,
    relative to each array's largest entry (parameters and every state buffer)."""
    from parity_tests.optimizer_registry import OPTIMIZER_RECORDS
    from parity_tests.support import (mlp_objective, rosenbrock_objective, run_trajectory,
                                      sequence_objective)
    runs = {"sequence f64 x100": lambda: (sequence_objective("float64"), "float64", 100),
            "rosenbrock f64 x200": lambda: (rosenbrock_objective("float64"), "float64", 200),
            "mlp f64 x200": lambda: (mlp_objective("float64"), "float64", 200),
            "sequence f32 x20": lambda: (sequence_objective("float32", steps=20), "float32", 20)}
    print(f"{'optimizer setting':<30}{'backend':<8}" + "".join(f"{k:>22}" for k in runs))
    worst = {}
    for record in OPTIMIZER_RECORDS:
        for backend in BACKENDS:
            if backend in record.unsupported:
                print(f"{record.name:<30}{backend:<8}not expressible: {record.unsupported[backend]}")
                continue
            cells = []
            for label, make in runs.items():
                objective, dtype, steps = make()
                value = run_trajectory(record, backend, dtype, objective, steps)
                worst[dtype] = max(worst.get(dtype, 0.0), value)
                cells.append(f"{value:>22.2e}")
            print(f"{record.name:<30}{backend:<8}" + "".join(cells))
    for dtype, value in worst.items():
        print(f"largest optimizer deviation in {dtype} (relative to each array's scale): {value:.2e}")


if __name__ == "__main__":
    sys.exit(main())
