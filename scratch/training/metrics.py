"""Regression metrics in the target's own units, and the ordinary least-squares baseline
a regression MLP should be compared with.

    y, y_hat: (N,) targets and predictions, both in the target's units
    regression_metrics(y, y_hat) -> {"rmse", "mae", "r2"}
    least_squares_predictions(X_train, y_train, X) -> (N,) predictions of the OLS fit

R² = 1 - SS_res / SS_tot, where SS_tot is measured around the mean of the *evaluated*
rows (as scikit-learn's r2_score does): 0 means "no better than predicting that mean",
negative means worse. It is the scale-free number to compare runs by; RMSE and MAE
say how far off a prediction is, in the target's units.
"""

import math

import numpy as np


def regression_metrics(y, y_hat):
    y = np.asarray(y, dtype=np.float64).reshape(-1)  # (N,)
    y_hat = np.asarray(y_hat, dtype=np.float64).reshape(-1)  # (N,)
    if y.shape != y_hat.shape or y.size == 0:
        raise ValueError(
            f"regression_metrics expects y and y_hat of the same non-empty "
            f"shape (N,); got {y.shape} and {y_hat.shape}"
        )
    residual = y - y_hat  # (N,)
    total = float(np.sum((y - y.mean()) ** 2))
    r2 = 1 - float(np.sum(residual**2)) / total if total > 0 else math.nan
    return {
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "mae": float(np.mean(np.abs(residual))),
        "r2": r2,
    }


def least_squares_predictions(X_train, y_train, X):
    """Ordinary least squares with an intercept (what scikit-learn's LinearRegression
    fits), solved by np.linalg.lstsq: w = argmin ||[X 1] w - y||^2."""
    design = np.hstack([X_train, np.ones((len(X_train), 1))])  # (N_train, D + 1)
    w, *_ = np.linalg.lstsq(design, np.asarray(y_train, dtype=np.float64), rcond=None)  # (D + 1,)
    return np.hstack([X, np.ones((len(X), 1))]) @ w  # (N,)
