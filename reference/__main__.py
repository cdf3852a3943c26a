"""`python -m reference train`: the cross-framework training demo (the main job).

Trains the same MLP from the same initial parameters on NumPy (scratch), PyTorch and JAX,
through the same loop with the same batch order and the same dropout masks, then prints
per backend the final train / validation / test loss and accuracy and milliseconds per
step, and how far torch and jax ended from NumPy (parameters, and loss at every step).
"""

import argparse
import sys
from importlib import import_module

from reference.distributed.launch import add_distributed_options, check_distributed, run_distributed
from scratch.training.run import add_training_options, describe, finish_run, prepare, run_backend

BACKENDS = {"numpy": "scratch", "torch": "reference.torch", "jax": "reference.jax"}


def _backends(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {list(BACKENDS)}; got {text!r}")
    if names[0] != "numpy":
        names = ["numpy"] + [n for n in names if n != "numpy"]  # the one compared against
    return names


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m reference", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    train_parser = commands.add_parser("train", help="train on numpy, torch and jax side by side")
    add_training_options(train_parser)
    train_parser.add_argument("--backends", type=_backends, default=["numpy", "torch", "jax"])
    add_distributed_options(train_parser)
    train_parser.set_defaults(plot="runs/train_curves.png")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    run = prepare(args)
    if args.distributed:
        check_distributed(args, run)  # before any work, and before jax is imported
    print(describe(args, run))
    results = {}
    for name in args.backends:
        root = BACKENDS[name]
        backend_cls = import_module(f"{root}.training.train").Backend
        optimizers = import_module(f"{root}.optim.optimizers")
        results[name] = run_backend(name, backend_cls, optimizers, run, args)
    if args.distributed:
        results.update(run_distributed(args, run, results))
    finish_run(args, run, results,
               title=f"{run.dataset.name}: numpy (solid), torch (dashed), jax (dotted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
