"""Lesson 9: feature scaling must be fit on the training rows only; duplicated rows leak too.

On the shipped breast_cancer data (569 rows, 30 features), split 70/15/15:
    honest: Standardizer.fit(splits.train)           statistics of the training rows
    leaky:  the same scaler with all rows' statistics (what fitting before splitting does)
and the test rows' statistics after each. With min-max scaling the leak has a signature:
no test value falls outside [0, 1], because the test rows' own extremes set the range.
Then a few training rows are copied into the test split, and duplicates_across_splits
(which training runs before it starts) finds them.
"""

import numpy as np

from scratch.data.datasets import load
from scratch.data.splits import Splits, Standardizer, duplicates_across_splits, split


def outside_range(X, method):
    """Test values the training rows' range did not foresee: outside [0, 1] for min-max,
    beyond 3 standard deviations for z-scores."""
    return int(np.sum((X < 0) | (X > 1))) if method == "minmax" else int(np.sum(np.abs(X) > 3))


RANGE = {"minmax": "outside [0, 1]", "standard": "with |z| > 3"}


def measure(seed=0, duplicated=12):
    data = load("breast_cancer")
    splits = split(data, seed=seed)
    results = {}
    for method in ("minmax", "standard"):
        honest = Standardizer.fit(splits.train, method=method)
        if method == "minmax":
            centre, scale = data.X.min(axis=0), data.X.max(axis=0) - data.X.min(axis=0)
        else:
            centre, scale = data.X.mean(axis=0), data.X.std(axis=0)
        leaky = Standardizer(centre, np.where(scale > 0, scale, 1.0), method)
        test_honest, test_leaky = honest.transform(splits.test.X), leaky.transform(splits.test.X)
        mean_shift = np.abs(test_leaky.mean(axis=0) - test_honest.mean(axis=0))  # (D,)
        worst = int(np.argmax(mean_shift))
        results[method] = {
            "centre_change": float(np.max(np.abs(leaky.mean - honest.mean) / honest.std)),
            "scale_ratio": (
                float(np.min(leaky.std / honest.std)),
                float(np.max(leaky.std / honest.std)),
            ),
            "test_mean_shift": float(mean_shift.max()),
            "worst_feature": data.feature_names[worst],
            "outside_honest": outside_range(test_honest, method),
            "outside_leaky": outside_range(test_leaky, method),
            "test_size": test_honest.size,
        }
    try:
        Standardizer.fit(splits.test)
        refusal = "accepted (unexpected)"
    except (TypeError, ValueError) as error:
        refusal = f"{type(error).__name__}: {error}"
    # the duplicated-row leak: copy training rows into the test split
    rows = splits.train.X[:duplicated]
    test = splits.test._replace(
        X=np.vstack([splits.test.X, rows]),
        y=np.concatenate([splits.test.y, splits.train.y[:duplicated]]),
    )
    return {
        "results": results,
        "refusal": refusal,
        "duplicated": duplicated,
        "clean_report": duplicates_across_splits(splits),
        "leak_report": duplicates_across_splits(Splits(splits.train, splits.validation, test)),
        "n_test": len(splits.test.y),
    }


def answer(m):
    lines = []
    for method, r in m["results"].items():
        lines.append(f"{method} scaling fit on all rows instead of the training rows:")
        lines.append(
            f"  centre moves by up to {r['centre_change']:.3f} of the training scale; "
            f"scale x{r['scale_ratio'][0]:.3f} to x{r['scale_ratio'][1]:.3f}"
        )
        lines.append(
            f"  the test rows' scaled mean moves by up to {r['test_mean_shift']:.4f} "
            f"(feature {r['worst_feature']!r})"
        )
        lines.append(
            f"  test values {RANGE[method]}: {r['outside_honest']} of {r['test_size']} "
            f"when fit on train, {r['outside_leaky']} when fit on all rows"
        )
    lines.append(f"Standardizer.fit(splits.test) -> {m['refusal']}")
    lines.append(
        f"duplicates across clean splits: {m['clean_report']}; after copying "
        f"{m['duplicated']} training rows into the {m['n_test']}-row test split: "
        f"{m['leak_report']}"
    )
    minmax = m["results"]["minmax"]
    lines.append(
        f"Answer: feature scaling (a standardizer or min-max scaler), like any step that "
        f"learns from data (imputation, PCA, vocabularies, feature selection), must be fit "
        f"on the training rows only. Fit on all rows, the test rows shape their own "
        f"scaling: with min-max none of them falls outside [0, 1] "
        f"({minmax['outside_leaky']} against {minmax['outside_honest']}), so the test no "
        f"longer shows how new data behaves. Duplicated rows leak the same way, and the "
        f"split's check counts them."
    )
    return "\n".join(lines)
