"""Trajectory parity of every optimizer setting with torch.optim and optax.

Three kinds of run, each compared at every step (parameters and every state buffer):
  - 100 steps fed one precomputed gradient sequence (random, with a run of zero gradients
    and two steps of gradients 1e3 times larger);
  - 200 steps on Rosenbrock and 200 on a small MLP's loss, where each backend computes
    the gradients of its own current parameters with its own machinery (scratch backward,
    torch.autograd, jax.grad), so differences could feed back and grow;
  - float32: 20 steps of the gradient sequence.
"""

import numpy as np
import pytest

from parity_tests.optimizer_registry import OPTIMIZER_RECORDS, SCHEDULE_RECORDS
from parity_tests.support import TWIN_BACKENDS as BACKENDS
from parity_tests.support import (
    mlp_objective,
    rosenbrock_objective,
    run_trajectory,
    sequence_objective,
)

CASES = [
    pytest.param(r, b, id=f"{r.name}-{b}")
    for r in OPTIMIZER_RECORDS
    for b in BACKENDS
    if b not in r.unsupported
]
UNSUPPORTED = [
    pytest.param(r, b, id=f"{r.name}-{b}") for r in OPTIMIZER_RECORDS for b in r.unsupported
]


@pytest.mark.parametrize("record, backend", CASES)
def test_gradient_sequence_trajectory_float64(record, backend):
    run_trajectory(record, backend, "float64", sequence_objective("float64"), 100)


@pytest.mark.parametrize("record, backend", CASES)
def test_rosenbrock_trajectory_float64(record, backend):
    run_trajectory(record, backend, "float64", rosenbrock_objective("float64"), 200)


@pytest.mark.parametrize("record, backend", CASES)
def test_mlp_loss_trajectory_float64(record, backend):
    run_trajectory(record, backend, "float64", mlp_objective("float64"), 200)


@pytest.mark.parametrize("record, backend", CASES)
def test_gradient_sequence_trajectory_float32(record, backend):
    run_trajectory(record, backend, "float32", sequence_objective("float32", steps=20), 20)


@pytest.mark.parametrize(
    "record", [r for r in OPTIMIZER_RECORDS if "torch" not in r.unsupported], ids=lambda r: r.name
)
def test_large_parameter_updated_in_blocks_float64(record):
    """A parameter larger than BLOCK_BYTES is updated one block of rows at a time
    (scratch.optim.optimizers.row_blocks): two blocks here, the second one partial."""
    from scratch.optim.optimizers import BLOCK_BYTES, row_blocks

    shape = (150, 130)
    assert 8 * shape[0] * shape[1] > BLOCK_BYTES
    assert len(row_blocks(np.empty(shape))) == 2
    run_trajectory(
        record, "torch", "float64", sequence_objective("float64", steps=45, shape=shape), 45
    )


@pytest.mark.parametrize("record, backend", UNSUPPORTED)
def test_unsupported_settings_are_refused_with_the_reason(record, backend):
    # the registry's claim that a framework cannot express a setting is itself tested
    with pytest.raises(NotImplementedError) as refused:
        record.build(backend)
    first_words = record.unsupported[backend].split(":")[0].split()[0]
    assert first_words in str(refused.value)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("sched", SCHEDULE_RECORDS, ids=repr)
def test_schedule_values_match(sched, backend):
    ours = sched.build("numpy")
    expected = np.array([ours(t) for t in range(200)])
    if backend == "torch":
        import torch

        twin = sched.build("torch")
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=twin.initial_lr)
        scheduler = twin.scheduler(optimizer)
        values = []
        for _ in range(200):
            values.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
    else:
        import jax.numpy as jnp

        schedule = sched.build("jax").optax_schedule()
        # optax calls a schedule with its int32 step count: test it the same way
        values = [float(schedule(jnp.asarray(t, dtype=jnp.int32))) for t in range(200)]
    np.testing.assert_allclose(expected, values, rtol=1e-12, atol=1e-15)


def test_rmsprop_sensitive_regime_is_dynamics_not_scratch():
    """At lr 0.01 on the MLP, RMSProp trajectories separate after ~60 steps for every pair
    of implementations. Scratch must agree to 1e-10 while the run is well-conditioned,
    and afterwards drift no further from torch than torch drifts from jax."""
    from parity_tests.optimizer_registry import OptimizerRecord, Sched

    record = OptimizerRecord(
        "rmsprop_large_lr",
        "RMSProp",
        {
            "lr": Sched(
                "WarmupCosine",
                peak_lr=0.01,
                warmup_steps=10,
                total_steps=200,
                warmup_start_lr=0.001,
                final_lr=0.0005,
            ),
            "alpha": 0.9,
        },
    )
    runs = {}
    for backend in ["numpy", "torch", "jax"]:
        init, make = mlp_objective("float64")
        optimizer, grad_fn = record.build(backend, compared_with="torch"), make(backend)
        params, state, history = dict(init), optimizer.init(init), []
        for _ in range(200):
            params, state = optimizer.update(grad_fn(params), state, params)
            history.append(np.concatenate([params[k].ravel() for k in sorted(init)]))
        runs[backend] = np.array(history)  # (steps, all parameters)

    def drift(a, b):  # per step, relative to the parameters' scale
        return np.max(np.abs(runs[a] - runs[b]), axis=1) / np.max(np.abs(runs[b]), axis=1)

    assert drift("numpy", "torch")[:50].max() < 1e-10
    assert drift("torch", "jax")[-1] > 1e-8, "the regime is no longer sensitive: update the note"
    assert drift("numpy", "torch")[-1] <= 10 * drift("torch", "jax")[-1]
