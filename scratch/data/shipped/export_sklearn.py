"""Export the bundled scikit-learn datasets once, as compressed .npz (run by hand, never
imported): `python scratch/data/shipped/export_sklearn.py`, then paste the printed SHA-256 lines
into scratch/data/datasets.py. Needs scikit-learn; nothing else in the project does."""

from pathlib import Path

import numpy as np
from sklearn import datasets

HERE = Path(__file__).resolve().parent

LOADERS = {
    "iris": datasets.load_iris,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
    "diabetes": datasets.load_diabetes,
}


def main():
    import hashlib

    for name, load in LOADERS.items():
        bunch = load()
        classification = name != "diabetes"
        arrays = {
            "X": np.asarray(bunch.data, dtype=np.float64),
            "y": np.asarray(bunch.target, dtype=np.int64 if classification else np.float64),
            "feature_names": np.asarray([str(f) for f in bunch.feature_names]),
            "target_names": np.asarray(
                [str(t) for t in getattr(bunch, "target_names", ["target"])]
            ),
        }
        path = HERE / f"{name}.npz"
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)
        print(f'"{name}": "{hashlib.sha256(path.read_bytes()).hexdigest()}",')


if __name__ == "__main__":
    main()
