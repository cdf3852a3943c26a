"""Linear twin on JAX: Y = X @ W + b, with W stored (in, out) as in scratch."""

import jax.numpy as jnp


class Linear:
    def __init__(self, d_in, d_out, init="he"):
        self.d_in, self.d_out, self.init_scheme = d_in, d_out, init

    def forward(self, params, X):
        return jnp.matmul(X, params["W"]) + params["b"]  # (N, M)
