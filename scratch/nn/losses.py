"""Losses: MSE, binary cross-entropy on logits, softmax cross-entropy on integer labels.

Each loss reduces to the mean, like torch's default reduction="mean" (optax returns
per-example values; its twins take the mean explicitly).

Shape ledger (N batch, C classes, S any shape):
    MSE                  Y (S) predictions, T (S) targets   -> L ()    dY (S) = 2 (Y - T) / size
    BCEWithLogits        Z (S) logits, T (S) in [0, 1]      -> L ()    dZ (S) = (σ(Z) - T) / size
    SoftmaxCrossEntropy  Z (N, C) logits, y (N,) integers  -> L ()    dZ (N, C) = (P - Q) / N
        Q = (1 - eps) onehot(y) + eps / C, the label-smoothed target (eps = label_smoothing)
    backward takes the upstream scalar dL (1.0 when L is the final objective).
"""

from typing import NamedTuple

import numpy as np

from scratch.nn.activations import stable_sigmoid
from scratch.nn.softmax import shifted_exp
from scratch.protocol import Loss, check_float_array, check_real, upstream_scalar


def _check_pair(where, pred_name, pred, target_name, target):
    check_float_array(where, pred_name, pred)
    check_float_array(where, target_name, target)
    if pred.shape != target.shape:
        raise ValueError(
            f"{where} expects {target_name} of the same shape as {pred_name} "
            f"{pred.shape}; got {target.shape}"
        )
    if pred.size == 0:
        raise ValueError(
            f"{where} expects a non-empty batch; got {pred_name} of shape {pred.shape}"
        )
    if not np.isfinite(target).all():
        raise ValueError(
            f"{where} expects finite {target_name}; got NaN or inf "
            f"at {int((~np.isfinite(target)).sum())} position(s)"
        )


class MSECache(NamedTuple):
    diff: np.ndarray  # (S) Y - T


class MSE(Loss):
    """L = mean((Y - T)^2) over all elements (not 0.5 * ..., unlike optax.l2_loss)."""

    def __repr__(self):
        return "MSE()"

    def forward(self, Y, T):
        _check_pair(repr(self), "Y", Y, "T", T)
        diff = Y - T.astype(Y.dtype, copy=False)  # (S)
        L = np.mean(diff * diff)
        return L, MSECache(diff=diff)

    def backward(self, cache, dL=1.0):
        diff = cache.diff
        dL = upstream_scalar(f"{self!r}.backward", dL, diff.dtype)
        dY = (2 * dL / diff.size) * diff  # (S)
        return dY.astype(diff.dtype, copy=False)


class BCECache(NamedTuple):
    P: np.ndarray  # (S) sigmoid(Z)
    T: np.ndarray  # (S) targets


class BCEWithLogits(Loss):
    """L = mean(-T log sigmoid(Z) - (1 - T) log(1 - sigmoid(Z))), computed stably as
    mean(max(Z, 0) - Z T + log(1 + exp(-|Z|))), finite for logits far beyond +-1e4."""

    def __repr__(self):
        return "BCEWithLogits()"

    def forward(self, Z, T):
        where = repr(self)
        _check_pair(where, "Z", Z, "T", T)
        if T.min() < 0 or T.max() > 1:
            raise ValueError(
                f"{where} expects targets T in [0, 1]; got values from {T.min()} to {T.max()}"
            )
        T = T.astype(Z.dtype, copy=False)
        # max(z, 0) - z t + log(1 + exp(-|z|)), in place on two fresh arrays
        per_element = np.maximum(Z, 0)  # (S)
        per_element -= Z * T
        softplus = np.abs(Z)
        np.negative(softplus, out=softplus)
        np.exp(softplus, out=softplus)
        np.log1p(softplus, out=softplus)  # log(1 + exp(-|z|))
        per_element += softplus
        L = per_element.mean()
        return L, BCECache(P=stable_sigmoid(Z), T=T)

    def backward(self, cache, dL=1.0):
        P, T = cache
        dL = upstream_scalar(f"{self!r}.backward", dL, P.dtype)
        dZ = (dL / P.size) * (P - T)  # (S)
        return dZ.astype(P.dtype, copy=False)


