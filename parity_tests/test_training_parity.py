"""End to end: the same training run on numpy, torch and jax (same initial parameters,
batches, dropout masks and optimizer settings) ends in the same place."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from parity_tests.support import backend_module, tolerance
from scratch.data import datasets
from scratch.data.splits import Standardizer, split
from scratch.nn.mlp import MLP
from scratch.nn.perceptron import Perceptron
from scratch.training.train import plan_for, train

ROOT = Path(__file__).resolve().parents[1]
# float32: 2 epochs of 4 Adam steps; each step rounds at ~6e-8 and Adam normalises
# updates, so parameters agree to a few 1e-7; the "trajectory" tolerance (1e-5) is the bound
EPOCHS = {"float64": 8, "float32": 2}


def lockstep(backend_name, dtype, optimizer=("Adam", {"lr": 0.01})):
    ds = datasets.load("iris")
    splits = split(ds, seed=3)
    splits = Standardizer.fit(splits.train).transform_splits(splits)
    splits = type(splits)(*(s._replace(X=s.X.astype(dtype)) for s in splits))
    mlp = MLP([4, 12, 10, 3], activation="tanh", dropout=0.25)
    params = mlp.init(np.random.default_rng(3), dtype=dtype)
    cls, kwargs = optimizer
    opt = getattr(backend_module(backend_name, "optim.optimizers"), cls)(**kwargs)
    backend = backend_module(backend_name, "training.train").Backend(mlp, params, opt)
    plan = plan_for(mlp, len(splits.train.y), 32, 3)
    return train(backend, splits, plan, EPOCHS[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize(
    "optimizer",
    [("Adam", {"lr": 0.01}), ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True})],
    ids=["adam", "nesterov"],
)
def test_lockstep_training_matches(backend, dtype, optimizer):
    rtol, atol = tolerance(dtype, "trajectory")
    ours, theirs = lockstep("numpy", dtype, optimizer), lockstep(backend, dtype, optimizer)
    np.testing.assert_allclose(
        theirs.history.step_loss,
        ours.history.step_loss,
        rtol=rtol,
        atol=atol,
        err_msg="minibatch losses",
    )
    np.testing.assert_allclose(theirs.history.val_loss, ours.history.val_loss, rtol=rtol, atol=atol)
    assert theirs.best_epoch == ours.best_epoch
    for k in ours.params:
        assert theirs.params[k].dtype == np.dtype(dtype)
        np.testing.assert_allclose(
            theirs.params[k], ours.params[k], rtol=rtol, atol=atol, err_msg=f"final {k}"
        )


@pytest.mark.parametrize("backend", ["torch", "jax"])
@pytest.mark.parametrize("name, seed", [("blobs", 0), ("blobs", 5), ("xor", 0)])
def test_perceptron_trajectory_matches(backend, name, seed):
    ds = datasets.load(name, seed=seed, n=120)
    y = np.where(ds.y == 1, 1, -1)
    ours = Perceptron(max_epochs=15).fit(ds.X, y)
    w, b, mistakes, epochs, converged, history = (
        backend_module(backend, "nn.perceptron").Perceptron(max_epochs=15).fit(ds.X, y)
    )
    assert (mistakes, epochs, converged) == (ours.mistakes, ours.epochs, ours.converged)
    assert len(history) == len(ours.history)
    for (w_ref, b_ref), (w_ours, b_ours) in zip(history, ours.history):
        np.testing.assert_allclose(w_ref, w_ours, rtol=1e-12, atol=1e-12)
        assert b_ref == pytest.approx(b_ours, abs=1e-12)


def test_main_job_json_schema(tmp_path):
    out = tmp_path / "run.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reference",
            "train",
            "--dataset",
            "iris",
            "--epochs",
            "3",
            "--hidden",
            "16",
            "--no-progress",
            "--plot",
            str(tmp_path / "curves.png"),
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(out.read_text())
    assert set(payload) >= {
        "dataset",
        "dtype",
        "steps",
        "backends",
        "max_abs_param_diff",
        "max_abs_loss_diff",
    }
    assert payload["dataset"] == "iris" and payload["dtype"] == "float64" and payload["steps"] == 12
    assert set(payload["backends"]) == {"numpy", "torch", "jax"}
    for entry in payload["backends"].values():
        assert {"test_accuracy", "final_loss", "ms_per_step"} <= set(entry)
    # identical predictions give identical accuracies, to the last bit (a float32 mean
    # in one backend once made jax's differ by 4e-8)
    assert len({entry["test_accuracy"] for entry in payload["backends"].values()}) == 1
    for backend in ("torch", "jax"):
        assert payload["max_abs_param_diff"][backend] < 1e-10
        assert payload["max_abs_loss_diff"][backend] < 1e-10
    # the per-epoch history: 3 epochs per backend, torch and jax matching numpy's
    numpy_history = payload["backends"]["numpy"]["history"]
    for entry in payload["backends"].values():
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            assert len(entry["history"][key]) == 3
            np.testing.assert_allclose(
                entry["history"][key], numpy_history[key], rtol=1e-10, atol=1e-12
            )
    assert "max |dparam|" in result.stdout and (tmp_path / "curves.png").exists()


def test_main_job_rejects_unknown_backend():
    result = subprocess.run(
        [sys.executable, "-m", "reference", "train", "--backends", "numpy,mxnet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and "expected a comma-separated subset of" in result.stderr
