"""Training history in --json: per-epoch train and validation loss and accuracy, checked
against the saved best parameters evaluated afresh on the validation split."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from scratch.__main__ import build_parser
from scratch.nn.losses import SoftmaxCrossEntropy
from scratch.training.checkpoint import load_run_checkpoint
from scratch.training.run import prepare

ROOT = Path(__file__).resolve().parents[2]


def test_json_history_per_epoch(tmp_path):
    options = [
        "--dataset",
        "iris",
        "--epochs",
        "6",
        "--hidden",
        "8",
        "--dropout",
        "0",
        "--lr",
        "0.01",
    ]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scratch",
            "train",
            *options,
            "--no-progress",
            "--json",
            str(tmp_path / "r.json"),
            "--checkpoint",
            str(tmp_path / "p.npz"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads((tmp_path / "r.json").read_text())
    history = payload["backends"]["numpy"]["history"]
    assert set(history) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == payload["epochs_run"] == 6 for values in history.values())
    best = payload["best_epoch"]
    assert best == int(np.argmin(history["val_loss"])) + 1
    # the checkpoint holds the best epoch's parameters: evaluate them on the validation split
    run = prepare(build_parser().parse_args(["train", *options]))
    params = load_run_checkpoint(tmp_path / "p.npz").params
    logits, _ = run.mlp.forward(params, run.splits.validation.X)
    loss, _ = SoftmaxCrossEntropy().forward(logits, run.splits.validation.y)
    accuracy = np.mean(logits.argmax(axis=1) == run.splits.validation.y)
    np.testing.assert_allclose(history["val_loss"][best - 1], loss, rtol=1e-12, atol=1e-14)
    assert history["val_accuracy"][best - 1] == accuracy