class SoftmaxCrossEntropyCache(NamedTuple):
    P: np.ndarray  # (N, C) softmax(Z)
    y: np.ndarray  # (N,) integer labels


class SoftmaxCrossEntropy(Loss):
    """L = mean over the batch of -sum_c Q[n, c] log softmax(Z)[n, c].

    Labels are integers in [0, C); label_smoothing eps mixes the one-hot target with the
    uniform one, Q = (1 - eps) onehot + eps / C, as torch's F.cross_entropy and
    optax.smooth_labels do.
    """

    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = check_real(
            "SoftmaxCrossEntropy", "label_smoothing", label_smoothing, low=0.0, high=1.0
        )

    def __repr__(self):
        return f"SoftmaxCrossEntropy(label_smoothing={self.label_smoothing})"

    def forward(self, Z, y):
        where = repr(self)
        check_float_array(where, "Z", Z)
        if Z.ndim != 2 or Z.shape[0] == 0 or Z.shape[1] == 0:
            raise ValueError(
                f"{where} expects logits Z of shape (N, C) with N, C > 0; got {Z.shape}"
            )
        N, C = Z.shape
        if not isinstance(y, np.ndarray):
            raise TypeError(
                f"{where} expects labels y as a numpy integer array; got {type(y).__name__}"
            )
        if y.dtype.kind not in "iu":  # signed or unsigned integers
            raise TypeError(
                f"{where} expects integer class labels y (e.g. int64); got dtype "
                f"{y.dtype} (float labels are not class indices: cast with "
                f"y.astype(np.int64) if they are whole numbers)"
            )
        if y.shape != (N,):
            raise ValueError(
                f"{where} expects labels y of shape ({N},), one per row of Z; got {y.shape}"
            )
        if y.min() < 0 or y.max() >= C:
            bad = y[(y < 0) | (y >= C)]
            raise ValueError(
                f"{where} expects labels y in [0, {C}) for {C} classes; got "
                f"{bad.size} out of range, e.g. {bad[0]}"
            )
        # log P = S - log(sums), with S = Z - max per row: only the entries the loss
        # reads are formed (the label's, and each row's sum for smoothing), not all of
        # log P; P = E / sums is what backward needs
        S, P, sums = shifted_exp(Z)  # (N, C), (N, C), (N, 1)
        log_sums = np.log(sums[:, 0])  # (N,)
        eps = Z.dtype.type(self.label_smoothing)
        # -sum_c Q log P = -(1 - eps) log P[y] - (eps / C) sum_c log P
        nll = log_sums - S[np.arange(N), y]  # (N,), -log P[y]
        if self.label_smoothing:
            sum_log_p = S.sum(axis=1) - C * log_sums  # (N,)
            nll = (1 - eps) * nll - (eps / C) * sum_log_p
        L = nll.sum() / N  # the mean (ndarray.mean's Python wrapper costs more than this)
        P *= 1 / sums  # times 1 / sum, as Softmax (and torch's kernel)
        return L, SoftmaxCrossEntropyCache(P=P, y=y)

    def backward(self, cache, dL=1.0):
        P, y = cache
        dL = upstream_scalar(f"{self!r}.backward", dL, P.dtype)
        N, C = P.shape
        eps = P.dtype.type(self.label_smoothing)
        dZ = P - eps / C  # (N, C), the smoothing's uniform part of P - Q
        dZ[np.arange(N), y] -= 1 - eps
        dZ *= dL / N
        return dZ


def loss_for_task(task):
    """The loss a task trains with: softmax cross-entropy on class labels, MSE on a real
    target. The one place that choice is made (the training backends and diagnose ask)."""
    if task == "classification":
        return SoftmaxCrossEntropy()
    if task == "regression":
        return MSE()
    raise ValueError(f"loss_for_task expects task 'classification' or 'regression'; got {task!r}")
