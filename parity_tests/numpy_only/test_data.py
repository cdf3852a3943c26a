"""Datasets, splits without leakage, and checkpoints."""

import re
import shutil

import numpy as np
import pytest

from scratch.data import datasets
from scratch.data.splits import Standardizer, duplicates_across_splits, split
from scratch.training.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

SHAPES = {"iris": (150, 4, 3), "breast_cancer": (569, 30, 2), "digits": (1797, 64, 10)}


@pytest.mark.parametrize("name", list(SHAPES))
def test_shipped_classification_sets(name):
    ds = datasets.load(name)
    n, d, c = SHAPES[name]
    assert ds.X.shape == (n, d) and ds.X.dtype == np.float64
    assert ds.y.dtype == np.int64 and set(np.unique(ds.y)) == set(range(c))
    assert ds.task == "classification" and ds.num_classes == c and len(ds.feature_names) == d


def test_shipped_regression_set():
    ds = datasets.load("diabetes")
    assert ds.X.shape == (442, 10) and ds.y.dtype == np.float64 and ds.task == "regression"


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_checksum_catches_a_modified_file(tmp_path, damage):
    shutil.copy(datasets.DATA_DIR / "iris.npz", tmp_path / "iris.npz")
    data = bytearray((tmp_path / "iris.npz").read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[: len(data) // 2]
    (tmp_path / "iris.npz").write_bytes(bytes(data))
    with pytest.raises(
        datasets.DatasetIntegrityError,
        match="iris.npz has SHA-256 .* expected " + datasets.SHIPPED["iris"],
    ):
        datasets.load_shipped("iris", data_dir=tmp_path)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match=re.escape("load expects a dataset name in ['iris'")):
        datasets.load("mnist")


@pytest.mark.parametrize("name", datasets.TOY)
def test_toy_sets_are_seeded(name):
    a, b, c = datasets.load(name, seed=1), datasets.load(name, seed=1), datasets.load(name, seed=2)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert a.X.shape == (400, 2) and set(np.unique(a.y)) == {0, 1}


def test_blobs_are_separated_by_their_known_line_with_margin():
    ds = datasets.load("blobs", seed=3)
    u, c = datasets.BLOBS_SEPARATOR
    signed = (ds.X @ u + c) / np.linalg.norm(u)
    assert np.all(np.where(ds.y == 1, signed, -signed) >= 0.3)


def test_csv_loader(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("a,b,label\n1.5,2,0\n3,4.25,1\n5,6,1\n")
    ds = datasets.load_csv(path, "label")
    np.testing.assert_array_equal(ds.X, [[1.5, 2], [3, 4.25], [5, 6]])
    np.testing.assert_array_equal(ds.y, [0, 1, 1])
    assert ds.task == "classification" and ds.feature_names == ("a", "b")
    assert datasets.load_csv(path, "b").task == "regression"


@pytest.mark.parametrize(
    "content, target, message",
    [
        (
            "a,b\n1,2\n",
            "c",
            "--target 'c': expected a column of bad.csv; its columns are ['a', 'b']",
        ),
        (
            "a,b\n1,\n3,4\n",
            "b",
            "has 1 missing values (empty, NA, NaN, null...) in 1 rows, the "
            "first at line 2, column 'b'",
        ),
        (
            "a,b\n1,2\nx,3\n",
            "b",
            "line 3, column 'a': expected a number (features must be numeric); got 'x'",
        ),
        ("a,b\n1,2,3\n", "b", "line 2 has 3 fields; the header has 2"),
        ("a,b\n1,nan\n", "b", "has 1 missing values"),
        ("a,b\n1,inf\n2,3\n", "b", "line 2, column 'b': expected a finite number; got 'inf'"),
        ("a,b\n", "b", "has a header but no data rows"),
    ],
)
def test_csv_errors(tmp_path, content, target, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=re.escape(message)):
        datasets.load_csv(path, target)


def test_split_is_stratified_disjoint_and_complete():
    ds = datasets.load("digits")
    splits = split(ds, validation=0.15, test=0.15, seed=4)
    rows = np.concatenate([s.indices for s in splits])
    assert len(rows) == len(ds.y) == len(np.unique(rows))
    for s in splits:
        np.testing.assert_array_equal(s.X, ds.X[s.indices])
        share = np.bincount(s.y, minlength=10) / len(s.y)
        np.testing.assert_allclose(share, np.bincount(ds.y) / len(ds.y), atol=0.02)


def test_standardizer_uses_training_rows_only():
    splits = split(datasets.load("iris"), seed=0)
    fitted = Standardizer.fit(splits.train)
    np.testing.assert_allclose(fitted.mean, splits.train.X.mean(axis=0), rtol=1e-15)
    # changing every validation and test row changes nothing that was fitted
    poisoned = splits._replace(
        validation=splits.validation._replace(X=splits.validation.X * 1e6),
        test=splits.test._replace(X=splits.test.X + 1e6),
    )
    refit = Standardizer.fit(poisoned.train)
    np.testing.assert_array_equal(refit.mean, fitted.mean)
    np.testing.assert_array_equal(refit.std, fitted.std)
    scaled = fitted.transform_splits(splits)
    np.testing.assert_allclose(scaled.train.X.mean(axis=0), 0, atol=1e-12)


@pytest.mark.parametrize("role", ["validation", "test"])
def test_standardizer_refuses_other_subsets(role):
    splits = split(datasets.load("iris"), seed=0)
    with pytest.raises(ValueError, match=f"got the '{role}' subset .*leaks"):
        Standardizer.fit(getattr(splits, role))


def test_standardizer_refuses_a_bare_array():
    with pytest.raises(TypeError, match="expects the training Subset .*got ndarray"):
        Standardizer.fit(np.zeros((3, 2)))


def test_leakage_check_reports_duplicated_rows():
    splits = split(datasets.load("iris"), seed=0)
    leaked = splits._replace(
        test=splits.test._replace(X=np.vstack([splits.test.X, splits.train.X[:3]]))
    )
    report = dict(((a, b), n) for a, b, n in duplicates_across_splits(leaked))
    before = dict(((a, b), n) for a, b, n in duplicates_across_splits(splits))
    assert report[("train", "test")] == before.get(("train", "test"), 0) + 3


def test_checkpoint_round_trip(tmp_path):
    params = {"0.W": np.arange(6.0).reshape(2, 3), "0.b": np.ones(3, dtype=np.float32)}
    path = save_checkpoint(tmp_path / "ckpt.npz", params, {"sizes": [2, 3]})
    loaded, meta = load_checkpoint(path)
    assert meta == {"sizes": [2, 3]} and set(loaded) == set(params)
    for k in params:
        np.testing.assert_array_equal(loaded[k], params[k])
        assert loaded[k].dtype == params[k].dtype
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temporary left behind


def test_truncated_checkpoint_gives_a_clear_error(tmp_path):
    path = save_checkpoint(tmp_path / "ckpt.npz", {"w": np.ones(1000)})
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(
        CheckpointError, match="not a readable checkpoint \\(truncated or not an .npz"
    ):
        load_checkpoint(path)


def test_foreign_npz_gives_a_clear_error(tmp_path):
    np.savez(tmp_path / "other.npz", a=np.ones(2))
    with pytest.raises(CheckpointError, match="not a checkpoint written by save_checkpoint"):
        load_checkpoint(tmp_path / "other.npz")


def test_text_file_gives_a_clear_error(tmp_path):
    (tmp_path / "notes.npz").write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "notes.npz")
