"""The main job's torch backend as `world_size` processes: torch.distributed (gloo, CPU,
127.0.0.1) with the model wrapped in DistributedDataParallel, launched by
torch.multiprocessing.spawn.

Every rank holds the whole model and the whole plan. Each step, rank r takes shard r of the
planned batch (np.array_split order, as scratch/training/data_parallel.py) and the same rows
of the planned dropout masks. DDP all-reduces the gradients during backward and divides by
world_size; every rank then takes the same optimizer step, so parameters stay identical.

DDP's average is sum_r g_r / world_size, with g_r the gradient of rank r's loss. The batch's
gradient is sum_r (n_r / N) g_r for shard means g_r (see data_parallel.py), so each rank
scales its shard-mean loss by world_size * n_r / N: equal for uneven shards too.

    rank r:  X[rows_r] (n_r, D) -> DDP(model) -> out (n_r, C) -> loss_r ()
             (loss_r * world_size * n_r / N).backward()    all-reduce (mean) inside
             optimizer.step()                              same step on every rank
"""

import logging
import os
import pickle
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from reference.torch.optim import optimizers
from reference.torch.training.train import Backend
from scratch.training.data_parallel import shard_rows
from scratch.training.run import BackendResult, build_optimizer
from scratch.training.train import train

GRACE_SECONDS = 2


class DistributedError(RuntimeError):
    """A distributed run failed; the message is one line for the command line."""


class DDPBackend(Backend):
    """The torch training backend, one rank of a DistributedDataParallel run."""

    def __init__(self, mlp, params, optimizer, task, rank, world_size):
        super().__init__(mlp, params, optimizer, task)
        self.rank, self.world_size = rank, world_size
        # on CPU no device_ids; DDP broadcasts rank 0's parameters (the same anyway)
        self.ddp = DistributedDataParallel(self.module)

    def train_step(self, X, y, masks):
        N = len(y)
        rows = shard_rows(N, self.world_size)[self.rank]
        self.ddp.train()
        self.twin.set_masks({i: torch.from_numpy(m[rows]) for i, m in masks.items()})
        out = self.ddp(torch.from_numpy(np.ascontiguousarray(X[rows])))
        loss = self.loss.forward(out, self._targets(y[rows], out))  # this shard's mean
        self.state.optimizer.zero_grad()
        (loss * (self.world_size * len(rows) / N)).backward()  # DDP's all-reduce runs here
        self.optimizer.step(self.state)
        # this rank's share of the batch loss; the shares are summed after the run (one
        # all-reduce for all steps, so the timed step holds only the gradient's)
        return loss.item() * len(rows) / N


def train_rank(run, args):
    """This process's part of the run, once it has joined the process group: train on
    its shards; returns rank 0's report (None on the other ranks)."""
    rank, world_size = dist.get_rank(), dist.get_world_size()
    started = time.perf_counter()
    backend = DDPBackend(
        run.mlp, run.params, build_optimizer(run, optimizers), run.dataset.task, rank, world_size
    )
    if rank == 0:
        print(f"torch:{world_size}: all {world_size} ranks joined; training", flush=True)
    result = train(
        backend,
        run.splits,
        run.plan,
        args.epochs,
        args.patience,
        progress=False,
        label=f"torch:{world_size}",
    )
    shares = torch.tensor(result.history.step_loss, dtype=torch.float64)
    dist.all_reduce(shares)  # sum of every rank's share: each step's whole-batch loss
    result.history.step_loss[:] = shares.tolist()
    test_loss, test_accuracy = backend.evaluate(run.splits.test.X, run.splits.test.y)
    if rank != 0:
        return None
    return {
        "result": BackendResult(result, float(test_loss), float(test_accuracy)),
        "train_seconds": time.perf_counter() - started,
        "threads": torch.get_num_threads(),
    }


