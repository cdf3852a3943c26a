"""K simulated data-parallel workers (scratch/training/data_parallel.py) against the plain
single-worker run: the same parameters after whole runs, the same loss at every step."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch.data import datasets
from scratch.data.splits import Standardizer, split
from scratch.nn.mlp import MLP
from scratch.optim.optimizers import SGD, Adam
from scratch.training.data_parallel import (
    DataParallelBackend,
    all_reduce_sum,
    check_workers,
    shard_rows,
)
from scratch.training.train import Backend, TrainingPlan, plan_for, train

ROOT = Path(__file__).resolve().parents[2]
BATCH = 13  # iris: 102 training rows = 7 batches of 13 and a short last batch of 11


def iris_run(workers, optimizer, epochs=6, seed=0):
    splits = split(datasets.load("iris"), seed=seed)
    splits = Standardizer.fit(splits.train).transform_splits(splits)
    mlp = MLP([4, 16, 12, 3], dropout=0.2)
    params = mlp.init(np.random.default_rng(seed))
    backend = Backend(mlp, params, optimizer)
    if workers is not None:
        backend = DataParallelBackend(backend, workers)
    plan = plan_for(mlp, len(splits.train.y), BATCH, seed)
    return plan, train(backend, splits, plan, epochs)


def test_the_run_has_uneven_shards_and_a_short_last_batch():
    # guards the parity tests below: they must cover what weighting by n_k / N is for
    plan, _ = iris_run(None, Adam(lr=0.01), epochs=1)
    sizes = sorted({len(rows) for rows in plan.batches(1)})
    assert sizes == [11, BATCH]
    assert [len(r) for r in shard_rows(BATCH, 3)] == [5, 4, 4]
    assert [len(r) for r in shard_rows(11, 7)] == [2, 2, 2, 2, 1, 1, 1]


def test_one_worker_is_the_plain_run_bit_for_bit():
    _, plain = iris_run(None, Adam(lr=0.01))
    _, one = iris_run(1, Adam(lr=0.01))
    assert one.history.step_loss == plain.history.step_loss
    for name, value in plain.params.items():
        np.testing.assert_array_equal(one.params[name], value, err_msg=name)


@pytest.mark.parametrize("workers", [2, 3, 7])
@pytest.mark.parametrize(
    "optimizer",
    [lambda: Adam(lr=0.01), lambda: SGD(lr=0.1, momentum=0.9)],
    ids=["adam", "momentum"],
)
def test_k_workers_equal_the_plain_run(workers, optimizer):
    _, plain = iris_run(None, optimizer())
    _, parallel = iris_run(workers, optimizer())
    assert len(parallel.history.step_loss) == len(plain.history.step_loss) == 6 * 8
    np.testing.assert_allclose(
        parallel.history.step_loss, plain.history.step_loss, rtol=0, atol=1e-12
    )
    assert parallel.best_epoch == plain.best_epoch
    for name, value in plain.params.items():
        assert parallel.params[name].dtype == np.float64
        np.testing.assert_allclose(parallel.params[name], value, rtol=0, atol=1e-12, err_msg=name)
    # the run moved the parameters far more than the tolerance: the comparison means something
    initial = MLP([4, 16, 12, 3], dropout=0.2).init(np.random.default_rng(0))
    assert max(np.max(np.abs(plain.params[k] - initial[k])) for k in initial) > 0.05


def one_step_gradients(workers, combine):
    """The gradient a step would apply, from shards combined by `combine`, and the
    whole batch's gradient from the plain backend: one batch of 16 with its masks."""
    rng = np.random.default_rng(5)
    mlp = MLP([5, 7, 3], dropout=0.3)
    params = mlp.init(rng)
    X, y = rng.standard_normal((BATCH, 5)), rng.integers(0, 3, BATCH)
    masks = TrainingPlan(BATCH, BATCH, 5, 0.3, {2: 7}).masks(1, 0, BATCH)
    backend = DataParallelBackend(Backend(mlp, params, SGD(lr=0.1)), workers)
    shards = [
        backend.shard_gradient(X[r], y[r], {i: m[r] for i, m in masks.items()})[1]
        for r in shard_rows(BATCH, workers)
    ]
    Y, cache = mlp.forward(params, X, training=True, masks=masks)
    loss = backend.backend.loss
    _, full = mlp.backward(cache, loss.backward(loss.forward(Y, y)[1]))
    return combine(shards, [len(r) for r in shard_rows(BATCH, workers)]), full


def test_shard_gradients_weighted_by_size_sum_to_the_batch_gradient():
    combined, full = one_step_gradients(
        3,
        lambda shards, sizes: all_reduce_sum(
            [{k: n / BATCH * g for k, g in s.items()} for s, n in zip(shards, sizes)]
        ),
    )
    for name, value in full.items():
        np.testing.assert_allclose(combined[name], value, rtol=1e-13, atol=1e-15, err_msg=name)


def test_a_plain_average_of_uneven_shards_is_not_the_batch_gradient():
    # shards of 5, 4, 4 rows: averaging with 1/K overweights the first shard. This is the
    # mistake the n_k / N weighting avoids, and a check that the test above can fail.
    averaged, full = one_step_gradients(
        3, lambda shards, sizes: all_reduce_sum([{k: g / 3 for k, g in s.items()} for s in shards])
    )
    worst = max(np.max(np.abs(averaged[k] - full[k])) for k in full)
    assert worst > 1e-4


def test_more_workers_than_rows_is_refused():
    with pytest.raises(ValueError, match="a batch of 5 rows cannot feed 6 workers"):
        shard_rows(5, 6)
    plan = TrainingPlan(102, 13, 0)
    assert check_workers("--workers", 11, plan) is None
    assert "smallest batch, 11 rows (the last, short batch" in check_workers("--workers", 12, plan)
    assert check_workers("--workers", 13, TrainingPlan(104, 13, 0)) is None  # no short batch
    with pytest.raises(ValueError, match="workers"):
        DataParallelBackend(None, 0)


def run_cli(*args, tmp_path):
    return subprocess.run(
        [sys.executable, "-m", "scratch", "train", "--no-progress", *args],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_workers_reports_the_difference_from_the_plain_run(tmp_path):
    out = run_cli(
        "--dataset",
        "iris",
        "--hidden",
        "16",
        "--epochs",
        "3",
        "--batch-size",
        "16",
        "--workers",
        "3",
        "--json",
        "r.json",
        tmp_path=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert set(result["backends"]) == {"numpy", "numpy:3"}
    assert result["max_abs_param_diff"]["numpy:3"] <= 1e-12
    assert result["max_abs_loss_diff"]["numpy:3"] <= 1e-12
    assert (
        result["backends"]["numpy:3"]["test_accuracy"]
        == result["backends"]["numpy"]["test_accuracy"]
    )


def test_cli_refuses_more_workers_than_the_smallest_batch(tmp_path):
    out = run_cli(
        "--dataset",
        "iris",
        "--batch-size",
        "13",
        "--workers",
        "12",
        "--json",
        "r.json",
        tmp_path=tmp_path,
    )
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0
    assert "--workers 12 is larger than the smallest batch, 11 rows" in out.stderr
    assert not (tmp_path / "r.json").exists()
