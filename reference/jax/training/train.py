"""Training backend twin on JAX, for the loop in scratch/training/train.py: one jax.jit-compiled
step holding value_and_grad of the loss and the optax update.

Dropout replays the plan's masks (passed in as arrays, so they are traced, not baked in).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax

from reference.jax._autodiff import require_x64
from reference.jax.nn.losses import MSE, SoftmaxCrossEntropy
from reference.jax.nn.mlp import MLP


class Backend:
    def __init__(self, mlp, params, optimizer, task="classification"):
        require_x64()
        self.twin = MLP(mlp.sizes, mlp.activation, mlp.dropout)
        self.task = task
        self.loss = SoftmaxCrossEntropy() if task == "classification" else MSE()
        self.transform = optimizer.transform(params)
        self.params = {k: jnp.asarray(v) for k, v in params.items()}
        self.opt_state = self.transform.init(self.params)

        def loss_of(p, X, y, masks, training):
            out = self.twin.forward(p, X, training=training, masks=masks)
            target = y if task == "classification" else y.reshape(-1, 1).astype(out.dtype)
            return self.loss.forward(out, target), out

        def step(p, opt_state, X, y, masks):
            (loss, _), grads = jax.value_and_grad(loss_of, has_aux=True)(p, X, y, masks, True)
            updates, opt_state = self.transform.update(grads, opt_state, p)
            return optax.apply_updates(p, updates), opt_state, loss

        def evaluate(p, X, y):
            loss, out = loss_of(p, X, y, {}, False)
            # the mean of a bool array is float32 even under x64: cast to the logits' dtype
            return loss, jnp.mean((jnp.argmax(out, axis=1) == y).astype(out.dtype))

        self._step = jax.jit(step)
        self._evaluate = jax.jit(evaluate)

    def train_step(self, X, y, masks):
        self.params, self.opt_state, loss = self._step(self.params, self.opt_state, X, y, masks)
        return float(loss)  # waits for the result: the step's time is all in here

    def evaluate(self, X, y):
        loss, accuracy = self._evaluate(self.params, X, y)
        return float(loss), (float(accuracy) if self.task == "classification" else math.nan)

    def get_params(self):
        return {k: np.array(v) for k, v in self.params.items()}

    def set_params(self, params):
        self.params = {k: jnp.asarray(v) for k, v in params.items()}
