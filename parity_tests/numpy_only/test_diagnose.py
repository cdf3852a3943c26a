"""Fault injection: each fault must make the report FAIL in its own category, and in no
other, on digits, iris and (where it applies) the diabetes regression, plus three faults
of regression only; the healthy default runs on those sets must not FAIL anywhere. The
whole healthy matrix is in test_diagnose_matrix.py."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch.nn.activations import Sigmoid, Tanh
from scratch.nn.linear import Linear
from scratch.nn.losses import MSE, SoftmaxCrossEntropy, loss_for_task
from scratch.nn.mlp import MLP
from scratch.nn.softmax import Softmax
from scratch.optim import optimizers
from scratch.optim.optimizers import SGD, Adam
from scratch.tools.diagnose import check_component, diagnose, format_report
from scratch.training.run import add_training_options, build_optimizer, prepare

ROOT = Path(__file__).resolve().parents[2]


class SignErrorTanh(Tanh):
    """A user's tanh whose backward has the wrong sign."""

    def _backward(self, cache, dY):
        return -dY * (1 - cache.Y * cache.Y), {}


class DroppedTermSigmoid(Sigmoid):
    """A user's sigmoid whose backward forgets the (1 - y) factor."""

    def _backward(self, cache, dY):
        return dY * cache.Y, {}


class WrongSignMSE(MSE):
    """A user's MSE whose backward returns minus the gradient."""

    def backward(self, cache, dL=1.0):
        return -super().backward(cache, dL)


def healthy(dataset="digits"):
    """The default run of `python -m scratch train` (64-256-128-C MLP, ReLU, dropout 0.2,
    Adam 1e-3) on `dataset`, its target standardised when it is a regression."""
    args = add_training_options(argparse.ArgumentParser()).parse_args(["--dataset", dataset])
    run = prepare(args)
    return {
        "model": run.mlp,
        "params": run.params,
        "optimizer": build_optimizer(run, optimizers),
        "loss": loss_for_task(run.dataset.task),
        "splits": run.splits,
        "task": run.dataset.task,
        "run": run,
    }


def _dims(setup):
    return setup["splits"].train.X.shape[1], setup["model"].sizes[-1]  # D, outputs


def shuffled_labels(setup):
    rng = np.random.default_rng(1)
    s = setup["splits"]
    setup["splits"] = s._replace(
        train=s.train._replace(y=rng.permutation(s.train.y)),
        validation=s.validation._replace(y=rng.permutation(s.validation.y)),
    )


def one_feature_scaled(setup):
    s = setup["splits"]
    D, _ = _dims(setup)
    scale = np.ones(D)
    scale[min(20, D - 1)] = 1e4
    setup["splits"] = type(s)(*(part._replace(X=part.X * scale) for part in s))


def probabilities_as_logits(setup):
    D, C = _dims(setup)
    model = MLP.from_layers([Linear(D, 128), Tanh(), Linear(128, C), Softmax()])
    setup["model"], setup["params"] = model, model.init(np.random.default_rng(0))


def mse_on_class_indices(setup):
    D, _ = _dims(setup)
    model = MLP([D, 128, 1])
    setup["model"], setup["params"] = model, model.init(np.random.default_rng(0))
    setup["loss"] = MSE()


def sign_error_in_backward(setup):
    D, C = _dims(setup)
    model = MLP.from_layers([Linear(D, 128, init="xavier"), SignErrorTanh(), Linear(128, C)])
    setup["model"], setup["params"] = model, model.init(np.random.default_rng(0))


def dropped_term_in_backward(setup):
    D, C = _dims(setup)
    model = MLP.from_layers([Linear(D, 128, init="xavier"), DroppedTermSigmoid(), Linear(128, C)])
    setup["model"], setup["params"] = model, model.init(np.random.default_rng(0))


def learning_rate_ten_times_too_large(setup):
    # 10x the default SGD rate (0.1, healthy: see below). Adam is no good example here:
    # at 10x its default (1e-2) it still trains digits well, faster than at 1e-3
    setup["optimizer"] = SGD(lr=1.0)


def learning_rate_far_too_small(setup):
    setup["optimizer"] = Adam(lr=1e-9)


def all_zero_initialisation(setup):
    setup["params"] = {k: np.zeros_like(v) for k, v in setup["params"].items()}


def dead_relus_from_negative_bias(setup):
    setup["params"] = dict(setup["params"], **{"0.b": setup["params"]["0.b"] - 10})


