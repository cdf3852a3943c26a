"""Data, offline: shipped real datasets (checked by SHA-256), seeded toy sets, and a CSV
loader for a user's own table (as spreadsheets and pandas write them: see load_csv).

Every loader returns a Dataset: X (N, D) float64, y (N,) int64 labels in [0, C) for
classification or float64 targets for regression, plus names.
"""

import csv
import hashlib
import io
from pathlib import Path
from typing import NamedTuple

import numpy as np

from scratch.errors import DataError
from scratch.protocol import check_positive_int, check_real

DATA_DIR = Path(__file__).resolve().parent / "shipped"

# SHA-256 of each shipped file, as printed by scratch/data/shipped/export_sklearn.py
SHIPPED = {
    "iris": "ad14fa4976961363f6a1f3762be37cecbe55f2c55d488f660bbdfed5610015ed",
    "breast_cancer": "8f004072a1d26090da2b9f2dbfade246205b135705bfa96079806ac0e8994da9",
    "digits": "38bc8305d6f6c98e41d5087f3607588a1e663914ac6cf2f83ebe30382e0f4825",
    "diabetes": "927bf348daef61fba8a9be93e976178d493d844b9788e7e80baf48d352274de5",
}
TOY = ("xor", "moons", "circles", "spirals", "blobs")
NAMES = tuple(SHIPPED) + TOY


class Dataset(NamedTuple):
    name: str
    X: np.ndarray  # (N, D) float64
    y: np.ndarray  # (N,) int64 class labels, or float64 regression targets
    task: str  # "classification" or "regression"
    feature_names: tuple
    target_names: tuple  # class names (classification) or the target's name
    notes: tuple = ()  # what the loader decided for the user (dropped columns, task)

    @property
    def num_classes(self):
        return len(self.target_names) if self.task == "classification" else None


class DatasetIntegrityError(DataError):
    pass


class MissingDatasetError(DataError, FileNotFoundError):
    pass


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load(name, seed=0, n=400):
    """A shipped dataset by name, or a toy set (generated with `seed`, `n` rows)."""
    if name in SHIPPED:
        return load_shipped(name)
    if name in TOY:
        return make_toy(name, n=n, seed=seed)
    raise ValueError(f"load expects a dataset name in {list(NAMES)}; got {name!r}")


def load_shipped(name, data_dir=DATA_DIR):
    path = Path(data_dir) / f"{name}.npz"
    if not path.exists():
        raise MissingDatasetError(
            f"--dataset {name}: expected the shipped file {path}; it is "
            f"missing (restore it from the repository, or reinstall)"
        )
    digest = sha256_of(path)
    if digest != SHIPPED[name]:
        raise DatasetIntegrityError(
            f"dataset file {path} has SHA-256 {digest}, expected {SHIPPED[name]}: it was "
            f"modified, truncated or replaced; restore it from the repository"
        )
    with np.load(path, allow_pickle=False) as archive:
        X, y = archive["X"], archive["y"]
        features = tuple(str(f) for f in archive["feature_names"])
        targets = tuple(str(t) for t in archive["target_names"])
    task = "regression" if y.dtype.kind == "f" else "classification"
    return Dataset(name, X, y, task, features, targets)


# ---------------------------------------------------------------------------------------
# Toy sets. Each is seeded, two-dimensional unless said otherwise, and classification.
# ---------------------------------------------------------------------------------------


def make_toy(name, n=400, seed=0, noise=None):
    n = check_positive_int("make_toy", "n", n)
    rng = np.random.default_rng(seed)
    makers = {
        "xor": _xor,
        "moons": _moons,
        "circles": _circles,
        "spirals": _spirals,
        "blobs": _blobs,
    }
    if name not in makers:
        raise ValueError(f"make_toy expects a name in {list(makers)}; got {name!r}")
    X, y, classes = makers[name](rng, n, noise)
    return Dataset(
        name,
        X.astype(np.float64),
        y.astype(np.int64),
        "classification",
        ("x1", "x2")[: X.shape[1]]
        if X.shape[1] <= 2
        else tuple(f"x{i + 1}" for i in range(X.shape[1])),
        classes,
    )


