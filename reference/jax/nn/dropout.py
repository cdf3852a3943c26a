"""Dropout twin on JAX: a Bernoulli keep-mask from an explicit PRNG key, as in
jax.example_libraries.stax.Dropout (JAX itself has no dropout op)."""

import jax
import jax.numpy as jnp


class Dropout:
    def __init__(self, p=0.5):
        self.p = p

    def forward(self, params, X, *, training=True, key=None):
        if not training or self.p == 0:
            return X
        keep = jax.random.bernoulli(key, 1 - self.p, X.shape)
        return jnp.where(keep, X / (1 - self.p), 0)
