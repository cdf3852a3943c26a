"""`python -m scratch predict`: from raw features, the same numbers as the training run's
own test evaluation, and each probability as an independent NumPy forward pass gives it."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch.data import datasets
from scratch.data.splits import split
from scratch.training.checkpoint import load_run_checkpoint, save_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "scratch", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("predict")
    out = cli(
        "train",
        "--dataset",
        "iris",
        "--epochs",
        "15",
        "--hidden",
        "8",
        "--lr",
        "0.05",
        "--scale",
        "standard",
        "--seed",
        "3",
        "--no-progress",
        "--json",
        str(folder / "run.json"),
        "--checkpoint",
        str(folder / "c.npz"),
    )
    assert out.returncode == 0, out.stderr
    return folder, json.loads((folder / "run.json").read_text())["backends"]["numpy"]


def test_predict_on_the_test_split_reproduces_the_runs_test_metrics(trained):
    folder, run = trained
    out = cli("predict", str(folder / "c.npz"), "--dataset", "iris", "--split", "test", "--json")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["metrics"]["loss"] == run["test_loss"]  # the same float, bit for bit
    assert payload["metrics"]["accuracy"] == run["test_accuracy"]
    assert payload["metrics"]["rows"] == 24 and run["test_accuracy"] > 0.8


def test_predict_from_a_raw_csv_matches_an_independent_forward_pass(trained):
    folder, run = trained
    iris = datasets.load("iris")
    test = split(iris, seed=3).test
    path = folder / "raw.csv"
    with open(path, "w", newline="") as f:  # shuffled column order and an extra column
        writer = csv.writer(f)
        writer.writerow(["note", "species", *reversed(iris.feature_names)])
        for x, label in zip(test.X, test.y):
            writer.writerow(["x", iris.target_names[label], *map(repr, reversed(x.tolist()))])
    out = cli(
        "predict",
        str(folder / "c.npz"),
        "--csv",
        str(path),
        "--target",
        "species",
        "--out",
        str(folder / "p.csv"),
    )
    assert out.returncode == 0, out.stderr
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temporary left
    rows = list(csv.DictReader(open(folder / "p.csv")))
    P = np.array([[float(r[f"p({n})"]) for n in iris.target_names] for r in rows])
    # independent: the scaler and the network written out by hand from the saved arrays
    c = load_run_checkpoint(folder / "c.npz")
    X = (test.X - c.scaler["centre"]) / c.scaler["scale"]
    p = c.params
    hidden = np.maximum(X @ p["0.W"] + p["0.b"], 0)
    Z = hidden @ p["3.W"] + p["3.b"]
    expected = np.exp(Z - Z.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(P, expected, rtol=1e-12, atol=1e-15)
    assert [r["prediction"] for r in rows] == [iris.target_names[i] for i in Z.argmax(axis=1)]
    accuracy = np.mean([r["prediction"] == r["label"] for r in rows])
    assert accuracy == run["test_accuracy"]
    assert f"accuracy {run['test_accuracy']:.6g}" in out.stdout
    # from the raw CSV, the run's own test metrics, bit for bit
    out = cli("predict", str(folder / "c.npz"), "--csv", str(path), "--target", "species", "--json")
    metrics = json.loads(out.stdout)["metrics"]
    assert metrics["loss"] == run["test_loss"] and metrics["accuracy"] == run["test_accuracy"]


def test_predict_regression_values_and_loss(tmp_path):
    out = cli(
        "train",
        "--dataset",
        "diabetes",
        "--epochs",
        "3",
        "--hidden",
        "8",
        "--no-progress",
        "--json",
        str(tmp_path / "r.json"),
        "--checkpoint",
        str(tmp_path / "c.npz"),
    )
    assert out.returncode == 0, out.stderr
    run = json.loads((tmp_path / "r.json").read_text())["backends"]["numpy"]
    out = cli("predict", str(tmp_path / "c.npz"), "--dataset", "diabetes", "--json")
    payload = json.loads(out.stdout)
    assert payload["metrics"]["loss"] == run["test_loss"]  # on the standardised target
    values = np.array([r["prediction"] for r in payload["predictions"]])
    labels = np.array([r["label"] for r in payload["predictions"]])
    # values are in the target's units: their RMSE is the run's own, recomputed by hand
    rmse = np.sqrt(np.mean((values - labels) ** 2))
    np.testing.assert_allclose(rmse, run["test_rmse"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(payload["metrics"]["rmse"], run["test_rmse"], rtol=1e-12, atol=0)
    assert 25 < np.mean(labels) and abs(np.mean(values) - np.mean(labels)) < 0.5 * np.std(labels)


def test_predict_mistakes_are_one_line(trained, tmp_path):
    folder, _ = trained
    (tmp_path / "few.csv").write_text("sepal length (cm),petal width (cm)\n1,2\n")
    old = save_checkpoint(tmp_path / "old.npz", {"0.W": np.ones((4, 3))}, {"sizes": [4, 3]})
    for args, message in [
        (["--csv", str(tmp_path / "few.csv")], "lacks the feature column(s) ['sepal width (cm)'"),
        (["--dataset", "digits"], "the model reads 4 features; digits has 64"),
    ]:
        out = cli("predict", str(folder / "c.npz"), *args)
        assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr
    out = cli("predict", str(old), "--dataset", "iris")
    assert "checkpoint of the old format" in out.stderr and "Traceback" not in out.stderr
    assert "(default: test)" in cli("predict", "--help").stdout
    assert "--resume CHECKPOINT" in cli("train", "--help").stdout