def _xor(rng, n, noise):
    """Four clusters at (+-1, +-1); the label is 1 where the signs differ."""
    noise = 0.2 if noise is None else check_real("xor", "noise", noise, low=0.0)
    corners = rng.integers(0, 2, size=(n, 2)) * 2 - 1  # (n, 2) of +-1
    X = corners + noise * rng.standard_normal((n, 2))
    return X, (corners[:, 0] != corners[:, 1]).astype(int), ("same sign", "different sign")


def _moons(rng, n, noise):
    noise = 0.1 if noise is None else check_real("moons", "noise", noise, low=0.0)
    y = rng.integers(0, 2, n)
    angle = rng.uniform(0, np.pi, n)
    X = np.where(
        y[:, None] == 0,
        np.stack([np.cos(angle), np.sin(angle)], axis=1),
        np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1),
    )
    return X + noise * rng.standard_normal((n, 2)), y, ("upper moon", "lower moon")


def _circles(rng, n, noise):
    noise = 0.05 if noise is None else check_real("circles", "noise", noise, low=0.0)
    y = rng.integers(0, 2, n)
    radius = np.where(y == 0, 1.0, 0.5)
    angle = rng.uniform(0, 2 * np.pi, n)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return X + noise * rng.standard_normal((n, 2)), y, ("outer", "inner")


def _spirals(rng, n, noise):
    """Two interleaved spirals, each turning 1.75 times around the origin."""
    noise = 0.1 if noise is None else check_real("spirals", "noise", noise, low=0.0)
    y = rng.integers(0, 2, n)
    t = np.sqrt(rng.uniform(0, 1, n)) * 3.5 * np.pi  # denser near the centre
    X = np.stack([t * np.cos(t + np.pi * y), t * np.sin(t + np.pi * y)], axis=1) / (3.5 * np.pi)
    return X + noise * rng.standard_normal((n, 2)) / 3, y, ("spiral 0", "spiral 1")


# the separator of the blobs, so that tests can compute the perceptron's mistake bound
BLOBS_SEPARATOR = (np.array([1.0, 1.0]), -0.5)


def _blobs(rng, n, noise):
    """Two Gaussian blobs, then every point within `margin` of the line x1 + x2 = 0.5 is
    dropped and redrawn: linearly separable by construction, with a known separator."""
    margin = 0.3 if noise is None else check_real("blobs", "margin", noise, low=0.0, low_open=True)
    u, c = BLOBS_SEPARATOR
    X, y = np.empty((0, 2)), np.empty(0, dtype=int)
    while len(y) < n:
        labels = rng.integers(0, 2, n)
        centres = np.where(labels[:, None] == 1, 1.0, -0.5)  # (0.25, 0.25) +- 0.75: symmetric
        points = centres + 0.6 * rng.standard_normal((n, 2))
        keep = np.abs(points @ u + c) / np.linalg.norm(u) >= margin
        keep &= (points @ u + c > 0) == (labels == 1)  # on its own side
        X, y = np.vstack([X, points[keep]]), np.concatenate([y, labels[keep]])
    return X[:n], y[:n], ("below", "above")


# ---------------------------------------------------------------------------------------
# A user's own table
# ---------------------------------------------------------------------------------------

# what pandas reads as missing (its default na_values), compared case-insensitively
MISSING = frozenset(
    m.lower()
    for m in (
        "",
        "NA",
        "N/A",
        "n/a",
        "NaN",
        "-NaN",
        "nan",
        "-nan",
        "null",
        "NULL",
        "None",
        "<NA>",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "1.#IND",
        "1.#QNAN",
    )
)
DELIMITERS = (",", ";", "\t")
# A numeric target is a class label when every value is a whole number and there are at
# most this many distinct values; otherwise (fractions, or more distinct values, such as
# diabetes' 214 whole-number disease scores) it is a regression target.
MAX_INFERRED_CLASSES = 20
TASK_RULE = (
    f"classification when every target is text or a whole number with at most "
    f"{MAX_INFERRED_CLASSES} distinct values, otherwise regression"
)


class CSVError(DataError):
    """A CSV that cannot be used as given; the message names the file, line and column."""


