"""Data, offline: shipped real datasets (checked by SHA-256), seeded toy sets, and a CSV
loader for a user's own numeric table.

Every loader returns a Dataset: X (N, D) float64, y (N,) int64 labels in [0, C) for
classification or float64 targets for regression, plus names.
"""

import csv
import hashlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

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
    X: np.ndarray            # (N, D) float64
    y: np.ndarray            # (N,) int64 class labels, or float64 regression targets
    task: str                # "classification" or "regression"
    feature_names: tuple
    target_names: tuple      # class names (classification) or the target's name

    @property
    def num_classes(self):
        return len(self.target_names) if self.task == "classification" else None


class DatasetIntegrityError(ValueError):
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
        raise FileNotFoundError(f"dataset file {path} is missing (a shipped dataset)")
    digest = sha256_of(path)
    if digest != SHIPPED[name]:
        raise DatasetIntegrityError(
            f"dataset file {path} has SHA-256 {digest}, expected {SHIPPED[name]}: it was "
            f"modified, truncated or replaced; restore it from the repository")
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
    makers = {"xor": _xor, "moons": _moons, "circles": _circles, "spirals": _spirals,
              "blobs": _blobs}
    if name not in makers:
        raise ValueError(f"make_toy expects a name in {list(makers)}; got {name!r}")
    X, y, classes = makers[name](rng, n, noise)
    return Dataset(name, X.astype(np.float64), y.astype(np.int64), "classification",
                   ("x1", "x2")[:X.shape[1]] if X.shape[1] <= 2 else
                   tuple(f"x{i + 1}" for i in range(X.shape[1])), classes)


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
    X = np.where(y[:, None] == 0,
                 np.stack([np.cos(angle), np.sin(angle)], axis=1),
                 np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1))
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

def load_csv(path, target, task=None):
    """A numeric CSV with a header row; `target` names the target column. task: None
    (classification when every target is a whole number, else regression),
    "classification" (targets become labels 0..C-1 in sorted order) or "regression"."""
    path = Path(path)
    if task not in (None, "classification", "regression"):
        raise ValueError(f"load_csv expects task None, 'classification' or 'regression'; got {task!r}")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"load_csv: {path} is empty; expected a header row and data rows")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if target not in header:
        raise ValueError(f"load_csv: {path} has no column {target!r}; its columns are {header}")
    if not body:
        raise ValueError(f"load_csv: {path} has a header but no data rows")
    values = np.empty((len(body), len(header)))
    for r, row in enumerate(body, start=2):  # line numbers as an editor shows them
        if len(row) != len(header):
            raise ValueError(f"load_csv: {path} line {r} has {len(row)} fields; the header has {len(header)}")
        for c, text in enumerate(row):
            text = text.strip()
            if text == "":
                raise ValueError(f"load_csv: {path} line {r}, column {header[c]!r} is empty "
                                 f"(missing values are not filled in: clean the file)")
            try:
                values[r - 2, c] = float(text)
            except ValueError:
                raise ValueError(f"load_csv: {path} line {r}, column {header[c]!r}: {text!r} "
                                 f"is not a number") from None
            if not np.isfinite(values[r - 2, c]):
                raise ValueError(f"load_csv: {path} line {r}, column {header[c]!r} is {text!r}; "
                                 f"expected a finite number")
    t = header.index(target)
    X = np.delete(values, t, axis=1)
    raw_y = values[:, t]
    features = tuple(h for i, h in enumerate(header) if i != t)
    if task is None:
        task = "classification" if np.all(raw_y == np.round(raw_y)) else "regression"
    if task == "regression":
        return Dataset(path.stem, X, raw_y, task, features, (target,))
    classes, y = np.unique(raw_y, return_inverse=True)
    names = tuple(str(int(v)) if v == int(v) else str(v) for v in classes)
    return Dataset(path.stem, X, y.astype(np.int64), task, features, names)
