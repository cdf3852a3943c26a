"""Train / validation / test splits without leakage.

    splits = split(dataset, validation=0.15, test=0.15, seed=0)   # stratified by class
    standardizer = Standardizer.fit(splits.train)                  # train statistics only
    splits = standardizer.transform_splits(splits)
    leaks = duplicates_across_splits(splits)                       # [] when clean

The API makes the classic leak hard: `Standardizer.fit` takes a Subset and refuses any
whose role is not "train" (fitting on validation or test rows lets their statistics
shape training), and a plain array is refused too, since its origin is unknown.
"""

from typing import NamedTuple

import numpy as np

from scratch.protocol import check_real


class Subset(NamedTuple):
    X: np.ndarray  # (n, D)
    y: np.ndarray  # (n,)
    role: str  # "train", "validation" or "test"
    indices: np.ndarray  # (n,) rows of the original dataset


class Splits(NamedTuple):
    train: Subset
    validation: Subset
    test: Subset


def split_indices(y, validation=0.15, test=0.15, seed=0, stratify=True):
    """Shuffled row indices for train / validation / test. Stratified: each class is
    split in the same proportions, so rare classes appear in every part."""
    check_real("split", "validation", validation, low=0.0, high=1.0, high_open=True)
    check_real("split", "test", test, low=0.0, high=1.0, high_open=True)
    if validation + test >= 1:
        raise ValueError(
            f"split expects validation + test < 1 (some rows must remain to "
            f"train on); got {validation} + {test}"
        )
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    parts = {"train": [], "validation": [], "test": []}
    for rows in groups:
        rows = rng.permutation(rows)
        n_test = int(round(test * len(rows)))
        n_val = int(round(validation * len(rows)))
        parts["test"].append(rows[:n_test])
        parts["validation"].append(rows[n_test : n_test + n_val])
        parts["train"].append(rows[n_test + n_val :])
    # shuffle across classes too, so that no part is ordered by class
    return {role: rng.permutation(np.concatenate(p)) for role, p in parts.items()}


def split(dataset, validation=0.15, test=0.15, seed=0):
    """Splits of a Dataset; stratified when the task is classification."""
    stratify = dataset.task == "classification"
    indices = split_indices(dataset.y, validation, test, seed, stratify)
    if len(indices["train"]) == 0:
        raise ValueError(f"split left no training rows from {len(dataset.y)} rows")
    subsets = {
        role: Subset(dataset.X[rows], dataset.y[rows], role, rows) for role, rows in indices.items()
    }
    return Splits(subsets["train"], subsets["validation"], subsets["test"])


class Standardizer:
    """Per-feature (x - centre) / scale, both from the training subset only.

    method="standard": centre = mean, scale = standard deviation (z-scores).
    method="minmax":   centre = min,  scale = max - min (training rows land in [0, 1]).
    A feature constant on the training rows is centred but not scaled. z-scores suit
    roughly Gaussian features; for sparse ones (digits' edge pixels, non-zero in a handful
    of rows) they turn a rare non-zero into an outlier of 30 standard deviations, where
    min-max keeps it in range.
    """

    def __init__(self, mean, std, method="standard"):
        self.mean, self.std, self.method = mean, std, method  # (D,) centre, (D,) scale

    @classmethod
    def fit(cls, train, method="standard"):
        if not isinstance(train, Subset):
            raise TypeError(
                f"Standardizer.fit expects the training Subset (splits.train); got "
                f"{type(train).__name__}: a bare array may hold validation or test "
                f"rows, whose statistics would leak into training"
            )
        if train.role != "train":
            raise ValueError(
                f"Standardizer.fit expects the training subset; got the "
                f"{train.role!r} subset (fitting on it leaks its statistics "
                f"into training)"
            )
        if method == "standard":
            centre, scale = train.X.mean(axis=0), train.X.std(axis=0)  # (D,), (D,)
        elif method == "minmax":
            centre = train.X.min(axis=0)  # (D,)
            scale = train.X.max(axis=0) - centre  # (D,)
        else:
            raise ValueError(
                f"Standardizer.fit expects method 'standard' or 'minmax'; got {method!r}"
            )
        return cls(centre, np.where(scale > 0, scale, 1.0), method)

    def transform(self, X):
        if X.ndim != 2 or X.shape[1] != self.mean.shape[0]:
            raise ValueError(
                f"Standardizer expects X of shape (N, {self.mean.shape[0]}); got {X.shape}"
            )
        return (X - self.mean) / self.std

    def transform_splits(self, splits):
        return Splits(*(s._replace(X=self.transform(s.X)) for s in splits))


