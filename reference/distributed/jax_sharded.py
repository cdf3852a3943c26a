"""The main job's JAX backend over a device mesh: the batch sharded along its first axis,
parameters and optimizer state replicated, one jitted step; XLA partitions the step and
inserts the all-reduce of the gradients itself (no hand-written psum).

On one machine the devices are host CPU devices made by
XLA_FLAGS=--xla_force_host_platform_device_count=D, which must be set before jax is
imported (reference/distributed/launch.py does it). With jax.distributed.initialize(...)
the same code runs over the devices of several hosts.

Shape ledger (D devices, planned batch N, padded to N_pad = D * ceil(N / D)):
    X (N_pad, inputs), y (N_pad,), masks {layer: (N_pad, H)}, weight (N_pad,)
        sharded P("batch"): device d holds rows [d * N_pad / D, (d + 1) * N_pad / D)
    params, optimizer state: replicated P(), every device holds all of it
    loss () = sum(weight * per_row_loss) / sum(weight)

Uneven shards: a sharded axis must divide evenly by the device count, so a batch of N rows
is padded with N_pad - N zero rows of weight 0. Their losses are multiplied by 0 and the
sum is divided by the real row count N, so loss and gradient are exactly the batch mean.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from reference.jax._autodiff import require_x64
from reference.jax.nn.mlp import MLP


def per_row_loss(task, out, y):
    """(N,) losses, one per row, with optax's own functions (the twins take their mean)."""
    if task == "classification":
        return optax.softmax_cross_entropy_with_integer_labels(out, y)
    return jnp.mean(optax.squared_error(out, y.reshape(-1, 1).astype(out.dtype)), axis=1)


class ShardedBackend:
    """The training backend of scratch/training/train.py on a mesh of `devices` devices."""

    def __init__(self, mlp, params, optimizer, task, devices):
        require_x64()
        self.devices, self.task = devices, task
        self.mesh = Mesh(np.array(jax.devices()[:devices]), axis_names=("batch",))
        self.by_rows = NamedSharding(self.mesh, P("batch"))  # first axis split over devices
        self.replicated = NamedSharding(self.mesh, P())  # a whole copy on every device
        self.twin = MLP(mlp.sizes, mlp.activation, mlp.dropout)
        self.transform = optimizer.transform(params)
        self.set_params(params)
        self.opt_state = jax.device_put(self.transform.init(self.params), self.replicated)

        def loss_of(p, X, y, masks, weight):
            out = self.twin.forward(p, X, training=True, masks=masks)
            return jnp.sum(weight * per_row_loss(task, out, y)) / jnp.sum(weight)

        def step(p, opt_state, X, y, masks, weight):
            loss, grads = jax.value_and_grad(loss_of)(p, X, y, masks, weight)
            updates, opt_state = self.transform.update(grads, opt_state, p)
            return optax.apply_updates(p, updates), opt_state, loss

        def evaluate(p, X, y):
            out = self.twin.forward(p, X)
            loss = jnp.mean(per_row_loss(task, out, y))
            return loss, jnp.mean((jnp.argmax(out, axis=1) == y).astype(out.dtype))

        # outputs replicated: new parameters and state on every device, as they came in
        self._step = jax.jit(step, out_shardings=self.replicated)
        self._evaluate = jax.jit(evaluate)

    def shard_batch(self, X, y, masks):
        """Pad the batch to a multiple of the device count (weight-0 rows) and place
        each device's rows on it."""
        N = len(y)
        pad = -N % self.devices
        weight = np.concatenate([np.ones(N, X.dtype), np.zeros(pad, X.dtype)])

        def padded(a):
            return np.concatenate([a, np.zeros((pad, *a.shape[1:]), a.dtype)]) if pad else a

        batch = (padded(X), padded(y), {i: padded(m) for i, m in masks.items()}, weight)
        return jax.device_put(batch, self.by_rows)

    def train_step(self, X, y, masks):
        self.params, self.opt_state, loss = self._step(
            self.params, self.opt_state, *self.shard_batch(X, y, masks)
        )
        return float(loss)  # waits for the result: the step's time is all in here

    def evaluate(self, X, y):
        loss, accuracy = self._evaluate(self.params, X, y)
        return float(loss), (float(accuracy) if self.task == "classification" else math.nan)

    def get_params(self):
        return {k: np.array(v) for k, v in self.params.items()}

    def set_params(self, params):
        self.params = jax.device_put(
            {k: jnp.asarray(v) for k, v in params.items()}, self.replicated
        )
