"""`python -m scratch ...` as a new user types it: a table of bad and ordinary inputs.

Each row runs the command in-process (main(argv), output captured) and asserts the exit
status (0 done, 1 found while running, 2 bad command line), that a failure prints exactly
one line naming the problem and no traceback, and that no output file was created or
damaged: good.json / good.png / good.npz exist beforehand and must keep their bytes.
The CSVs are written the way pandas and spreadsheets write them (cli_table.make_csvs).
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from parity_tests.numpy_only.cli_table import GOOD, check_row, prepare_folder
from scratch.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
QUICK = ["--epochs", "1", "--hidden", "8", "--batch-size", "16"]
GOOD_OUTPUTS = [
    "--json",
    "{dir}/good.json",
    "--plot",
    "{dir}/good.png",
    "--checkpoint",
    "{dir}/good.npz",
]


def train(*args):
    return ["train", *args, *QUICK]


def csv(name, *more):
    return train("--csv", f"{{csv}}/{name}", *more)


ROWS = [
    # --- ordinary CSVs as users have them: they train -----------------------------------
    (
        "pandas index, text labels, CRLF",
        csv("pandas.csv", "--target", "species"),
        0,
        "holds the row numbers of a pandas index: dropped",
    ),
    (
        "'Unnamed: 0' index",
        csv("unnamed0.csv", "--target", "species"),
        0,
        "column 1 (Unnamed: 0) holds the row numbers",
    ),
    (
        "semicolons, decimal commas, BOM",
        csv("semicolon_bom.csv", "--target", "species"),
        0,
        "classes: setosa, versicolor, virginica",
    ),
    ("tab-separated", csv("tabs.tsv", "--target", "species"), 0, "MLP([4, 8, 3]"),
    (
        "NA dropped on request",
        csv("na.csv", "--target", "species", "--drop-missing"),
        0,
        "dropped 1 of 150 rows with missing values (the first at line 6, column 'sepal_width')",
    ),
    (
        "float target: regression",
        csv("float_target.csv", "--target", "y"),
        0,
        "task: regression, inferred from target 'y': numbers with fractions",
    ),
    (
        "many whole numbers: regression",
        csv("whole_scores.csv", "--target", "score"),
        0,
        "whole numbers, but",
    ),
    (
        "few whole numbers: classification",
        csv("int_labels.csv", "--target", "label"),
        0,
        "task: classification, inferred from target 'label': whole numbers with 2 distinct",
    ),
    (
        "--task regression overrides",
        csv("int_labels.csv", "--target", "label", "--task", "regression"),
        0,
        "task: regression (from --task",
    ),
    (
        "--task classification overrides",
        csv(
            "whole_scores.csv", "--target", "score", "--task", "classification", "--batch-size", "8"
        ),
        0,
        "task: classification (from --task; inference would say regression",
    ),
    # --- CSVs that cannot be used as given: one line, status 1 --------------------------
    (
        "NA",
        csv("na.csv", "--target", "species", *GOOD_OUTPUTS),
        1,
        "has 1 missing values (empty, NA, NaN, null...) in 1 rows, the first at line 6, column "
        "'sepal_width'; expected none: fill them in, or pass --drop-missing",
    ),
    (
        "empty cell",
        csv("empty_cell.csv", "--target", "species", "--json", "{dir}/new.json"),
        1,
        "the first at line 11, column 'petal_length'",
    ),
    ("null and NaN", csv("nulls.csv", "--target", "species"), 1, "has 2 missing values"),
    (
        "one class",
        csv("one_class.csv", "--target", "species", *GOOD_OUTPUTS),
        1,
        "expected at least 2 classes for classification; got the single class 'setosa'",
    ),
    (
        "three rows",
        csv("three_rows.csv", "--target", "species", *GOOD_OUTPUTS),
        1,
        "got 3 rows, leaving no",
    ),
    (
        "no such column",
        csv("pandas.csv", "--target", "variety", *GOOD_OUTPUTS),
        1,
        "--target 'variety': expected a column of pandas.csv; its columns are ['sepal_length'",
    ),
    ("no such file", csv("missing.csv", "--target", "species"), 1, "no such file"),
    ("a folder as --csv", train("--csv", "{dir}", "--target", "species"), 1, "got a folder"),
    ("binary file", csv("binary.csv", "--target", "species"), 1, "expected UTF-8 text"),
    ("empty file", csv("empty.csv", "--target", "species"), 1, "the file is empty"),
    (
        "ragged row",
        csv("ragged.csv", "--target", "species"),
        1,
        "line 7 has 3 fields; the header has 5",
    ),
    (
        "text in a feature",
        csv("text_feature.csv", "--target", "species"),
        1,
        "line 9, column 'sepal_length': expected a number (features must be numeric); got 'five'",
    ),
    ("inf", csv("inf.csv", "--target", "species"), 1, "expected a finite number; got 'inf'"),
    ("repeated column", csv("duplicate.csv", "--target", "label"), 1, "'a' is repeated"),
    ("header only", csv("header_only.csv", "--target", "species"), 1, "no data rows"),
    ("one column", csv("one_column.csv", "--target", "label"), 1, "at least two columns"),
    (
        "pandas index and target only",
        csv("index_and_target.csv", "--target", "species"),
        1,
        "expected at least one feature column besides --target 'species'",
    ),
    (
        "text target as regression",
        csv("pandas.csv", "--target", "species", "--task", "regression"),
        1,
        "--task regression: expected a number in every row of column 'species'; got 'setosa'",
    ),
    # --- bad command lines: status 2, before anything is loaded -------------------------
    ("--csv without --target", train("--csv", "{csv}/pandas.csv"), 2, "expected --target too"),
    ("--target without --csv", train("--target", "species"), 2, "--target: used only with --csv"),
    ("--drop-missing without --csv", train("--drop-missing"), 2, "--drop-missing: used only"),
    (
        "--csv and --dataset",
        csv("pandas.csv", "--target", "species", "--dataset", "iris"),
        2,
        "--csv and --dataset: expected one of them; got both",
    ),
    ("--seed -1", train("--seed", "-1"), 2, "argument --seed: expected an integer >= 0; got -1"),
    (
        "--json not .json",
        train("--json", "{dir}/results.txt"),
        2,
        "argument --json: expected a path ending in .json",
    ),
    (
        "--json in a missing folder",
        train("--json", "{dir}/nowhere/r.json", *GOOD_OUTPUTS[2:]),
        2,
        "argument --json: expected a path in an existing folder",
    ),
    (
        "--plot not .png",
        train("--plot", "{dir}/curves.jpg"),
        2,
        "argument --plot: expected a path ending in .png",
    ),
    (
        "--checkpoint a folder",
        train("--checkpoint", "{dir}/"),
        2,
        "argument --checkpoint: expected a path ending in .npz",
    ),
    ("--checkpoint under a file", train("--checkpoint", "{dir}/good.json/p.npz"), 2, "is a file"),
    ("unknown dataset", train("--dataset", "mnist"), 2, "invalid choice: 'mnist'"),
    ("--hidden 0", train("--hidden", "0"), 2, "expected positive widths"),
    ("--lr nan", train("--lr", "nan"), 2, "expected a finite number >= 0; got nan"),
    ("--dropout 1", train("--dropout", "1"), 2, "expected a probability in [0, 1); got 1"),
    ("--epochs 0", train("--epochs", "0"), 2, "expected a positive integer; got 0"),
    ("--task wrong", train("--task", "clustering"), 2, "invalid choice: 'clustering'"),
    ("unknown option", train("--colour", "red"), 2, "unrecognized arguments: --colour red"),
    ("no command", [], 2, "the following arguments are required: COMMAND"),
    (
        "ledger softmax --out",
        ["ledger", "softmax", "--out", "3"],
        2,
        "--out: used only by linear and mlp",
    ),
    (
        "ledger relu --hidden",
        ["ledger", "relu", "--hidden", "8"],
        2,
        "--hidden: used only by the mlp ledger",
    ),
    ("ledger --batch 0", ["ledger", "--batch", "0"], 2, "expected a positive integer; got 0"),
    (
        "explore --steps -1",
        ["explore", "learning-rate", "--steps", "-1"],
        2,
        "expected a positive integer; got -1",
    ),
    ("explore unknown topic", ["explore", "momentum"], 2, "invalid choice: 'momentum'"),
    (
        "diagnose --plot",
        ["diagnose", "--dataset", "iris", "--plot", "{dir}/c.png"],
        2,
        "unrecognized arguments: --plot",
    ),
    (
        "diagnose --epochs",
        ["diagnose", "--dataset", "iris", "--epochs", "3"],
        2,
        "unrecognized arguments: --epochs 3",
    ),
    # --- found while running: status 1 ------------------------------------------------
    (
        "model too big",
        ["train", "--hidden", "10000000", *GOOD_OUTPUTS],
        1,
        "--hidden 10000000: the model [64, 10000000, 10] (750,000,010 parameters",
    ),
    ("ledger too big", ["ledger", "--hidden", "10000000"], 1, "GiB of memory"),
    (
        "diverges",
        [
            "train",
            "--dataset",
            "iris",
            "--lr",
            "1e6",
            "--optimizer",
            "sgd",
            "--epochs",
            "3",
            "--hidden",
            "8",
            *GOOD_OUTPUTS,
        ],
        1,
        "the run diverged: try a smaller --lr",
    ),
    (
        "weight decay overflows",
        [
            "train",
            "--dataset",
            "iris",
            "--optimizer",
            "adamw",
            "--weight-decay",
            "1e300",
            "--dtype",
            "float32",
            *QUICK,
        ],
        1,
        "the training loss became nan in epoch 1",
    ),
    (
        "batch larger than the data",
        ["train", "--dataset", "iris", "--batch-size", "5000"],
        1,
        "larger than the training split (102 rows)",
    ),
    # --- ordinary commands --------------------------------------------------------------
    (
        "train, outputs replaced",
        ["train", "--dataset", "iris", *QUICK, *GOOD_OUTPUTS],
        0,
        "results written to",
    ),
    ("ledger linear", ["ledger", "linear", "--in", "4", "--out", "3", "--batch", "2"], 0, "Linear"),
    ("ledger softmax", ["ledger", "softmax", "--in", "4"], 0, "Softmax"),
    ("explore", ["explore", "learning-rate", "--steps", "4"], 0, "diverges above"),
]


@pytest.mark.parametrize(
    "argv, status, expected", [row[1:] for row in ROWS], ids=[row[0] for row in ROWS]
)
def test_scratch_command_line(tmp_path, capsys, argv, status, expected):
    prepare_folder(tmp_path)
    check_row(main, capsys, tmp_path, argv, status, expected)


def test_the_table_is_large_enough():
    assert len(ROWS) >= 50


def test_string_labels_keep_their_names_in_the_json(tmp_path, capsys):
    out = prepare_folder(tmp_path)
    check_row(
        main,
        capsys,
        tmp_path,
        csv("pandas.csv", "--target", "species", "--json", "{dir}/r.json"),
        0,
        "results written to",
    )
    payload = json.loads((out / "r.json").read_text())
    assert payload["task"] == "classification"
    assert payload["target_names"] == ["setosa", "versicolor", "virginica"]


def test_a_regression_json_has_null_for_accuracy(tmp_path, capsys):
    out = prepare_folder(tmp_path)
    check_row(
        main,
        capsys,
        tmp_path,
        csv("float_target.csv", "--target", "y", "--json", "{dir}/r.json"),
        0,
        "results written to",
    )
    payload = json.loads((out / "r.json").read_text())  # strict JSON: no NaN
    assert payload["task"] == "regression" and payload["backends"]["numpy"]["test_accuracy"] is None


def test_diagnose_json(tmp_path, capsys):
    out = prepare_folder(tmp_path)
    status = main(["diagnose", "--dataset", "iris", "--hidden", "8", "--json", str(out / "d.json")])
    assert status in (0, 1)  # 1 exactly when a check fails
    assert bool(json.loads((out / "d.json").read_text())["failed"]) is (status == 1)


def test_ctrl_c_saves_the_best_parameters_so_far(tmp_path, capsys, monkeypatch):
    """Ctrl-C in epoch 3: the checkpoint holds epoch 1 or 2's parameters, exit 130."""
    from scratch.training import train as loop
    from scratch.training.checkpoint import load_run_checkpoint

    out = prepare_folder(tmp_path)
    steps = {"n": 0}
    original = loop.Backend.train_step

    def interrupted_step(self, X, y, masks):
        steps["n"] += 1
        if steps["n"] == 2 * 7 + 3:  # iris: 102 rows, batch 16 -> 7 steps per epoch
            raise KeyboardInterrupt
        return original(self, X, y, masks)

    monkeypatch.setattr(loop.Backend, "train_step", interrupted_step)
    status = main(
        [
            "train",
            "--dataset",
            "iris",
            "--epochs",
            "10",
            "--hidden",
            "8",
            "--batch-size",
            "16",
            "--checkpoint",
            str(out / "good.npz"),
            "--json",
            str(out / "good.json"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 130 and len(err.splitlines()) == 1 and "interrupted (Ctrl-C) in epoch 3" in err
    assert re.search(r"best parameters so far \(epoch [12]\)", err)  # 1 and 2 had finished
    saved = load_run_checkpoint(out / "good.npz")  # self-describing: predict can use it
    assert saved.params["0.W"].shape == (4, 8) and saved.optimizer is None
    assert saved.scaler is not None and saved.class_names == ["setosa", "versicolor", "virginica"]
    assert (out / "good.json").read_bytes() == GOOD["good.json"]  # not written: no results


def test_a_failing_plot_does_not_stop_the_checkpoint_and_json(tmp_path, capsys, monkeypatch):
    from scratch.training import outputs

    out = prepare_folder(tmp_path)

    def disk_full(path, figure, dpi=110):
        return outputs.atomic_write(
            path, lambda f: (_ for _ in ()).throw(OSError(28, "No space left on device"))
        )

    monkeypatch.setattr(outputs, "write_png", disk_full)
    status = main(
        ["train", "--dataset", "iris", *QUICK, *(a.format(dir=out) for a in GOOD_OUTPUTS)]
    )
    captured = capsys.readouterr()
    assert status == 1
    assert captured.err.splitlines() == [
        f"python -m scratch: error: --plot {out / 'good.png'}: could not be written "
        f"(No space left on device)"
    ]
    assert (out / "good.png").read_bytes() == GOOD["good.png"]  # the old file, whole
    assert json.loads((out / "good.json").read_text())["dataset"] == "iris"
    assert (out / "good.npz").read_bytes()[:2] == b"PK" and (out / "good.npz").stat().st_size > 100
    assert sorted(p.name for p in out.iterdir()) == ["good.json", "good.npz", "good.png"]


def test_json_writer_serialises_numpy_scalars_and_never_truncates(tmp_path):
    from scratch.training.outputs import write_json

    path = tmp_path / "r.json"
    write_json(
        path,
        {
            "f32": np.float32(0.25),
            "i64": np.int64(3),
            "arr": np.arange(2.0),
            "nan": float("nan"),
            "nested": [np.float16(1.5)],
        },
    )
    assert json.loads(path.read_text()) == {
        "f32": 0.25,
        "i64": 3,
        "arr": [0.0, 1.0],
        "nan": None,
        "nested": [1.5],
    }
    before = path.read_bytes()
    with pytest.raises(TypeError):
        write_json(path, {"bad": object()})
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["r.json"]


def test_a_closed_pipe_ends_quietly():
    """`python -m scratch ledger | head -1`: the reader goes away; no traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "scratch", "ledger"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # before the command writes: every write meets a closed pipe
    err = process.stderr.read()
    assert process.wait(timeout=120) == 0 and err == b""


def test_sigint_in_a_real_process_exits_130_with_one_line(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",  # unbuffered: the first line arrives while it trains, whatever the env
            "-m",
            "scratch",
            "train",
            "--dataset",
            "digits",
            "--epochs",
            "10000",
            "--checkpoint",
            str(tmp_path / "p.npz"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # as at a terminal
    watchdog = threading.Timer(120, process.kill)  # a test that hangs is a failure
    watchdog.start()
    try:
        assert process.stdout.readline().startswith("digits:")  # training has started
    finally:
        watchdog.cancel()
    process.send_signal(signal.SIGINT)
    err = process.stderr.read()
    assert process.wait(timeout=60) == 130
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m scratch: interrupted (Ctrl-C)")
    # saved when an epoch had finished, else said so: either way the line tells
    assert ("best parameters so far" in lines[0]) == (tmp_path / "p.npz").exists()


def test_help_keeps_the_examples_shows_defaults_and_describes_every_option(capsys):
    from scratch.__main__ import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    out = capsys.readouterr().out
    assert "\n    python -m scratch ledger linear --batch 32 --in 784 --out 128\n" in out
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert set(commands) == {"ledger", "explore", "train", "predict", "diagnose", "lesson", "quiz"}
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"{name} {action.option_strings or action.dest} has no help"
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "passes over the training split (default: 40)" in out
    assert "(default: None)" not in out
