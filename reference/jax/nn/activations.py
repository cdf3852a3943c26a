"""Activation twins on jax.nn. Shapes as in scratch/nn/activations.py.

jax.nn.leaky_relu's gradient at exactly 0 is 1, where torch and scratch give the slope;
the parity tests keep exact zeros out of random inputs and check x = 0 against torch.
"""

import jax
import jax.numpy as jnp


class ReLU:
    def forward(self, params, X):
        return jax.nn.relu(X)


class LeakyReLU:
    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, params, X):
        return jax.nn.leaky_relu(X, negative_slope=self.slope)


class ELU:
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, params, X):
        return jax.nn.elu(X, alpha=self.alpha)


class Sigmoid:
    def forward(self, params, X):
        return jax.nn.sigmoid(X)


class Tanh:
    def forward(self, params, X):
        return jnp.tanh(X)


class GELU:
    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, params, X):
        # jax.nn.gelu defaults to the tanh approximation: always say which one
        return jax.nn.gelu(X, approximate=self.approximate == "tanh")
