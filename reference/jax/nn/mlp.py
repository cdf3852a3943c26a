"""MLP twin on JAX: a pure function of (params, X) over the same flat parameter dict,
layer by layer with the jax twins of the core components."""

import jax.numpy as jnp

from reference.jax.nn.activations import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from reference.jax.nn.linear import Linear

ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "gelu": GELU,
}


class MLP:
    def __init__(self, sizes, activation="relu", dropout=0.0, init=None):
        self.sizes, self.activation, self.dropout = list(sizes), activation, dropout
        self.layers = []  # ("linear" | "activation" | "dropout", component)
        for i, (d_in, d_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            self.layers.append(("linear", Linear(d_in, d_out)))
            if i < len(self.sizes) - 2:
                self.layers.append(("activation", ACTIVATIONS[activation]()))
                if dropout:
                    self.layers.append(("dropout", None))

    def forward(self, params, X, *, training=False, masks=None):
        """masks: layer index -> keep-mask, replayed in training mode (inverted dropout)."""
        A = X
        for index, (kind, layer) in enumerate(self.layers):
            if kind == "linear":
                A = layer.forward({"W": params[f"{index}.W"], "b": params[f"{index}.b"]}, A)
            elif kind == "activation":
                A = layer.forward({}, A)
            elif training:
                A = jnp.where(masks[index], A / (1 - self.dropout), 0)
        return A
