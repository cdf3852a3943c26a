"""`python -m reference train --distributed torch,jax`: the options, every check a user's
mistake could fail made before any work starts, then the distributed runs.

    --distributed torch   DistributedDataParallel on --world-size processes (gloo, CPU)
    --distributed jax     a jax.sharding.Mesh over --devices host CPU devices

Each run is reported beside the single-process ones as "torch:2" / "jax:2", compared with
single-process NumPy (parameters at the end, loss at every step).
"""

import argparse
import os
import socket
import sys
import tempfile
import time
from importlib import import_module

import numpy as np

from scratch.training.data_parallel import check_workers
from scratch.training.run import BackendResult, build_optimizer, positive_float, positive_int

ENGINES = ("torch", "jax")
DEVICE_FLAG = "--xla_force_host_platform_device_count"


def engines(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or any(name not in ENGINES for name in names):
        raise argparse.ArgumentTypeError(f"expected torch, jax or torch,jax; got {text!r}")
    return list(dict.fromkeys(names))


def port_number(text):
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"expected a port in 1..65535; got {value}")
    return value


def add_distributed_options(parser):
    parser.add_argument(
        "--distributed",
        type=engines,
        default=[],
        help="also run data-parallel: torch (DDP processes), jax (device mesh)",
    )
    parser.add_argument(
        "--world-size",
        type=positive_int,
        default=2,
        help="torch processes for --distributed torch (default 2)",
    )
    parser.add_argument(
        "--devices",
        type=positive_int,
        default=2,
        help="host CPU devices for --distributed jax (default 2)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=None,
        help="rendezvous port on 127.0.0.1 (default: a free one)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        default=60.0,
        help="seconds a torch rank waits for the others before failing",
    )
    return parser


def cores():
    return len(os.sched_getaffinity(0))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def check_distributed(args, run):
    """Exit with a one-line error for anything that would fail later; set up what must be
    set before a framework is imported (XLA's device count). Returns nothing."""

    def fail(message):
        raise SystemExit(f"error: {message}")

    counts = {"torch": ("--world-size", args.world_size), "jax": ("--devices", args.devices)}
    for engine in args.distributed:
        problem = check_workers(*counts[engine], run.plan)
        if problem:
            fail(problem)
    if "jax" in args.distributed:
        if "jax" in sys.modules:
            fail(
                "--distributed jax must set XLA_FLAGS before jax is imported, and jax "
                "already is: run it from the command line"
            )
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} {DEVICE_FLAG}={args.devices}".strip()
    for engine in args.distributed:
        try:
            import_module(engine)
        except ImportError as error:
            fail(
                f"--distributed {engine} needs {engine}, which cannot be imported here "
                f"({error}); install it or use the full environment"
            )
    if "jax" in args.distributed:
        import jax

        if len(jax.devices()) < args.devices:
            fail(
                f"--devices {args.devices}: jax sees only {len(jax.devices())} device(s) "
                f"({os.environ['XLA_FLAGS']!r} did not take effect)"
            )
        if not jax.config.jax_enable_x64:
            fail(
                "--distributed jax needs JAX_ENABLE_X64=1 in the environment, as the "
                "jax backend does"
            )
    if "torch" in args.distributed:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_gloo_available()):
            fail(
                "--distributed torch needs torch.distributed with the gloo backend, "
                "which this torch build lacks"
            )
        if args.port is None:
            args.port = free_port()  # another program could take it before the ranks do
        elif not port_is_free(args.port):
            fail(
                f"--port {args.port} is in use on 127.0.0.1; choose another or leave "
                f"--port out to take a free one"
            )


def run_distributed(args, run, single):
    """Train every engine of args.distributed; returns {"torch:2": BackendResult, ...}.
    `single` holds the single-process results already run, for the timing lines."""
    results = {}
    print(f"cores available: {cores()}")
    for engine in args.distributed:
        if engine == "torch":
            from reference.distributed.torch_ddp import DistributedError, run_ddp

            name = f"torch:{args.world_size}"
            print(
                f"{name}: DistributedDataParallel on {args.world_size} processes (gloo, "
                f"127.0.0.1:{args.port}) ...",
                flush=True,
            )
            with tempfile.TemporaryDirectory() as out_dir:
                try:
                    report = run_ddp(run, args, args.world_size, args.port, args.timeout, out_dir)
                except DistributedError as error:
                    raise SystemExit(f"error: {error}") from None
            result = report["result"]
            steps = len(result.result.history.step_seconds)
            start_up = report["total_seconds"] - report["train_seconds"]
            print(
                f"{name}: {report['total_seconds']:.1f} s in all, of which {start_up:.1f} s "
                f"start-up (spawn, import torch, gloo rendezvous, DDP's first broadcast) and "
                f"{report['train_seconds']:.1f} s for {steps} steps, evaluations and the "
                f"final loss all-reduce; {report['threads']} torch thread(s) per process"
            )
        else:
            from reference.distributed.jax_sharded import ShardedBackend
            from reference.jax.optim import optimizers
            from scratch.training.train import train

            name = f"jax:{args.devices}"
            print(
                f"{name}: one jitted step over a Mesh of {args.devices} CPU devices ...", flush=True
            )
            started = time.perf_counter()
            backend = ShardedBackend(
                run.mlp,
                run.params,
                build_optimizer(run, optimizers),
                run.dataset.task,
                args.devices,
            )
            train_result = train(
                backend,
                run.splits,
                run.plan,
                args.epochs,
                args.patience,
                progress=not args.no_progress,
                label=name,
            )
            test_loss, test_accuracy = backend.evaluate(run.splits.test.X, run.splits.test.y)
            result = BackendResult(train_result, float(test_loss), float(test_accuracy))
            print(
                f"{name}: {time.perf_counter() - started:.1f} s in all (the first step of "
                f"each batch shape compiles)"
            )
        results[name] = result
        timed = {label: r for label, r in single.items() if label == engine}
        timed[name] = result
        print(
            f"{name}: ms per step (median) "
            + ", ".join(
                f"{label} {1000 * float(np.median(r.result.history.step_seconds)):.3f}"
                for label, r in timed.items()
            )
            + f" on {cores()} core(s)"
        )
    return results
