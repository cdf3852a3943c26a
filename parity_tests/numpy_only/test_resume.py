"""Self-describing checkpoints and exact resume: a run stopped after epoch k and carried on
from its checkpoint ends bit-identical (np.array_equal, float64) to the run that never
stopped: parameters, every optimizer buffer, the history and the early-stopping decision."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch.optim import optimizers
from scratch.optim.schedules import StepDecay, WarmupCosine
from scratch.training.checkpoint import (
    CheckpointError,
    checkpoint_of_run,
    load_run_checkpoint,
    save_checkpoint,
    save_run_checkpoint,
)
from scratch.training.resume import resume_backend
from scratch.training.run import add_training_options, prepare, run_backend
from scratch.training.train import Backend, train

ROOT = Path(__file__).resolve().parents[2]


def options(**overrides):
    args = add_training_options(argparse.ArgumentParser()).parse_args(
        ["--dataset", "iris", "--hidden", "16", "--batch-size", "16", "--no-progress"]
    )
    for name, value in overrides.items():
        setattr(args, name, value)
    return args


# (name, optimizer class, its arguments, dropout, patience): the settings the issue lists
SETTINGS = [
    (
        "sgd-momentum",
        "SGD",
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-3, "decay_mask": optimizers.skip_vectors},
        0.0,
        None,
    ),
    (
        "adamw-warmup-cosine",
        "AdamW",
        {
            "lr": WarmupCosine(0.01, 10, 60),
            "weight_decay": 0.05,
            "decay_mask": optimizers.skip_vectors,
        },
        0.0,
        None,
    ),
    ("adam-step-decay-dropout", "Adam", {"lr": StepDecay(0.02, 20, 0.5)}, 0.3, None),
    # lr large enough that validation loss turns up: early stopping after the resume point,
    # counting epochs waited from before it
    ("adam-early-stopping", "Adam", {"lr": 0.2}, 0.2, 3),
]


def run_of(args, cls, kwargs):
    run = prepare(args)
    return run._replace(optimizer=(cls, kwargs))


@pytest.mark.parametrize(
    "name, cls, kwargs, dropout, patience", SETTINGS, ids=[s[0] for s in SETTINGS]
)
def test_resumed_run_is_bit_identical_to_the_uninterrupted_run(
    tmp_path, name, cls, kwargs, dropout, patience
):
    check_resume(tmp_path, cls, kwargs, dropout, patience)


def test_resume_is_bit_identical_in_float32_too(tmp_path):
    check_resume(
        tmp_path, "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, 0.2, None, dtype="float32"
    )


def check_resume(tmp_path, cls, kwargs, dropout, patience, dtype="float64"):
    total, stop_after = 10, 7
    args = options(dropout=dropout, patience=patience, epochs=total, dtype=dtype)
    whole = run_backend("numpy", Backend, optimizers, run_of(args, cls, kwargs), args)

    args_first = options(dropout=dropout, patience=patience, epochs=stop_after, dtype=dtype)
    run = run_of(args_first, cls, kwargs)
    first = run_backend("numpy", Backend, optimizers, run, args_first)
    path = save_run_checkpoint(tmp_path / "ckpt.npz", checkpoint_of_run(args_first, run, first))
    checkpoint = load_run_checkpoint(path)
    backend, start = resume_backend(Backend, run, checkpoint)
    resumed = train(backend, run.splits, run.plan, total, patience, resume_from=start)

    expected = whole.result
    if patience is not None:  # the setting must exercise what it claims to
        assert expected.stopped_early and expected.best_epoch < stop_after < expected.epochs_run
    assert (resumed.best_epoch, resumed.epochs_run, resumed.stopped_early) == (
        expected.best_epoch,
        expected.epochs_run,
        expected.stopped_early,
    )
    for key in expected.params:
        assert resumed.params[key].dtype == np.dtype(dtype)
        assert np.array_equal(resumed.params[key], expected.params[key]), key
        assert np.array_equal(resumed.progress.last_params[key], expected.progress.last_params[key])
    state, expected_state = backend.state, whole.backend.state
    assert state.keys() == expected_state.keys() and state["step"] == expected_state["step"]
    for slot in state:
        if slot != "step":
            for key in state[slot]:
                assert np.array_equal(state[slot][key], expected_state[slot][key]), (slot, key)
    for field in ("train_loss", "val_loss", "val_accuracy", "step_loss"):
        assert getattr(resumed.history, field) == getattr(expected.history, field), field


def test_checkpoint_describes_the_run(tmp_path):
    args = options(epochs=2, weight_decay=0.01, optimizer="adamw", dropout=0.1)
    run = prepare(args)
    result = run_backend("numpy", Backend, optimizers, run, args)
    path = save_run_checkpoint(tmp_path / "c.npz", checkpoint_of_run(args, run, result))
    c = load_run_checkpoint(path)
    assert c.model == {"sizes": [4, 16, 3], "activation": "relu", "dropout": 0.1, "init": "he"}
    assert (c.dtype, c.task, c.dataset) == ("float64", "classification", "iris")
    assert c.class_names == ["setosa", "versicolor", "virginica"] and len(c.feature_names) == 4
    np.testing.assert_array_equal(c.scaler["centre"], run.scaler.mean)
    np.testing.assert_array_equal(c.scaler["scale"], run.scaler.std)
    assert c.scaler["method"] == "minmax"
    assert c.optimizer["class"] == "AdamW" and c.optimizer["decay_mask"] == "skip_vectors"
    assert c.optimizer["hyperparameters"]["weight_decay"] == 0.01
    assert c.optimizer_state["step"] == 2 * 7  # 102 training rows in batches of 16
    assert set(c.optimizer_state) == {"step", "exp_avg", "exp_avg_sq"}
    assert c.progress["epoch"] == 2 and c.progress["seed"] == 0 and c.progress["step"] == 14
    assert c.run["optimizer"] == "adamw"
    for key in result.result.params:
        assert np.array_equal(c.params[key], result.result.params[key])
        assert np.array_equal(
            c.optimizer_state["exp_avg"][key], result.backend.state["exp_avg"][key]
        )


def test_old_format_wrong_version_and_shape_mismatch_are_one_line_errors(tmp_path):
    old = save_checkpoint(
        tmp_path / "old.npz",
        {"0.W": np.ones((4, 8))},
        {"sizes": [4, 8], "activation": "relu", "dataset": "iris"},
    )
    with pytest.raises(
        CheckpointError,
        match="old format .* lacks the format version, dropout, "
        "dtype, task and class names, scaler statistics",
    ):
        load_run_checkpoint(old)
    args = options(epochs=1)
    run = prepare(args)
    good = checkpoint_of_run(args, run, run_backend("numpy", Backend, optimizers, run, args))
    path = save_run_checkpoint(tmp_path / "c.npz", good)
    arrays = dict(np.load(path, allow_pickle=False))
    meta = json.loads(str(arrays.pop("__meta__")))
    save_checkpoint(tmp_path / "v9.npz", arrays, dict(meta, version=9))
    with pytest.raises(CheckpointError, match="format version 9; this program reads version 2"):
        load_run_checkpoint(tmp_path / "v9.npz")
    arrays["params/0.W"] = np.ones((4, 5))
    save_checkpoint(tmp_path / "bad.npz", arrays, meta)
    with pytest.raises(
        CheckpointError,
        match=r"'0.W' has shape \(4, 5\); the architecture "
        r"expects \(4, 16\)",
    ):
        load_run_checkpoint(tmp_path / "bad.npz")


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "scratch", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_train_resume_cli_matches_the_uninterrupted_run(tmp_path):
    common = ["--dataset", "iris", "--hidden", "8", "--no-progress"]
    assert (
        cli("train", *common, "--epochs", "2", "--checkpoint", str(tmp_path / "a.npz")).returncode
        == 0
    )
    done = cli(
        "train",
        "--resume",
        str(tmp_path / "a.npz"),
        "--epochs",
        "5",
        "--no-progress",
        "--checkpoint",
        str(tmp_path / "b.npz"),
    )
    assert done.returncode == 0, done.stderr
    assert (
        cli("train", *common, "--epochs", "5", "--checkpoint", str(tmp_path / "c.npz")).returncode
        == 0
    )
    b, c = load_run_checkpoint(tmp_path / "b.npz"), load_run_checkpoint(tmp_path / "c.npz")
    for key in c.params:
        assert np.array_equal(b.params[key], c.params[key])
        assert np.array_equal(b.last_params[key], c.last_params[key])
    assert b.progress["history"]["val_loss"] == c.progress["history"]["val_loss"]
    # mistakes: one line, no traceback
    for bad, message in [
        (["--epochs", "2"], "has already run 2 epochs"),
        (["--epochs", "6", "--hidden", "32"], "--hidden [32] contradicts"),
    ]:
        out = cli("train", "--resume", str(tmp_path / "a.npz"), "--no-progress", *bad)
        assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr
    (tmp_path / "cut.npz").write_bytes((tmp_path / "a.npz").read_bytes()[:200])
    out = cli("train", "--resume", str(tmp_path / "cut.npz"), "--epochs", "6")
    assert "not a readable checkpoint" in out.stderr and "Traceback" not in out.stderr
