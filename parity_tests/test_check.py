"""`python -m reference check` and `reference.check.check_layer_against` on a learner's own
layer (parity_tests/fixtures/user_layer.py) and its twins: a correct layer passes every
row, a wrong backward is caught with the tensor and the index of its worst entry, a twin
that disagrees fails its own rows only, and a mistake in the command is one line, exit 2."""

import subprocess
import sys
from pathlib import Path

import pytest

from parity_tests.fixtures import user_layer
from reference.backends import TOLERANCES
from reference.check import CheckError, check_layer_against, format_report

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = "parity_tests.fixtures"
KWARGS = '{"d_in": 3, "d_out": 2, "gain": 1.5}'


def twins(torch_cls="TanhDense", jax_cls="TanhDense"):
    from parity_tests.fixtures import user_layer_jax, user_layer_torch

    return (
        getattr(user_layer_torch, torch_cls)(3, 2, gain=1.5),
        getattr(user_layer_jax, jax_cls)(3, 2, gain=1.5),
    )


def rows_by(report):
    return {(row.against, row.tensor): row for row in report.rows}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_correct_layer_passes_every_row(dtype):
    torch_twin, jax_twin = twins()
    report = check_layer_against(
        user_layer.TanhDense(3, 2, gain=1.5),
        torch_twin,
        jax_twin,
        shape=(4, 3),
        dtype=dtype,
        seed=1,
    )
    rows = rows_by(report)
    expected = {
        (against, tensor) for against in ("torch", "jax") for tensor in ("Y", "dX", "dW", "db")
    }
    expected |= {("central differences", tensor) for tensor in ("dX", "dW", "db")}
    assert set(rows) == expected
    assert report.passed, format_report(report)
    for (against, tensor), row in rows.items():
        if against != "central differences":
            stage = "forward" if tensor == "Y" else "gradient"
            assert row.tolerance.startswith(f"rtol {TOLERANCES[dtype][stage].rtol:g},")  # the table


def test_a_wrong_backward_is_named_with_its_tensor_and_index():
    torch_twin, _ = twins()
    report = check_layer_against(
        user_layer.TanhDenseWrongBias(3, 2, gain=1.5), torch_twin, shape=(6, 3), seed=2
    )
    rows = rows_by(report)
    assert not report.passed
    failed = {key for key, row in rows.items() if not row.passed}
    # db is wrong at index 1 only; everything else is right
    assert failed == {("central differences", "db"), ("torch", "db")}
    assert rows["central differences", "db"].worst_index == (1,)
    assert rows["torch", "db"].worst_index == (1,)
    assert rows["torch", "db"].max_rel == pytest.approx(0.01, rel=1e-6)
    assert "first: db against central differences, worst entry at index (1,)" in format_report(
        report
    )


def test_a_twin_that_disagrees_fails_its_own_rows_only():
    torch_twin, jax_twin = twins(torch_cls="TanhDenseGainTwice")
    report = check_layer_against(
        user_layer.TanhDense(3, 2, gain=1.5), torch_twin, jax_twin, shape=(4, 3)
    )
    for (against, tensor), row in rows_by(report).items():
        assert row.passed == (against != "torch"), (against, tensor, row)
    # gain twice: the twin's Y is 1.5x ours, so every entry is a third off
    assert rows_by(report)["torch", "Y"].max_rel == pytest.approx(1 / 3, rel=1e-9)


def test_a_layer_that_rejects_the_shape_is_a_check_error():
    with pytest.raises(CheckError, match=r"expects X of shape \(N, 3\); got \(4, 5\).*--shape"):
        check_layer_against(user_layer.TanhDense(3, 2), shape=(4, 5))


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "reference", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_passes_a_correct_layer_against_both_twins():
    result = run_cli(
        f"{FIXTURES}.user_layer:TanhDense",
        "--torch",
        f"{FIXTURES}.user_layer_torch:TanhDense",
        "--jax",
        f"{FIXTURES}.user_layer_jax:TanhDense",
        "--kwargs",
        KWARGS,
        "--shape",
        "5,3",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.endswith("PASS") for line in lines) == 11
    assert lines[-1] == "PASS: all 11 tensors within tolerance"


def test_cli_fails_a_wrong_backward_naming_tensor_and_index():
    result = run_cli(
        "parity_tests/fixtures/user_layer.py:TanhDenseWrongBias",
        "--kwargs",
        KWARGS,
        "--shape",
        "5,3",
        "--dtype",
        "float32",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    fail_rows = [line for line in result.stdout.splitlines() if line.endswith("FAIL")]
    assert len(fail_rows) == 1 and fail_rows[0].split()[:3] == ["central", "differences", "db"]
    assert "(1,)" in fail_rows[0]


@pytest.mark.parametrize(
    "args, message",
    [
        (["no_such_module:TanhDense"], "cannot import no_such_module: ModuleNotFoundError"),
        ([f"{FIXTURES}.user_layer:Missing"], "has no class Missing"),
        ([f"{FIXTURES}.user_layer"], "expects MODULE:Class"),
        (
            [f"{FIXTURES}.user_layer:TanhDense", "--kwargs", "{d_in: 3}"],
            "--kwargs expects a JSON object",
        ),
        ([f"{FIXTURES}.user_layer:TanhDense", "--kwargs", "[3, 2]"], "JSON object; got list"),
        ([f"{FIXTURES}.user_layer:TanhDense", "--kwargs", '{"d_in": 3}'], "missing 1 required"),
        (
            [f"{FIXTURES}.user_layer:TanhDense", "--kwargs", KWARGS, "--shape", "4,x"],
            "--shape expects",
        ),
        ([f"{FIXTURES}.user_layer:TanhDense", "--kwargs", KWARGS, "--dtype", "float16"], "--dtype"),
        (
            [f"{FIXTURES}.user_layer:TanhDense", "--kwargs", KWARGS, "--torch", "torch:Nope"],
            "--torch: torch has no class Nope",
        ),
    ],
)
def test_cli_mistakes_are_one_line_and_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr
