"""`python -m reference train` as a new user types it: bad and ordinary inputs.

Same checks as parity_tests/numpy_only/test_cli_inputs.py (exit status, one line, no
traceback, outputs untouched on failure), in-process; one row runs in a fresh interpreter
because JAX reads JAX_ENABLE_X64 only when it is first imported.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import reference.__main__ as reference_main
from parity_tests.numpy_only.cli_table import GOOD, check_row, prepare_folder
from reference.__main__ import main

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--dataset", "iris", "--epochs", "1", "--hidden", "8"]
GOOD_OUTPUTS = [
    "--json",
    "{dir}/good.json",
    "--plot",
    "{dir}/good.png",
    "--checkpoint",
    "{dir}/good.npz",
]

ROWS = [
    (
        "pandas CSV on numpy and torch",
        [
            "train",
            "--csv",
            "{csv}/pandas.csv",
            "--target",
            "species",
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--backends",
            "numpy,torch",
            "--plot",
            "{dir}/c.png",
        ],
        0,
        "holds the row numbers of a pandas index: dropped",
    ),
    (
        "unknown backend",
        ["train", "--backends", "numpy,mxnet", *GOOD_OUTPUTS],
        2,
        "expected a comma-separated subset of",
    ),
    ("--seed -1", ["train", "--seed", "-1"], 2, "argument --seed: expected an integer >= 0"),
    (
        "--json not .json",
        ["train", *QUICK, "--json", "{dir}/r.txt"],
        2,
        "argument --json: expected a path ending in .json",
    ),
    (
        "--plot in a missing folder",
        ["train", *QUICK, "--plot", "{dir}/no/c.png"],
        2,
        "argument --plot: expected a path in an existing folder",
    ),
    (
        "CSV with NA",
        ["train", "--csv", "{csv}/na.csv", "--target", "species", *GOOD_OUTPUTS],
        1,
        "has 1 missing values",
    ),
    (
        "one class",
        ["train", "--csv", "{csv}/one_class.csv", "--target", "species"],
        1,
        "got the single class 'setosa'",
    ),
    (
        "model too big",
        ["train", "--hidden", "10000000", *GOOD_OUTPUTS],
        1,
        "(750,000,010 parameters, float64, adam, 3 backends) needs about",
    ),
    (
        "diverges",
        ["train", *QUICK, "--lr", "1e6", "--optimizer", "sgd", "--epochs", "3", *GOOD_OUTPUTS],
        1,
        "numpy: the training loss exploded",
    ),
    ("no command", [], 2, "the following arguments are required: COMMAND"),
]


@pytest.mark.parametrize(
    "argv, status, expected", [row[1:] for row in ROWS], ids=[row[0] for row in ROWS]
)
def test_reference_command_line(tmp_path, capsys, monkeypatch, argv, status, expected):
    prepare_folder(tmp_path)
    monkeypatch.chdir(tmp_path)  # the default plot goes to ./runs
    check_row(main, capsys, tmp_path, argv, status, expected)


def test_float32_json_replaces_the_good_files_whole(tmp_path, capsys, monkeypatch):
    """The run that once crashed in json.dump and left a truncated file."""
    out = prepare_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    check_row(
        main,
        capsys,
        tmp_path,
        ["train", *QUICK, "--dtype", "float32", *GOOD_OUTPUTS],
        0,
        "results written to",
    )
    payload = json.loads((out / "good.json").read_text())
    assert payload["dtype"] == "float32" and set(payload["backends"]) == {"numpy", "torch", "jax"}
    assert all(isinstance(b["final_loss"], float) for b in payload["backends"].values())


@pytest.mark.parametrize("missing, backends", [("torch", "numpy,torch"), ("optax", "numpy,jax")])
def test_a_missing_framework_is_named_before_any_work(
    tmp_path, capsys, monkeypatch, missing, backends
):
    prepare_folder(tmp_path)
    monkeypatch.setattr(reference_main, "installed", lambda module: module != missing)
    out, err = check_row(
        main,
        capsys,
        tmp_path,
        ["train", "--backends", backends, *GOOD_OUTPUTS],
        1,
        f"needs {missing}" if missing == "torch" else "needs optax",
    )
    assert out == "" and 'pip install ".[frameworks]"' in err  # nothing loaded, nothing said


def test_jax_without_x64_is_refused_before_any_work(tmp_path):
    prepare_folder(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "JAX_ENABLE_X64"}
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "reference", "train", "--json", str(out / "good.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "python -m reference: error: --backends numpy,torch,jax: jax needs JAX_ENABLE_X64=1 in "
        "the environment (else it computes in float32 only); got JAX_ENABLE_X64 unset"
    ]
    assert (out / "good.json").read_bytes() == GOOD["good.json"]
