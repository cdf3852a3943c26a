"""What `diagnose` (and `train`) accept, refuse and print: its own option set, one-line
errors for data that cannot be trained on, regression reported in the target's units,
and an exit code of 0 on every shipped data set at its defaults."""

import contextlib
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch.__main__ import build_parser, main
from scratch.data import datasets
from scratch.data.splits import Splits, Subset, TargetScaler, check_trainable, split
from scratch.errors import UsageError
from scratch.training.metrics import least_squares_predictions, regression_metrics
from scratch.training.outputs import to_json_value as finite_or_none

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "option",
    [
        ["--epochs", "3"],
        ["--patience", "2"],
        ["--plot", "a.png"],
        ["--checkpoint", "a.npz"],
        ["--no-progress"],
    ],
)
def test_diagnose_refuses_the_options_only_train_uses(option, capsys):
    with pytest.raises(UsageError, match="unrecognized arguments"):
        build_parser().parse_args(["diagnose", *option])
    assert main(["diagnose", *option]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err
    build_parser().parse_args(["train", *option])  # train still takes them


def _csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return str(path)


@pytest.mark.parametrize("command", ["diagnose", "train"])
@pytest.mark.parametrize(
    "rows, words",
    [
        ([(i, i % 3, 0) for i in range(30)], "single class"),
        ([(1, 2, 0), (2, 3, 1), (3, 4, 2)], "no validation"),
        ([(i, i % 3, 1.5) for i in range(30)], "constant"),
    ],
    ids=["one-class", "three-rows", "constant-target"],
)
def test_degenerate_data_stops_with_one_line_before_training(
    tmp_path, command, rows, words, capsys
):
    path = _csv(tmp_path / "d.csv", ["a", "b", "t"], rows)
    assert main([command, "--csv", path, "--target", "t", "--batch-size", "1"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # stopped before anything trained (or was even described)
    assert captured.err.startswith("python -m scratch: error: ") and words in captured.err
    assert captured.err.count("\n") == 1


def test_a_degenerate_csv_gives_no_traceback_on_the_command_line(tmp_path):
    path = _csv(tmp_path / "d.csv", ["a", "b", "t"], [(i, i % 3, 0) for i in range(30)])
    result = subprocess.run(
        [sys.executable, "-m", "scratch", "diagnose", "--csv", path, "--target", "t"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "single class" in result.stderr


def test_fewer_rows_than_classes_is_named():
    X = np.zeros((6, 2))
    y = np.arange(6) % 3
    parts = [
        Subset(X[i : i + 2], y[i : i + 2], role, np.arange(i, i + 2))
        for i, role in zip((0, 2, 4), ("train", "validation", "test"))
    ]
    with pytest.raises(ValueError, match="6 rows for 10 classes"):
        check_trainable(Splits(*parts), "classification", num_classes=10)


def test_a_missing_csv_is_one_line(capsys):
    assert main(["diagnose", "--csv", "/nonexistent/d.csv", "--target", "t"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "/nonexistent/d.csv" in err


def test_target_scaler_is_fitted_on_train_and_inverts():
    splits = split(datasets.load("diabetes"), seed=0)
    scaler = TargetScaler.fit(splits.train)
    scaled = scaler.transform_splits(splits)
    # closed form: mean 0, std 1 on the training rows only; not on the others
    np.testing.assert_allclose(
        [scaled.train.y.mean(), scaled.train.y.std()], [0, 1], rtol=0, atol=1e-12
    )
    assert abs(scaled.test.y.mean()) > 1e-6
    np.testing.assert_allclose(scaler.inverse(scaled.test.y), splits.test.y, rtol=1e-12, atol=1e-9)
    with pytest.raises(ValueError, match="training Subset"):
        TargetScaler.fit(splits.validation)


def test_regression_metrics_against_hand_computation():
    rng = np.random.default_rng(3)
    y, y_hat = rng.normal(150, 70, 40), rng.normal(150, 70, 40)
    residual = y - y_hat
    metrics = regression_metrics(y, y_hat)
    expected_r2 = 1 - (residual @ residual) / ((y - y.mean()) @ (y - y.mean()))
    np.testing.assert_allclose(
        [metrics["rmse"], metrics["mae"], metrics["r2"]],
        [math.sqrt(np.mean(residual**2)), np.mean(np.abs(residual)), expected_r2],
        rtol=1e-12,
        atol=0,
    )
    assert regression_metrics(y, y)["r2"] == 1.0


def test_least_squares_recovers_an_exact_linear_target():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 5))
    w, b = rng.standard_normal(5), 2.5
    X_new = rng.standard_normal((7, 5))
    np.testing.assert_allclose(
        least_squares_predictions(X, X @ w + b, X_new), X_new @ w + b, rtol=1e-10, atol=1e-10
    )


def test_json_never_holds_nan():
    payload = finite_or_none({"a": math.nan, "b": [1.0, math.inf, np.float64("nan")], "c": 2})
    assert payload == {"a": None, "b": [1.0, None, None], "c": 2}


def test_regression_training_reports_rmse_mae_r2_and_no_accuracy(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert (
        main(
            ["train", "--dataset", "diabetes", "--epochs", "2", "--no-progress", "--json", str(out)]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "acc" not in printed and "nan" not in printed
    header = next(line for line in printed.splitlines() if line.startswith("backend"))
    row = next(line for line in printed.splitlines() if line.startswith("numpy"))
    ols = next(line for line in printed.splitlines() if line.startswith("OLS"))
    r2_end = header.index("test R²") + len("test R²")  # columns right-aligned under it
    assert len(row) == len(header) and len(ols) == r2_end
    assert row[:r2_end].rstrip().endswith(f"{entry_r2(out):.4f}")
    payload = json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(f"JSON holds {c}"))
    entry = payload["backends"]["numpy"]
    assert entry["test_accuracy"] is None and {"test_rmse", "test_mae", "test_r2"} <= set(entry)
    # the run's R² in the target's units agrees with its RMSE (closed form on the test split)
    test_y = datasets.load("diabetes").y[split(datasets.load("diabetes"), seed=0).test.indices]
    np.testing.assert_allclose(
        1 - entry["test_rmse"] ** 2 / test_y.var(), entry["test_r2"], rtol=1e-9, atol=1e-12
    )
    assert 0.3 < payload["least_squares"]["test_r2"] < 0.8


def entry_r2(path):
    return json.loads(path.read_text())["backends"]["numpy"]["test_r2"]


try:  # one BLAS thread: small matrices, and threads only contend on 2 shared cores
    from threadpoolctl import threadpool_limits
except ImportError:  # the numpy-only environment has no threadpoolctl
    threadpool_limits = None


@pytest.mark.parametrize("dataset", datasets.NAMES)
def test_diagnose_exits_zero_on_every_shipped_data_set_at_its_defaults(dataset, capsys):
    with threadpool_limits(1) if threadpool_limits else contextlib.nullcontext():
        assert main(["diagnose", "--dataset", dataset]) == 0, capsys.readouterr().out


def test_signal_control_on_a_split_too_small_to_tell_is_a_warn_not_a_fail():
    # 4 validation rows of 2 classes: even a perfect score has p = 1/C(4,2) = 1/6 > 0.05
    from scratch.tools.diagnose import signal_control

    rng = np.random.default_rng(0)
    y = np.arange(20) % 2  # validation rows 12-15: two of each class
    X = np.column_stack([y + 0.1 * rng.random(20), rng.random(20)])  # (20, 2) separable
    parts = [
        Subset(X[a:b], y[a:b], role, np.arange(a, b))
        for a, b, role in ((0, 12, "train"), (12, 16, "validation"), (16, 20, "test"))
    ]
    finding = signal_control(Splits(*parts), "classification")
    assert finding.status == "WARN" and "too small" in finding.advice, finding
    # closed form: 1 of the C(4,2) = 6 equally likely label arrangements is the real one;
    # the Monte Carlo p over 9,999 permutations is within 4 standard errors (0.0037) of it
    p_best = float(finding.value.rsplit("p=", 1)[1])
    assert abs(p_best - 1 / 6) < 4 * math.sqrt(1 / 6 * 5 / 6 / 9999) + 0.005  # + print rounding