def duplicates_across_splits(splits):
    """[(role_a, role_b, number of rows of role_b that also appear in role_a)] for every
    pair that shares a feature row: duplicated rows make validation and test scores
    measure memory, not generalisation."""

    def row_keys(X):
        return {np.ascontiguousarray(row).tobytes() for row in X}

    keys = {s.role: row_keys(s.X) for s in splits}
    report = []
    roles = [s.role for s in splits]
    for i, a in enumerate(roles):
        for b in roles[i + 1 :]:
            shared = len(keys[a] & keys[b])
            if shared:
                report.append((a, b, shared))
    return report


class TargetScaler:
    """A regression target standardised with the training split's mean and standard
    deviation: t = (y - mean) / std, inverted with y = t * std + mean for reporting.

    Why: the loss, its gradients and the initial outputs (~0, spread ~1) all live on the
    scale of the target. Diabetes' target has mean ~152 and std ~77, so an MLP starts
    with an MSE of ~3e4 and its first steps are spent learning the offset. On the
    standardised target the loss starts near 1 and the default learning rates apply.
    Fitted on the training subset only, for the same reason as `Standardizer`.
    """

    def __init__(self, mean, std):
        self.mean, self.std = float(mean), float(std)

    @classmethod
    def fit(cls, train):
        if not isinstance(train, Subset) or train.role != "train":
            raise ValueError(
                f"TargetScaler.fit expects the training Subset (splits.train); got "
                f"{getattr(train, 'role', type(train).__name__)!r}"
            )
        std = float(np.std(train.y))
        if not (std > 0 and np.isfinite(std)):
            raise ValueError(
                f"TargetScaler.fit expects a target that varies on the training "
                f"split; its standard deviation is {std}"
            )
        return cls(np.mean(train.y), std)

    def transform(self, y):
        return (np.asarray(y, dtype=np.float64) - self.mean) / self.std

    def inverse(self, t):
        return np.asarray(t, dtype=np.float64) * self.std + self.mean

    def transform_splits(self, splits):
        return Splits(*(s._replace(y=self.transform(s.y)) for s in splits))

    def __repr__(self):
        return f"TargetScaler(mean={self.mean:.4g}, std={self.std:.4g})"


def check_trainable(splits, task, num_classes=None, batch_size=None):
    """Raise ValueError naming the first reason these splits cannot be trained on (and
    diagnosed): an empty split, one class only, fewer rows than classes, a constant target,
    a batch larger than the training split. Call it before anything trains, so that the
    user sees one sentence instead of a failure deep inside the loop."""
    rows = sum(len(s.y) for s in splits)
    if task == "classification":
        present = np.unique(np.concatenate([s.y for s in splits]))
        classes = max(num_classes or 0, len(present))
        if len(present) < 2:
            raise ValueError(
                f"the target has a single class ({present.tolist()}) in {rows} "
                f"rows: there is nothing to tell apart; classification needs at "
                f"least 2 classes"
            )
        if rows < classes:
            raise ValueError(
                f"{rows} rows for {classes} classes: fewer rows than classes, "
                f"so some class has no example at all"
            )
    for s in splits:
        if len(s.y) == 0:
            raise ValueError(
                f"the {s.role} split is empty ({rows} rows in all, split "
                f"{len(splits.train.y)}/{len(splits.validation.y)}/"
                f"{len(splits.test.y)}): give at least ~20 rows"
            )
    if task == "classification" and len(np.unique(splits.train.y)) < 2:
        raise ValueError(
            f"the training split holds a single class "
            f"({np.unique(splits.train.y).tolist()}): give more rows per class"
        )
    if task == "regression" and not np.ptp(splits.train.y) > 0:
        raise ValueError(
            f"the target is constant on the training split (every value is "
            f"{splits.train.y[0]:.6g}): there is nothing to learn"
        )
    if batch_size is not None and batch_size > len(splits.train.y):
        raise ValueError(
            f"--batch-size {batch_size} is larger than the training split "
            f"({len(splits.train.y)} rows)"
        )
