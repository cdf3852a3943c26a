"""Loss twins on optax. optax returns per-example losses: each twin takes the mean, as
torch's reduction="mean" and scratch do. Note optax.l2_loss is 0.5 * squared error, so
MSE uses optax.squared_error."""

import jax
import jax.numpy as jnp
import optax


class MSE:
    def forward(self, Y, T):
        return jnp.mean(optax.squared_error(Y, T))


class BCEWithLogits:
    def forward(self, Z, T):
        return jnp.mean(optax.sigmoid_binary_cross_entropy(Z, T))


class SoftmaxCrossEntropy:
    def __init__(self, label_smoothing=0.0):
        self.label_smoothing = label_smoothing

    def forward(self, Z, y):
        if self.label_smoothing == 0:
            return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(Z, y))
        # optax.smooth_labels gives (1 - eps) onehot + eps / C, as torch's label_smoothing
        Q = optax.smooth_labels(jax.nn.one_hot(y, Z.shape[-1], dtype=Z.dtype), self.label_smoothing)
        return jnp.mean(optax.softmax_cross_entropy(Z, Q))