def _rank(rank, world_size, port, timeout, run, args, out_dir):
    """One process started by spawn: join the group, train, rank 0 saves its report."""
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // world_size))
    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world_size,
        timeout=timedelta(seconds=timeout),
    )
    try:
        report = train_rank(run, args)
        if report is not None:
            partial = Path(out_dir) / "rank0.partial"
            partial.write_bytes(pickle.dumps(report))
            os.replace(partial, Path(out_dir) / "rank0.pkl")
    finally:
        dist.destroy_process_group()
    # Done, and rank 0's report is saved. End the process without Python's finalization:
    # there, a rank sometimes aborted (SIGABRT, "terminate called without an active
    # exception" from torch's C++ side) after its work was over, which failed the whole
    # run: 3 of 70 runs of the test's command, with or without a barrier before the
    # group is destroyed. A rank that raised does not get here: spawn reports its error.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def run_ddp(run, args, world_size, port, timeout, out_dir):
    """Spawn the ranks and wait; returns (BackendResult of rank 0, timing dict)."""
    started = time.perf_counter()
    # spawn logs a warning as it stops the surviving ranks; the one-line error says so
    logging.getLogger("torch.multiprocessing.spawn").setLevel(logging.ERROR)
    try:
        ranks = mp.spawn(
            _rank,
            args=(world_size, port, timeout, run, args, out_dir),
            nprocs=world_size,
            join=False,
        )
        # spawn's own wait loop, with a grace period: when one rank fails, the others get
        # GRACE_SECONDS to exit, then SIGTERM, then SIGKILL (a hung rank ignores SIGTERM)
        while not ranks.join(grace_period=GRACE_SECONDS):
            pass
    except mp.ProcessRaisedException as error:
        last = [line for line in str(error).strip().splitlines() if line.strip()][-1]
        raise DistributedError(
            f"torch:{world_size}: rank {error.error_index} failed: {last.strip()}"
        ) from None
    except mp.ProcessExitedException as error:
        raise DistributedError(
            f"torch:{world_size}: rank {error.error_index} died "
            f"({error.msg}); the other ranks were stopped"
        ) from None
    report = pickle.loads((Path(out_dir) / "rank0.pkl").read_bytes())
    report["total_seconds"] = time.perf_counter() - started
    return report


def main(argv=None):
    """Entry point for torchrun, on one machine or several (every rank runs this):

        torchrun --standalone --nproc-per-node 2 -m reference.distributed.torch_ddp [options]
        torchrun --nnodes 2 --nproc-per-node 2 --rdzv-backend c10d --rdzv-endpoint host0:29500 \\
                 --rdzv-id digits -m reference.distributed.torch_ddp [options]

    torchrun starts the ranks and sets RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, which
    init_process_group reads (env://). Rank 0 then replays the run on single-process NumPy
    and reports both, as `python -m reference train` does."""
    import argparse

    from scratch.optim import optimizers as scratch_optimizers
    from scratch.training.data_parallel import check_workers
    from scratch.training.run import (
        add_training_options,
        describe,
        finish_run,
        positive_float,
        prepare,
        run_backend,
    )
    from scratch.training.train import Backend as NumpyBackend

    parser = add_training_options(
        argparse.ArgumentParser(
            prog="torchrun ... -m reference.distributed.torch_ddp",
            description=main.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=60.0,
        help="seconds a rank waits for the others before failing",
    )
    args = parser.parse_args(argv)
    if "RANK" not in os.environ:
        raise SystemExit(
            "error: start this with torchrun (it sets RANK and WORLD_SIZE); "
            "on one machine `python -m reference train --distributed torch` "
            "needs no torchrun"
        )
    run = prepare(args)  # every rank builds the same run from the same options and seed
    world_size = int(os.environ["WORLD_SIZE"])
    problem = check_workers("world size", world_size, run.plan)
    if problem:
        raise SystemExit(f"error: {problem}")
    local = int(os.environ.get("LOCAL_WORLD_SIZE", world_size))
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0)) // local))
    dist.init_process_group("gloo", timeout=timedelta(seconds=args.timeout))
    try:
        report = train_rank(run, args)
    finally:
        dist.destroy_process_group()
    if report is not None:
        print(describe(args, run))
        numpy_result = run_backend("numpy", NumpyBackend, scratch_optimizers, run, args)
        finish_run(args, run, {"numpy": numpy_result, f"torch:{world_size}": report["result"]})
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
