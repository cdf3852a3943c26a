"""`python -m reference train`: the cross-framework training demo (the main job);
`python -m reference check MODULE:Class`: check a layer of your own (reference/check.py).

Trains the same MLP from the same initial parameters on NumPy (scratch), PyTorch and JAX,
through the same loop with the same batch order and the same dropout masks, then prints
per backend the final train / validation / test loss and accuracy and milliseconds per
step, and how far torch and jax ended from NumPy (parameters, and loss at every step).
"""

import argparse
import sys

from reference.backends import BACKENDS, backend_module
from reference.check import add_check_options, run_check
from scratch.training.run import add_training_options, describe, finish_run, prepare, run_backend


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
    train_parser.set_defaults(plot="runs/train_curves.png")
    check_parser = commands.add_parser("check", help="check a layer of your own by central "
                                       "differences and against its twins")
    add_check_options(check_parser)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return run_check(args)
    run = prepare(args)
    print(describe(args, run))
    results = {}
    for name in args.backends:
        backend_cls = backend_module(name, "training.train").Backend
        optimizers = backend_module(name, "optim.optimizers")
        results[name] = run_backend(name, backend_cls, optimizers, run, args)
    finish_run(args, run, results,
               title=f"{run.dataset.name}: numpy (solid), torch (dashed), jax (dotted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
