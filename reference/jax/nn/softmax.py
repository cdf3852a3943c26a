"""Softmax twins on jax.nn, over the last axis."""

import jax


class Softmax:
    def forward(self, params, X):
        return jax.nn.softmax(X, axis=-1)


class LogSoftmax:
    def forward(self, params, X):
        return jax.nn.log_softmax(X, axis=-1)
