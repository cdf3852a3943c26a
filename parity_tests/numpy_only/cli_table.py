"""Shared by the command-line input tables (NumPy-only and reference): the CSV files a
user would have, the good output files that a failing run must leave untouched, and the
one check every row of a table makes.

A row is (argv with {dir} for the test's folder, expected exit status, a piece of the
message or of stdout). Outputs named good.* exist before the call with known bytes; on a
failure they must be unchanged and no new file may appear in the folder.
"""

import json
import warnings
import zipfile
from pathlib import Path

import numpy as np

GOOD = {
    "good.json": b'{"good": true}\n',
    "good.png": b"\x89PNG good curves",
    "good.npz": b"PK good checkpoint",
}

IRIS = np.load(
    Path(__file__).resolve().parents[2] / "scratch/data/shipped/iris.npz", allow_pickle=False
)


def iris_rows():
    X, y, names = IRIS["X"], IRIS["y"], IRIS["target_names"]
    return [[f"{v:g}" for v in x] + [str(names[t])] for x, t in zip(X, y)]


def iris_header():
    return ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]


def write_table(path, header, rows, delimiter=",", newline="\n", bom=False, index=None):
    """A CSV as pandas' to_csv or a spreadsheet writes it. index: None, "" (pandas'
    unnamed index column) or "Unnamed: 0" (the same, read back and written again)."""
    lines = []
    head = list(header) if index is None else [index, *header]
    lines.append(delimiter.join(head))
    for i, row in enumerate(rows):
        lines.append(delimiter.join(row if index is None else [str(i), *row]))
    text = ("\ufeff" if bom else "") + newline.join(lines) + newline
    Path(path).write_bytes(text.encode("utf-8"))
    return path


def make_csvs(folder):
    """Every CSV the tables use, in `folder`/csv (outside the folder checked for outputs)."""
    folder = Path(folder) / "csv"
    folder.mkdir()
    rows, header = iris_rows(), iris_header()
    write_table(folder / "pandas.csv", header, rows, index="", newline="\r\n")
    write_table(folder / "unnamed0.csv", header, rows, index="Unnamed: 0")
    european = [[v.replace(".", ",") for v in row] for row in rows]
    write_table(
        folder / "semicolon_bom.csv", header, european, delimiter=";", bom=True, newline="\r\n"
    )
    write_table(folder / "tabs.tsv", header, rows, delimiter="\t")
    with_na = [list(row) for row in rows]
    with_na[4][1] = "NA"
    write_table(folder / "na.csv", header, with_na, index="")
    empty_cell = [list(row) for row in rows]
    empty_cell[9][2] = ""
    write_table(folder / "empty_cell.csv", header, empty_cell)
    nulls = [list(row) for row in rows]
    nulls[3][0], nulls[20][3] = "null", "NaN"
    write_table(folder / "nulls.csv", header, nulls)
    write_table(folder / "one_class.csv", header, [row[:4] + ["setosa"] for row in rows])
    write_table(folder / "three_rows.csv", header, rows[::50])
    write_table(folder / "ragged.csv", header, rows[:5] + [rows[5][:3]] + rows[6:])
    text_feature = [list(row) for row in rows]
    text_feature[7][0] = "five"
    write_table(folder / "text_feature.csv", header, text_feature)
    infinite = [list(row) for row in rows]
    infinite[2][1] = "inf"
    write_table(folder / "inf.csv", header, infinite)
    write_table(folder / "duplicate.csv", ["a", "a", "b", "label"], [r[:3] + [r[4]] for r in rows])
    write_table(folder / "header_only.csv", header, [])
    (folder / "one_column.csv").write_text("label\n1\n2\n")
    write_table(folder / "index_and_target.csv", ["species"], [row[4:] for row in rows], index="")
    (folder / "empty.csv").write_text("")
    (folder / "binary.csv").write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe\x00")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, 3))
    float_target = X @ [1.0, -2.0, 0.5] + 0.1 * rng.standard_normal(150)
    write_table(
        folder / "float_target.csv",
        ["x1", "x2", "x3", "y"],
        [[f"{v:.6f}" for v in x] + [f"{t:.4f}"] for x, t in zip(X, float_target)],
    )
    score = np.round(100 + 40 * float_target).astype(int)  # whole numbers, many distinct
    write_table(
        folder / "whole_scores.csv",
        ["x1", "x2", "x3", "score"],
        [[f"{v:.6f}" for v in x] + [str(t)] for x, t in zip(X, score)],
    )
    labels = (float_target > 0).astype(int)
    write_table(
        folder / "int_labels.csv",
        ["x1", "x2", "x3", "label"],
        [[f"{v:.6f}" for v in x] + [str(t)] for x, t in zip(X, labels)],
    )
    return folder


def prepare_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, content in GOOD.items():
        (out / name).write_bytes(content)
    make_csvs(tmp_path)
    return out


def expand(argv, tmp_path):
    return [a.format(dir=tmp_path / "out", csv=tmp_path / "csv") for a in argv]


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir())}


def check_row(main, capsys, tmp_path, argv, status, expected):
    """Run one row in-process and check it as the issue asks."""
    out_dir = tmp_path / "out"
    before = snapshot(out_dir)
    with warnings.catch_warnings(record=True) as caught:  # pytest would hide them otherwise
        warnings.simplefilter("always")
        got = main(expand(argv, tmp_path))
    out, err = capsys.readouterr()
    shown = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if issubclass(w.category, (RuntimeWarning, UserWarning))
    ]
    assert not shown, f"a user would see these warnings too: {shown}"
    assert got == status, f"exit status {got}, expected {status}; stderr: {err!r}"
    assert "Traceback" not in out + err
    if status == 0:
        assert err == "", err  # no progress bar off a terminal, no warnings
        assert expected in out, out
        check_outputs(out_dir, before)
    else:
        lines = err.splitlines()
        assert len(lines) == 1, f"expected one line of message; got {lines}"
        assert expected in lines[0], lines[0]
        assert snapshot(out_dir) == before, "a failing run created or changed an output file"
    return out, err


def check_outputs(out_dir, before):
    """After a successful run every output in the folder is whole: JSON parses, the PNG
    and the checkpoint are what their formats say. No temporary file is left behind."""
    for path in Path(out_dir).iterdir():
        assert not path.name.startswith("."), f"temporary file left: {path.name}"
        if path.suffix == ".json" and path.read_bytes() != before.get(path.name):
            json.loads(path.read_text())
        if path.suffix == ".png" and path.read_bytes() != before.get(path.name):
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if path.suffix == ".npz" and path.read_bytes() != before.get(path.name):
            assert zipfile.is_zipfile(path)