def _sniff_delimiter(header_line):
    """The delimiter of the header line: whichever of , ; tab it contains most (ties go
    to the comma). A table needs at least two columns, so one of them must be there."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals
    return best if counts[best] else None


def _number(text, decimal_comma):
    if decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".")  # 1,5 written where ; separates the fields
    return float(text)


def load_csv(path, target, task=None, drop_missing=False):
    """A user's CSV table as a Dataset, read the way spreadsheets and pandas write them.

    - a header row names the columns; `target` is the name of the target column;
    - the delimiter is sniffed from the header: comma, semicolon or tab (with semicolons,
      a decimal comma such as 1,5 is read as 1.5); a UTF-8 byte-order mark and CRLF line
      ends are fine; blank lines are skipped;
    - a pandas index column (first header empty or "Unnamed: 0", whole numbers all
      different) is dropped, and Dataset.notes says so;
    - features must be numbers; the target may be numbers or text (class names);
    - missing values (empty, NA, NaN, null, None, N/A... as pandas reads them) are an
      error giving their count and the first one's place, unless drop_missing=True drops
      those rows (and Dataset.notes says how many);
    - task None infers it: TASK_RULE; "classification" maps the distinct targets to
      labels 0..C-1 in sorted order, keeping their names in target_names; "regression"
      needs numeric targets. A single class is an error.

    Errors are CSVError (a ValueError) naming the file, the line and the column.
    """
    path = Path(path)
    if task not in (None, "classification", "regression"):
        raise ValueError(
            f"load_csv expects task None, 'classification' or 'regression'; got {task!r}"
        )
    name = f"--csv {path}"
    if not path.is_file():
        raise CSVError(
            f"{name}: expected an existing CSV file; "
            f"got {'a folder' if path.is_dir() else 'no such file'}"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")  # -sig: strips the byte-order mark Excel writes
    except UnicodeDecodeError as error:
        raise CSVError(
            f"{name}: expected UTF-8 text; byte {error.start} is "
            f"{raw[error.start : error.start + 1]!r} (binary file, or another "
            f"encoding: save it as UTF-8)"
        ) from None
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        raise CSVError(f"{name}: expected a header row and data rows; the file is empty")
    delimiter = _sniff_delimiter(lines[first])
    if delimiter is None:
        raise CSVError(
            f"{name}: expected a header row with at least two columns separated "
            f"by , ; or tab; got {lines[first][:60]!r}"
        )
    # (line number as an editor shows it, fields); csv handles quotes and CRLF
    rows = [
        (number, fields)
        for number, fields in enumerate(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1
        )
        if fields and fields != [""] and not (len(fields) == 1 and not fields[0].strip())
    ]
    (_, header), body = rows[0], rows[1:]
    header = [h.strip() for h in header]
    notes = []
    if not body:
        raise CSVError(f"{name} has a header but no data rows")
    for number, fields in body:
        if len(fields) != len(header):
            raise CSVError(
                f"{name} line {number} has {len(fields)} fields; the header has "
                f"{len(header)} (delimiter {delimiter!r})"
            )
    columns = [[fields[c].strip() for _, fields in body] for c in range(len(header))]
    if header[0] in ("", "Unnamed: 0") and _is_index(columns[0]):
        notes.append(
            f"column 1 ({header[0] or 'unnamed'}) holds the row numbers of a pandas "
            f"index: dropped, not used as a feature"
        )
        header, columns = header[1:], columns[1:]
    unnamed = [i + 1 for i, h in enumerate(header) if h == ""]
    if unnamed:
        raise CSVError(
            f"{name}: expected a name for every column in the header; column {unnamed[0]} has none"
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise CSVError(f"{name}: expected distinct column names; {repeated[0]!r} is repeated")
    if target not in header:
        raise CSVError(
            f"--target {target!r}: expected a column of {path.name}; its columns are {header}"
        )
    t = header.index(target)
    if len(header) < 2:
        raise CSVError(
            f"{name}: expected at least one feature column besides --target "
            f"{target!r}; got no other column"
        )
    line_numbers = [number for number, _ in body]
    missing = np.array(
        [[value.lower() in MISSING for value in column] for column in columns]
    ).T  # (N, columns)
    if missing.any():
        rows_with, cols_with = np.nonzero(missing)
        where = f"line {line_numbers[rows_with[0]]}, column {header[cols_with[0]]!r}"
        rows_missing = int(missing.any(axis=1).sum())
        if not drop_missing:
            raise CSVError(
                f"{name} has {int(missing.sum())} missing values (empty, NA, NaN, "
                f"null...) in {rows_missing} rows, the first at {where}; expected "
                f"none: fill them in, or pass --drop-missing to drop those rows"
            )
        keep = ~missing.any(axis=1)
        if not keep.any():
            raise CSVError(
                f"{name}: every one of its {len(keep)} rows has a missing value; "
                f"--drop-missing would leave none"
            )
        columns = [[v for v, k in zip(column, keep) if k] for column in columns]
        line_numbers = [n for n, k in zip(line_numbers, keep) if k]
        notes.append(
            f"dropped {rows_missing} of {len(keep)} rows with missing values (the first at {where})"
        )
    decimal_comma = delimiter == ";"
    features = [h for i, h in enumerate(header) if i != t]
    X = np.empty((len(line_numbers), len(features)))
    for j, c in enumerate(i for i in range(len(header)) if i != t):
        for r, value in enumerate(columns[c]):
            try:
                X[r, j] = _number(value, decimal_comma)
            except ValueError:
                raise CSVError(
                    f"{name} line {line_numbers[r]}, column {header[c]!r}: expected "
                    f"a number (features must be numeric); got {value!r}"
                ) from None
            if not np.isfinite(X[r, j]):
                raise CSVError(
                    f"{name} line {line_numbers[r]}, column {header[c]!r}: expected "
                    f"a finite number; got {value!r}"
                )
    y, task, target_names, how = _targets(
        name, target, columns[t], line_numbers, task, decimal_comma
    )
    notes.append(how)
    return Dataset(path.stem, X, y, task, tuple(features), target_names, tuple(notes))


def _is_index(values):
    """Whole numbers, all different: what pandas writes for its index (0..n-1 unless the
    frame was filtered or shuffled first)."""
    try:
        numbers = [int(v) for v in values]
    except ValueError:
        return False
    return len(set(numbers)) == len(numbers)


def _targets(name, target, values, line_numbers, task, decimal_comma):
    """(y, task, target_names, a sentence saying which task and why)."""
    numbers = []
    for value, number in zip(values, line_numbers):
        try:
            numbers.append(_number(value, decimal_comma))
        except ValueError:
            if task == "regression":
                raise CSVError(
                    f"--task regression: expected a number in every row of "
                    f"column {target!r}; got {value!r} on line {number}"
                ) from None
            numbers = None
            break
    if numbers is not None and not np.all(np.isfinite(numbers)):
        bad = next(i for i, v in enumerate(numbers) if not np.isfinite(v))
        raise CSVError(
            f"{name} line {line_numbers[bad]}, column {target!r}: expected a "
            f"finite number; got {values[bad]!r}"
        )
    if numbers is None:
        reason = "text"
        inferred = "classification"
    else:
        numbers = np.array(numbers)  # (N,)
        distinct = len(np.unique(numbers))
        whole = bool(np.all(numbers == np.round(numbers)))
        if whole and distinct <= MAX_INFERRED_CLASSES:
            reason, inferred = f"whole numbers with {distinct} distinct values", "classification"
        elif whole:
            reason = f"whole numbers, but {distinct} distinct values (> {MAX_INFERRED_CLASSES})"
            inferred = "regression"
        else:
            reason, inferred = "numbers with fractions", "regression"
    if task is None:
        how = (
            f"task: {inferred}, inferred from target {target!r}: {reason} (rule: "
            f"{TASK_RULE}; --task overrides)"
        )
        task = inferred
    else:
        how = f"task: {task} (from --task; inference would say {inferred}: {reason})"
    if task == "regression":
        return numbers, task, (target,), how
    labels = values if numbers is None else numbers
    classes, y = np.unique(np.asarray(labels), return_inverse=True)
    if numbers is None:
        names = tuple(str(c) for c in classes)
    else:
        names = tuple(str(int(v)) if v == int(v) else str(v) for v in classes)
    if len(classes) < 2:
        raise CSVError(
            f"--target {target!r}: expected at least 2 classes for classification; "
            f"got the single class {names[0]!r} in all {len(y)} rows"
        )
    shown = ", ".join(names[:10]) + (f", ... ({len(names)} classes)" if len(names) > 10 else "")
    return y.astype(np.int64), task, names, how + f"; classes: {shown}"
