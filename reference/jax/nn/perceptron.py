"""Perceptron twin on JAX: plain gradient steps (optax.sgd, lr 1) on
max(0, -y (w . x + b)), written `where(margin <= 0, -margin, 0)` so that a tie takes the
mistake branch as Rosenblatt's rule does."""

import jax
import jax.numpy as jnp
import numpy as np
import optax


def criterion(params, x, y):
    margin = y * (x @ params["w"] + params["b"])
    return jnp.where(margin <= 0, -margin, 0.0), margin


class Perceptron:
    def __init__(self, max_epochs=100):
        self.max_epochs = max_epochs

    def fit(self, X, y):
        params = {"w": jnp.zeros(X.shape[1], dtype=X.dtype), "b": jnp.zeros((), dtype=X.dtype)}
        optimizer = optax.sgd(1.0)
        state = optimizer.init(params)
        grad_fn = jax.jit(jax.grad(criterion, has_aux=True))
        X_j, y_j = jnp.asarray(X), jnp.asarray(y.astype(X.dtype))
        mistakes, history = 0, []
        for epoch in range(1, self.max_epochs + 1):
            mistakes_this_epoch = 0
            for n in range(X.shape[0]):
                grads, margin = grad_fn(params, X_j[n], y_j[n])
                updates, state = optimizer.update(grads, state)
                params = optax.apply_updates(params, updates)
                if float(margin) <= 0:
                    mistakes_this_epoch += 1
                    history.append((np.array(params["w"]), float(params["b"])))
            mistakes += mistakes_this_epoch
            if mistakes_this_epoch == 0:
                return np.array(params["w"]), float(params["b"]), mistakes, epoch, True, history
        return np.array(params["w"]), float(params["b"]), mistakes, self.max_epochs, False, history