def unscaled_target(setup):
    """The regression target back in its own units (diabetes: mean ~152, std ~77)."""
    s, scaler = setup["splits"], setup["run"].target_scaler
    setup["splits"] = type(s)(*(part._replace(y=scaler.inverse(part.y)) for part in s))


def cross_entropy_on_continuous_target(setup):
    setup["loss"] = SoftmaxCrossEntropy()


def wrong_sign_loss_gradient(setup):
    setup["loss"] = WrongSignMSE()


FAULTS = [
    (shuffled_labels, "data"),
    (one_feature_scaled, "data"),
    (probabilities_as_logits, "loss"),
    (mse_on_class_indices, "loss"),
    (sign_error_in_backward, "gradients"),
    (dropped_term_in_backward, "gradients"),
    (all_zero_initialisation, "gradients"),
    (dead_relus_from_negative_bias, "gradients"),
    (learning_rate_ten_times_too_large, "updates"),
    (learning_rate_far_too_small, "updates"),
]
REGRESSION_FAULTS = [
    (unscaled_target, "data"),
    (cross_entropy_on_continuous_target, "loss"),
    (wrong_sign_loss_gradient, "gradients"),
]
CLASSIFICATION_ONLY = (probabilities_as_logits, mse_on_class_indices)
CASES = [
    (dataset, fault, category) for dataset in ("digits", "iris") for fault, category in FAULTS
] + [
    ("diabetes", fault, category)
    for fault, category in FAULTS + REGRESSION_FAULTS
    if fault not in CLASSIFICATION_ONLY
]


def run(setup):
    return diagnose(
        setup["model"],
        setup["params"],
        setup["optimizer"],
        setup["loss"],
        setup["splits"],
        task=setup.get("task", "classification"),
    )


@pytest.mark.parametrize("dataset", ["digits", "iris", "diabetes"])
def test_healthy_default_run_has_no_fail(dataset):
    report = run(healthy(dataset))
    assert report.failed == [], format_report(report)


def test_healthy_sgd_at_its_default_rate_has_no_fail():
    setup = healthy()
    setup["optimizer"] = SGD(lr=0.1)
    report = run(setup)
    assert report.failed == [], format_report(report)


def test_exploding_then_dead_run_is_a_learning_rate_problem():
    # SGD at 3.0: the loss spikes to ~30 and collapses to ln 10 with every ReLU dead
    setup = healthy()
    setup["optimizer"] = SGD(lr=3.0)
    report = run(setup)
    assert report.failed == ["updates"], format_report(report)
    trend = next(f for f in report.findings if f.check.startswith("loss over the first"))
    assert trend.status == "FAIL" and "too large" in trend.advice


@pytest.mark.parametrize(
    "dataset, fault, category", CASES, ids=[f"{d}-{f.__name__}" for d, f, _ in CASES]
)
def test_fault_is_flagged_in_its_category_only(dataset, fault, category):
    setup = healthy(dataset)
    fault(setup)
    report = run(setup)
    assert report.failed == [category], format_report(report)


def test_check_component_catches_a_wrong_backward():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4, 3))
    good = check_component(Tanh(), {}, X)
    bad = check_component(SignErrorTanh(), {}, X)
    assert [f.status for f in good] == ["PASS"]
    assert [f.status for f in bad] == ["FAIL"] and "gradient of X" in bad[0].value


def test_cli_writes_json_and_exits_zero_when_healthy(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scratch",
            "diagnose",
            "--dataset",
            "iris",
            "--hidden",
            "32",
            "--json",
            str(tmp_path / "d.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    payload = json.loads((tmp_path / "d.json").read_text())
    assert result.returncode == (1 if payload["failed"] else 0), result.stdout + result.stderr
    assert {f["category"] for f in payload["findings"]} == {"data", "loss", "gradients", "updates"}
    assert "VERDICT" in result.stdout


def test_entries_on_a_relu_kink_are_not_blamed_on_backward():
    # all ReLUs dead: the next layer's pre-activation is exactly its (zero) bias, on the
    # kink, where the central difference averages two slopes; backward is not wrong there
    setup = healthy()
    dead_relus_from_negative_bias(setup)
    report = run(setup)
    fd = next(f for f in report.findings if f.check.startswith("finite differences"))
    assert fd.status == "PASS" and "on a kink left out" in fd.value
    dead = next(f for f in report.findings if f.check.startswith("dead ReLUs"))
    assert dead.status == "FAIL"
