"""Rosenblatt's perceptron: a linear classifier that learns only from its mistakes.

Labels y in {-1, +1}; prediction sign(w . x + b). One example at a time, in order:
    if y (w . x + b) <= 0:      (a mistake; a tie on the boundary counts as one)
        w <- w + y x,  b <- b + y
An epoch is one pass; training stops after an epoch with no mistake (converged) or at
max_epochs (not converged: on data that is not linearly separable, XOR say, it never
stops making mistakes).

Novikoff's bound: if ||(x, 1)|| <= R for every example and some unit vector u separates
the data with margin gamma (y u . (x, 1) >= gamma), the rule makes at most (R / gamma)^2
mistakes in total, however long it runs.

Shape ledger: X (N, D), y (N,) in {-1, +1}, w (D,), b scalar.
The twins get the same rule as SGD with learning rate 1 and batch 1 on the criterion
max(0, -y (w . x + b)) (its gradient is -y x on a mistake and 0 otherwise).
"""

from typing import NamedTuple

import numpy as np

from scratch.protocol import Learner, check_float_array, check_positive_int


class PerceptronResult(NamedTuple):
    w: np.ndarray  # (D,)
    b: float
    mistakes: int  # updates made in total
    epochs: int  # passes made
    converged: bool  # True if the last pass made no mistake
    history: list  # (w, b) after every update, for trajectory comparisons


def check_perceptron_data(where, X, y):
    check_float_array(where, "X", X)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"{where} expects X of shape (N, D) with N > 0; got {X.shape}")
    if not isinstance(y, np.ndarray) or y.shape != (X.shape[0],):
        got = y.shape if isinstance(y, np.ndarray) else type(y).__name__
        raise ValueError(f"{where} expects labels y of shape ({X.shape[0]},); got {got}")
    if not np.isin(y, (-1, 1)).all():
        raise ValueError(
            f"{where} expects labels y in {{-1, +1}}; got values "
            f"{sorted(set(np.unique(y).tolist()) - {-1, 1})[:5]}"
        )
    if not np.isfinite(X).all():
        raise ValueError(f"{where} expects finite X; got NaN or inf")


class Perceptron(Learner):
    def __init__(self, max_epochs=100):
        self.max_epochs = check_positive_int("Perceptron", "max_epochs", max_epochs)

    def __repr__(self):
        return f"Perceptron(max_epochs={self.max_epochs})"

    def fit(self, X, y):
        check_perceptron_data(repr(self), X, y)
        w = np.zeros(X.shape[1], dtype=X.dtype)  # (D,)
        b = X.dtype.type(0)
        mistakes, history = 0, []
        for epoch in range(1, self.max_epochs + 1):
            mistakes_this_epoch = 0
            for x_n, y_n in zip(X, y):
                if y_n * (x_n @ w + b) <= 0:
                    w = w + y_n * x_n
                    b = b + y_n
                    mistakes_this_epoch += 1
                    history.append((w.copy(), float(b)))
            mistakes += mistakes_this_epoch
            if mistakes_this_epoch == 0:
                return PerceptronResult(w, float(b), mistakes, epoch, True, history)
        return PerceptronResult(w, float(b), mistakes, self.max_epochs, False, history)

    @staticmethod
    def predict(result, X):
        return np.where(X @ result.w + result.b > 0, 1, -1)


def mistake_bound(X, y, u, c):
    """(R / gamma)^2 for the separator (u, c): R = max ||(x, 1)||, gamma the margin of the
    unit vector (u, c) / ||(u, c)||. Raises if (u, c) does not separate the data."""
    augmented = np.hstack([X, np.ones((X.shape[0], 1))])  # (N, D + 1)
    direction = np.append(u, c) / np.linalg.norm(np.append(u, c))
    gamma = float(np.min(y * (augmented @ direction)))
    if gamma <= 0:
        raise ValueError(f"mistake_bound expects a separating (u, c); its margin is {gamma}")
    R = float(np.max(np.linalg.norm(augmented, axis=1)))
    return (R / gamma) ** 2
