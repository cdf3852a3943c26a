"""The lessons' numbers against closed forms and independent computations; every lesson
runs once (module-scoped), its PNG written to a temporary folder; the CLI's table."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch import lessons
from scratch.data.datasets import BLOBS_SEPARATOR, load
from scratch.data.splits import Standardizer, split

ROOT = Path(__file__).resolve().parents[2]
RTOL, ATOL = 1e-12, 1e-14


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """{lesson number: (text, measured, figure path)}, each lesson run once."""
    out = tmp_path_factory.mktemp("lessons")
    return {lesson.number: lessons.run(lesson.number, out_dir=out) for lesson in lessons.LESSONS}


def test_ten_lessons_each_in_its_own_module():
    assert [lesson.number for lesson in lessons.LESSONS] == list(range(1, 11))
    files = sorted(p.name for p in (ROOT / "scratch" / "lessons").glob("l[01]*.py"))
    assert files == sorted(f"{lesson.module}.py" for lesson in lessons.LESSONS)
    assert lessons.find("7") is lessons.find("softmax") is lessons.LESSONS[6]
    with pytest.raises(ValueError, match="lesson expects a number 1-10 or a name"):
        lessons.find("11")


@pytest.mark.parametrize("number", range(1, 11))
def test_every_lesson_answers_with_a_figure_where_it_draws(ran, number):
    text, measured, figure = ran[number]
    assert "Answer:" in text
    module = lessons.load(lessons.find(number))
    if hasattr(module, "draw"):
        assert figure.exists() and figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert figure is None


def test_lesson1_ledger_bytes(ran):
    m = ran[1][1]
    D, M = m["D"], m["M"]
    for N, rows in m["ledgers"].items():
        rows = {r.name: r for r in rows}
        for name, shape in {
            "X": (N, D),
            "W": (D, M),
            "b": (M,),
            "Y": (N, M),
            "dY": (N, M),
            "dX": (N, D),
            "dW": (D, M),
            "db": (M,),
        }.items():
            assert rows[name].shape == shape and rows[name].bytes == 4 * math.prod(shape)
        assert rows["cache.X"].shares_memory and rows["cache.W"].shares_memory


def test_lesson2_mistakes_within_novikoff_and_xor_never_converges(ran):
    m = ran[2][1]
    X, y = m["blobs"]
    augmented = np.hstack([X, np.ones((len(X), 1))])
    u, c = BLOBS_SEPARATOR
    direction = np.append(u, c) / np.linalg.norm(np.append(u, c))
    gamma = np.min(y * (augmented @ direction))
    R = np.max(np.linalg.norm(augmented, axis=1))
    np.testing.assert_allclose(m["bound"], (R / gamma) ** 2, rtol=RTOL, atol=ATOL)
    assert m["fit"].converged and 0 < m["fit"].mistakes <= (R / gamma) ** 2
    # the learned line separates every point
    assert np.all(y * (X @ m["fit"].w + m["fit"].b) > 0)
    assert not m["xor_fit"].converged and m["xor_fit"].epochs == m["max_epochs"]
    # no line does well on XOR; the perceptron's last line does no better than the best one
    assert 0.5 <= m["xor_accuracy"] <= m["xor_best_line"] + 1e-12 < 0.9


def test_lesson3_derivatives_stack_bound_and_dead_units(ran):
    m = ran[3][1]
    x = m["negatives"]
    sigmoid = 1 / (1 + np.exp(-x))
    Phi = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    np.testing.assert_array_equal(m["at_negatives"]["relu"], 0.0)
    np.testing.assert_allclose(
        m["at_negatives"]["sigmoid"], sigmoid * (1 - sigmoid), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(m["at_negatives"]["gelu"], Phi + x * phi, rtol=1e-10, atol=1e-14)
    # ||dA_in|| <= max f' * ||W||_2 * ||dA_out|| layer by layer: max f' = 1/4 for sigmoid
    for name, bound in (("sigmoid", 0.25), ("relu", 1.0)):
        norms, spectral = m["stacks"][name]
        for i in range(len(norms) - 1):
            assert norms[i] <= bound * spectral[i] * norms[i + 1] * (1 + 1e-12), (name, i)
    assert m["stacks"]["sigmoid"][0][0] < 1e-3 * m["stacks"]["sigmoid"][0][-1]
    X, W, b = m["shift_layer"]
    expected = [np.mean(np.all(X @ W + (b - s) <= 0, axis=0)) for s in m["shifts"]]
    np.testing.assert_array_equal(m["dead_by_shift"], expected)
    assert m["dead_by_shift"][0] == 0 and m["dead_by_shift"][-1] > 0.5


def test_lesson4_gradients_against_closed_forms(ran):
    m = ran[4][1]
    Z = np.stack([m["wrong_logits"], 0 * m["wrong_logits"], 0 * m["wrong_logits"]], axis=1)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(m["dz_ce"], P[:, 1] - 1, rtol=1e-12, atol=1e-15)
    # MSE on probabilities: g = 2 (P - T) / C, dZ = P * (g - sum(P g))
    T = np.zeros_like(P)
    T[:, 1] = 1
    g = 2 * (P - T) / 3
    dZ = P * (g - (P * g).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(m["dz_mse"], dZ[:, 1], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(m["line"], m["lstsq"], rtol=1e-6, atol=1e-8)
    assert m["refusal"].startswith("TypeError")
    assert m["curves"]["cross-entropy"][-1] > m["curves"]["MSE"][-1]


def test_lesson5_loss_factor_matches_closed_form(ran):
    m = ran[5][1]
    for lr, (measured, closed) in m["factors"].items():
        np.testing.assert_allclose(measured, closed, rtol=1e-9, atol=0)
        assert (measured > 1) == (lr > m["study"]["threshold"])


def test_lesson6_each_cached_tensor_removed(ran):
    m = ran[6][1]
    N, (D, H, C) = m["batch"], m["sizes"]
    outcomes = m["outcomes"]
    assert set(outcomes) == {
        "0:Linear.X",
        "0:Linear.W",
        "1:ReLU.Y",
        "2:Dropout.scaled_mask",
        "3:Linear.X",
        "3:Linear.W",
        "2:Dropout.mask",
        "loss.P",
        "loss.y",
    }
    # training never forms the data's gradient, so W0 and the bool mask are not read
    assert outcomes["0:Linear.W"] == ("ran", 0.0) and outcomes["2:Dropout.mask"] == ("ran", 0.0)
    # without the scaled mask backward treats dropout as the identity: wrong, silently
    assert (
        outcomes["2:Dropout.scaled_mask"][0] == "ran" and outcomes["2:Dropout.scaled_mask"][1] > 0
    )
    for name in ("0:Linear.X", "1:ReLU.Y", "3:Linear.X", "3:Linear.W", "loss.P"):
        assert outcomes[name][0] != "ran", name
    rows = {r.name: r for r in m["rows"]}
    assert rows["1:ReLU.Y"].bytes == 4 * N * H and rows["loss.P"].bytes == 4 * N * C
    assert rows["2:Dropout.mask"].bytes == N * H and rows["loss.y"].shares_memory
    assert m["costs"]["1:ReLU.Y"][1] == N * D * H + N * H


def test_lesson7_overflow_and_bit_identical_shift(ran):
    m = ran[7][1]
    assert np.isnan(m["naive_large"]).all()
    expected = np.exp([0.0, -1.0, -2.0]) / np.exp([0.0, -1.0, -2.0]).sum()
    np.testing.assert_allclose(m["stable_large"][0], expected, rtol=1e-15, atol=0)
    np.testing.assert_allclose(m["log_softmax_large"][0], np.log(expected), rtol=1e-15, atol=0)
    assert m["bit_identical"] and np.array_equal(m["P"], m["P_shift"])
    assert m["real_max_diff"] < 1e-14


def test_lesson8_loss_and_gradient_closed_forms(ran):
    m = ran[8][1]
    C = m["C"]
    z, L, p, dz, dz_wrong = (np.array(col) for col in zip(*m["rows"]))
    np.testing.assert_allclose(L, np.log1p((C - 1) * np.exp(-z)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dz, p - 1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dz_wrong, 1 / (np.exp(z) + C - 1), rtol=1e-12, atol=1e-15)
    assert dz[-1] < -0.9999 and abs((L[-1] - L[-2]) / (z[-1] - z[-2]) + 1) < 1e-3


def test_lesson9_scaler_statistics_and_duplicates(ran):
    m = ran[9][1]
    data = load("breast_cancer")
    splits = split(data, seed=0)
    honest = Standardizer.fit(splits.train, method="standard").transform(splits.test.X)
    leaky = (splits.test.X - data.X.mean(axis=0)) / data.X.std(axis=0)
    shift = np.max(np.abs(leaky.mean(axis=0) - honest.mean(axis=0)))
    np.testing.assert_allclose(
        m["results"]["standard"]["test_mean_shift"], shift, rtol=1e-10, atol=1e-12
    )
    # min-max fit on all rows maps every row, test rows included, into [0, 1]
    assert m["results"]["minmax"]["outside_leaky"] == 0
    assert m["results"]["minmax"]["outside_honest"] > 0
    assert m["clean_report"] == [] and m["leak_report"] == [("train", "test", m["duplicated"])]


def test_lesson10_validation_turns_and_early_stopping(ran):
    m = ran[10][1]
    plain = m["runs"]["none"]
    h = plain.history
    assert len(h.val_loss) == plain.epochs_run == m["epochs"]
    assert plain.best_epoch == int(np.argmin(h.val_loss)) + 1 < plain.epochs_run
    assert (
        h.val_loss[-1] > min(h.val_loss) and h.train_loss[-1] < h.train_loss[plain.best_epoch - 1]
    )
    early = m["runs"]["early stopping (patience 10)"]
    assert early.stopped_early and early.epochs_run == early.best_epoch + m["patience"]


def test_cli_table_and_one_lesson(tmp_path):
    run = [sys.executable, "-m", "scratch", "lesson"]
    table = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert table.returncode == 0, table.stderr
    assert sum("python -m scratch lesson " in line for line in table.stdout.splitlines()) == 10
    one = subprocess.run(
        run + ["cross-entropy", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert one.returncode == 0, one.stderr
    assert "Answer:" in one.stdout and (tmp_path / "lesson08_cross-entropy.png").exists()
    bad = subprocess.run(run + ["12"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "got '12'" in bad.stderr


def test_cli_refuses_an_out_folder_it_cannot_make_before_running(tmp_path):
    (tmp_path / "file").write_text("")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scratch",
            "lesson",
            "8",
            "--out",
            str(tmp_path / "file" / "figures"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: cannot use --out") and result.stderr.count("\n") == 1
