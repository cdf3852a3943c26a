"""The learning-rate demonstration against closed forms."""

import subprocess
import sys
from pathlib import Path

import numpy as np

from scratch.optim.optimizers import SGD
from scratch.tools.explore import learning_rate_study, run

ROOT = Path(__file__).resolve().parents[2]


def test_gradient_descent_matches_the_closed_form():
    L = np.array([10.0, 1.0])
    for lr in [0.05, 0.19, 0.21]:
        losses = run(SGD(lr=lr), L, 30, np.ones(2))
        t = np.arange(31)[:, None]
        expected = 0.5 * np.sum(L * (1 - lr * L) ** (2 * t), axis=1)
        np.testing.assert_allclose(losses, expected, rtol=1e-12, atol=1e-300)


def test_thresholds_and_verdicts():
    study = learning_rate_study(curvatures=(10.0, 1.0), factors=(0.95, 1.05, 2.0), steps=60)
    assert study["threshold"] == 0.2
    np.testing.assert_allclose(study["momentum_threshold"], 0.38, rtol=1e-15)
    gd = study["results"]["gradient descent"]
    below, above, far = study["lrs"]
    assert gd[below][-1] < gd[below][0] and gd[above][-1] > gd[above][0]
    momentum = study["results"]["SGD momentum 0.9"]
    assert momentum[above][-1] < momentum[above][0]  # momentum survives 1.05 x 2/L ...
    assert momentum[far][-1] > momentum[far][0]  # ... but not 2 x 2/L > 0.38
    assert all(np.isfinite(v).all() for v in study["results"]["Adam"].values())


def test_heavy_ball_threshold_is_sharp():
    L = np.array([10.0])
    beta = 0.9
    edge = 2 * (1 + beta) / L[0]
    stable = run(SGD(lr=0.98 * edge, momentum=beta), L, 400, np.ones(1))
    unstable = run(SGD(lr=1.02 * edge, momentum=beta), L, 400, np.ones(1))
    assert stable[-1] < stable[0] and unstable[-1] > unstable[0]


def test_cli_states_the_threshold():
    result = subprocess.run(
        [sys.executable, "-m", "scratch", "explore", "learning-rate", "--curvature", "4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "lr = 2 / L = 0.5" in result.stdout
    assert "DIVERGES" in result.stdout and "converges" in result.stdout
