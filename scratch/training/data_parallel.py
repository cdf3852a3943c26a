"""Data parallelism from scratch: K simulated workers in one process, NumPy only.

A minibatch's loss is a mean over its N rows, so its gradient is a mean too. Cut the rows
into K shards of n_k rows (n_0 + ... + n_{K-1} = N); worker k computes the mean gradient
g_k of its shard alone. Then

    g = (1/N) sum_rows grad(row) = sum_k (n_k / N) g_k

which is exactly what an all-reduce (a sum over workers, every worker gets the result)
computes when each worker first scales its gradient by n_k / N. Every worker then applies
the same optimizer step to the same parameters, so they stay identical without ever
sending parameters around. That is all data-parallel training is; torch.distributed's
DistributedDataParallel and JAX sharding (reference/distributed/) do the same with real
processes and devices.

Shape ledger (K workers, batch N, shard k of n_k rows, D inputs, H hidden width):
    X (N, D), y (N,)                  the planned minibatch
    masks {layer: (N, H)}              the planned dropout keep-masks, cut like X
    shard k: X[rows_k] (n_k, D), y[rows_k] (n_k,), masks[rows_k] (n_k, H)
    g_k: {name: same shape as the parameter}, the shard's mean gradient
    all_reduce_sum([w_k g_k for k]) -> g, the whole batch's mean gradient

Weighting by n_k / N (not 1/K) keeps uneven shards and a short last batch exact.
"""

import numpy as np

from scratch.protocol import check_positive_int
from scratch.training.train import Backend


def shard_rows(n_rows, workers):
    """Row indices of each worker's shard: np.array_split order, the first n_rows % workers
    shards one row longer. Every shard must hold at least one row."""
    if workers > n_rows:
        raise ValueError(
            f"data parallelism expects at most one worker per row: a batch of "
            f"{n_rows} rows cannot feed {workers} workers"
        )
    return np.array_split(np.arange(n_rows), workers)


def all_reduce_sum(per_worker):
    """What every worker holds after an all-reduce: the sum over workers of their dicts
    of arrays (here a loop; on a cluster, messages between machines)."""
    total = {name: value.copy() for name, value in per_worker[0].items()}
    for grads in per_worker[1:]:
        for name, value in grads.items():
            total[name] += value
    return total


def smallest_batch(plan):
    """Rows in the plan's smallest batch: the short last batch of each epoch, if any."""
    return min(plan.batch_size, plan.n_train % plan.batch_size or plan.batch_size)


def check_workers(option, workers, plan):
    """A one-line reason (for a command line) when some planned batch has fewer rows than
    `workers`, else None: a worker with no rows would have no gradient to contribute."""
    rows = smallest_batch(plan)
    if workers <= rows:
        return None
    last = " (the last, short batch of every epoch)" if rows < plan.batch_size else ""
    return (
        f"{option} {workers} is larger than the smallest batch, {rows} rows{last}: every "
        f"worker needs at least one row; use at most {rows} or change --batch-size"
    )


class DataParallelBackend:
    """The NumPy Backend (scratch/training/train.py) run as `workers` simulated workers.

    It wraps a Backend rather than being one: the parameters, the optimizer and its state
    stay the wrapped backend's, as they stay identical on every real worker."""

    def __init__(self, backend, workers):
        self.backend = backend
        self.workers = check_positive_int("DataParallelBackend", "workers", workers)

    def shard_gradient(self, X, y, masks):
        """One worker's forward and backward on its own rows: (shard mean loss, grads)."""
        b = self.backend
        Y, cache = b.mlp.forward(b.params, X, training=True, masks=masks)
        L, loss_cache = b.loss.forward(Y, b._targets(y, Y))
        _, grads = b.mlp.backward(cache, b.loss.backward(loss_cache), input_grad=False)
        return L, grads

    def train_step(self, X, y, masks):
        N = len(y)
        weighted_grads, batch_loss = [], 0.0
        for rows in shard_rows(N, self.workers):  # on a cluster: all workers at once
            shard_masks = {layer: mask[rows] for layer, mask in masks.items()}
            L, grads = self.shard_gradient(X[rows], y[rows], shard_masks)
            weight = len(rows) / N
            weighted_grads.append({name: weight * g for name, g in grads.items()})
            batch_loss += weight * L  # only for the report; training never needs it
        grads = all_reduce_sum(weighted_grads)
        b = self.backend  # every worker takes this same step; one is enough to simulate
        b.params, b.state = b.optimizer.update(grads, b.state, b.params, inplace=True)
        return batch_loss

    def evaluate(self, X, y):
        return self.backend.evaluate(X, y)

    def get_params(self):
        return self.backend.get_params()

    def set_params(self, params):
        self.backend.set_params(params)


def workers_backend(workers):
    """A Backend-like class for run_backend (scratch/training/run.py): the NumPy Backend
    wrapped as `workers` simulated workers."""

    def build(mlp, params, optimizer, task="classification"):
        return DataParallelBackend(Backend(mlp, params, optimizer, task), workers)

    return build
