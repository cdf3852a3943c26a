"""Softmax and LogSoftmax over the last axis, numerically stable.

Shape ledger (N batch, C classes; any leading axes work the same):
    Z  (N, C)  logits                  dZ (N, C)
    P  (N, C)  softmax(Z), rows sum to 1
    Y  (N, C)  output (P, or log P)    dY (N, C) upstream gradient
    cache: P for both (softmax's Jacobian is diag(P) - P P^T, row by row)

Stability: softmax(Z) = softmax(Z - max(Z)), so exp only ever sees values <= 0 and cannot
overflow; log-softmax is Z - max - log(sum(exp(Z - max))), never log of an underflowed 0.
"""

from typing import NamedTuple

import numpy as np

from scratch.protocol import Layer, check_float_array, check_upstream


class SoftmaxCache(NamedTuple):
    P: np.ndarray  # (N, C) probabilities


def log_softmax(Z):
    """Stable log-softmax over the last axis; used by the losses too."""
    shifted = Z - Z.max(axis=-1, keepdims=True)  # (N, C), max entry 0 per row
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _check_logits(where, Z):
    check_float_array(where, "X", Z)
    if Z.ndim == 0 or Z.shape[-1] == 0:
        raise ValueError(f"{where} expects X with a non-empty last (class) axis; got {Z.shape}")


class Softmax(Layer):
    def __repr__(self):
        return "Softmax()"

    def forward(self, params, X):
        _check_logits(repr(self), X)
        E = np.exp(X - X.max(axis=-1, keepdims=True))  # (N, C), entries in (0, 1]
        P = E / E.sum(axis=-1, keepdims=True)  # (N, C)
        return P, SoftmaxCache(P=P)

    def backward(self, cache, dY):
        P = cache.P
        check_upstream(f"{self!r}.backward", "dY", dY, P.shape, P.dtype)
        # Jacobian-vector product without forming (C, C) Jacobians: P * (dY - <dY, P>)
        dX = P * (dY - (dY * P).sum(axis=-1, keepdims=True))  # (N, C)
        return dX, {}


class LogSoftmax(Layer):
    def __repr__(self):
        return "LogSoftmax()"

    def forward(self, params, X):
        _check_logits(repr(self), X)
        Y = log_softmax(X)  # (N, C)
        return Y, SoftmaxCache(P=np.exp(Y))

    def backward(self, cache, dY):
        P = cache.P
        check_upstream(f"{self!r}.backward", "dY", dY, P.shape, P.dtype)
        # d log p_i / d z_j = [i == j] - p_j, so dZ = dY - P * sum(dY)
        dX = dY - P * dY.sum(axis=-1, keepdims=True)  # (N, C)
        return dX, {}
