"""Perceptron, the training loop (early stopping, eval mode) and the train CLI."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch.data import datasets
from scratch.data.splits import Standardizer, split
from scratch.nn.mlp import MLP
from scratch.nn.perceptron import Perceptron, mistake_bound
from scratch.optim.optimizers import Adam
from scratch.training.train import Backend, plan_for, train

ROOT = Path(__file__).resolve().parents[2]


def signed_labels(ds):
    return np.where(ds.y == 1, 1, -1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perceptron_converges_within_the_mistake_bound(seed):
    ds = datasets.load("blobs", seed=seed, n=200)
    y = signed_labels(ds)
    result = Perceptron(max_epochs=1000).fit(ds.X, y)
    assert result.converged
    bound = mistake_bound(ds.X, y, *datasets.BLOBS_SEPARATOR)
    assert 0 < result.mistakes <= bound
    np.testing.assert_array_equal(Perceptron.predict(result, ds.X), y)


def test_perceptron_on_xor_stops_at_its_limit_and_says_so():
    ds = datasets.load("xor", seed=0, n=100)
    result = Perceptron(max_epochs=25).fit(ds.X, signed_labels(ds))
    assert not result.converged and result.epochs == 25
    assert result.mistakes > 25  # at least one mistake every epoch


def test_perceptron_rejects_zero_one_labels():
    with pytest.raises(ValueError, match="expects labels y in \\{-1, \\+1\\}; got values \\[0\\]"):
        Perceptron().fit(np.ones((2, 2)), np.array([0, 1]))


def small_run(dropout=0.0, optimizer=None, epochs=12, patience=None, seed=0):
    ds = datasets.load("iris")
    splits = split(ds, seed=seed)
    splits = Standardizer.fit(splits.train).transform_splits(splits)
    mlp = MLP([4, 16, 3], dropout=dropout)
    params = mlp.init(np.random.default_rng(seed))
    backend = Backend(mlp, params, optimizer or Adam(lr=0.01))
    plan = plan_for(mlp, len(splits.train.y), 16, seed)
    return backend, splits, plan, train(backend, splits, plan, epochs, patience)


def test_early_stopping_restores_the_best_epoch():
    class Recording(Backend):
        """Keeps the parameters as they were when each epoch's validation ran."""

        snapshots = []

        def evaluate(self, X, y):
            if X is self.val_X:
                self.snapshots.append(self.get_params())
            return super().evaluate(X, y)

    ds = datasets.load("iris")
    splits = split(ds, seed=1)
    splits = Standardizer.fit(splits.train).transform_splits(splits)
    mlp = MLP([4, 64, 3])
    backend = Recording(mlp, mlp.init(np.random.default_rng(1)), Adam(lr=0.05))
    backend.val_X = splits.validation.X
    plan = plan_for(mlp, len(splits.train.y), 8, 1)
    result = train(backend, splits, plan, epochs=200, patience=5)
    best = int(np.argmin(result.history.val_loss))
    assert result.stopped_early and result.epochs_run == best + 1 + 5
    assert result.best_epoch == best + 1 < result.epochs_run
    for k, v in backend.snapshots[best].items():
        np.testing.assert_array_equal(result.params[k], v)
        np.testing.assert_array_equal(backend.get_params()[k], v)  # restored in the backend
    assert result.history.val_loss[-1] > result.history.val_loss[best]


def test_eval_mode_turns_dropout_off():
    backend, splits, _, _ = small_run(dropout=0.5, epochs=2)
    first = backend.evaluate(splits.validation.X, splits.validation.y)
    second = backend.evaluate(splits.validation.X, splits.validation.y)
    assert first == second  # no random masks in eval mode
    # eval mode is the network with its dropout layers (index 2) simply left out
    p, X = backend.params, splits.validation.X
    expected = np.maximum(X @ p["0.W"] + p["0.b"], 0) @ p["3.W"] + p["3.b"]
    Y_eval, _ = backend.mlp.forward(p, X, training=False)
    np.testing.assert_allclose(Y_eval, expected, rtol=1e-14, atol=1e-14)


def test_plan_gives_each_epoch_a_new_order_and_every_row_once():
    _, splits, plan, _ = small_run(epochs=1)
    e1, e2 = np.concatenate(plan.batches(1)), np.concatenate(plan.batches(2))
    assert sorted(e1) == list(range(len(splits.train.y)))
    assert not np.array_equal(e1, e2)
    np.testing.assert_array_equal(e1, np.concatenate(plan.batches(1)))  # reproducible


def test_training_learns_iris():
    backend, splits, _, result = small_run(epochs=30)
    assert result.history.train_loss[-1] < 0.5 * result.history.train_loss[0]
    assert backend.evaluate(splits.test.X, splits.test.y)[1] >= 0.9


def run_cli(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "scratch", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_scratch_train_cli_writes_json_plot_and_checkpoint(tmp_path):
    result = run_cli(
        "train",
        "--dataset",
        "iris",
        "--epochs",
        "5",
        "--hidden",
        "8",
        "--no-progress",
        "--json",
        str(tmp_path / "r.json"),
        "--plot",
        str(tmp_path / "c.png"),
        "--checkpoint",
        str(tmp_path / "p.npz"),
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads((tmp_path / "r.json").read_text())
    assert (
        payload["dataset"] == "iris" and payload["steps"] == 5 * 4
    )  # 102 training rows / batch 32 -> 4 steps
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from scratch.training.checkpoint import load_run_checkpoint

    checkpoint = load_run_checkpoint(tmp_path / "p.npz")
    assert checkpoint.model["sizes"] == [4, 8, 3] and checkpoint.params["0.W"].shape == (4, 8)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "mnist"], "invalid choice: 'mnist'"),
        (["--hidden", "64,x"], "expected comma-separated positive widths"),
        (["--hidden", "0"], "expected positive widths"),
        (["--batch-size", "0"], "expected a positive integer; got 0"),
        (["--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["--dropout", "1"], "expected a probability in [0, 1); got 1"),
        (["--lr", "-1"], "expected a finite number >= 0; got -1"),
    ],
)
def test_train_cli_rejects_bad_options(args, message):
    result = run_cli("train", *args)
    assert result.returncode == 2 and message in result.stderr, result.stderr


def test_train_cli_rejects_a_batch_larger_than_the_data():
    result = run_cli("train", "--dataset", "iris", "--batch-size", "5000", "--no-progress")
    assert result.returncode != 0 and "larger than the training split (102 rows)" in result.stderr
