"""`python -m reference train`: the cross-framework training demo (the main job).
`python -m reference export | import | handoff`: the bridge to plain PyTorch and JAX
(reference/bridge/).
`python -m reference check MODULE:Class`: check a layer of your own (reference/check.py).

Trains the same MLP from the same initial parameters on NumPy (scratch), PyTorch and JAX,
through the same loop with the same batch order and the same dropout masks, then prints
per backend the final train / validation / test loss and accuracy and milliseconds per
step, and how far torch and jax ended from NumPy (parameters, and loss at every step).

    python -m reference train                          (digits, the three backends)
    python -m reference train --dataset iris --epochs 10 --json runs/iris.json
    python -m reference train --backends numpy,torch --csv table.csv --target label

Before anything is loaded or trained it checks the options, the output paths, and that the
frameworks of --backends are installed (pip install ".[frameworks]") and that JAX was
started with JAX_ENABLE_X64=1. A mistake prints one line and exits with status 2 (the
command line) or 1 (found while running); Ctrl-C exits with 130.

`python -m reference show STEM`: a scratch component's source and its twins' (reference/show.py).
"""

import argparse
import importlib.util
import os
import sys
from pathlib import Path

from reference.backends import BACKENDS, backend_module
from reference.check import add_check_options, run_check
from reference.distributed.launch import add_distributed_options, check_distributed, run_distributed
from scratch.cli import Parser, run_command
from scratch.errors import UserError
from scratch.training.plots import style_legend
from scratch.training.run import (
    add_training_options,
    check_before_work,
    describe,
    finish_run,
    prepare,
    run_backend,
)

REQUIRES = {"numpy": (), "torch": ("torch",), "jax": ("jax", "optax")}
DEFAULT_PLOT = Path("runs/train_curves.png")


def _backends(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated subset of {list(BACKENDS)}; got {text!r}"
        )
    if names[0] != "numpy":
        names = ["numpy"] + [n for n in names if n != "numpy"]  # the one compared against
    return names


def build_parser():
    parser = Parser(prog="python -m reference", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train_parser = commands.add_parser(
        "train", help="train on numpy, torch and jax side by side", description=__doc__
    )
    add_training_options(train_parser)
    train_parser.add_argument(
        "--backends",
        type=_backends,
        default="numpy,torch,jax",
        help="which backends to train, comma separated (numpy always "
        "runs: it is the one the others are compared with)",
    )
    train_parser.set_defaults(plot=None)  # None: DEFAULT_PLOT, its folder made if need be
    train_parser._option_string_actions["--plot"].help = (
        f"save the training curves to this PNG (default: {DEFAULT_PLOT}, when matplotlib is "
        f"installed)"
    )
    add_distributed_options(train_parser)
    from reference.show import add_show_parser

    add_show_parser(commands)
    from reference.bridge.cli import add_bridge_commands

    add_bridge_commands(commands)
    check_parser = commands.add_parser(
        "check", help="check a layer of your own by central differences and against its twins"
    )
    add_check_options(check_parser)
    return parser


def installed(module):
    return importlib.util.find_spec(module) is not None


def jax_x64_enabled():
    """Whether JAX will compute in float64: its flag once imported, else the variable it
    reads at import (the same truthy spellings as jax's own parser)."""
    if "jax" in sys.modules:
        return bool(sys.modules["jax"].config.jax_enable_x64)
    return os.environ.get("JAX_ENABLE_X64", "").strip().lower() in (
        "1",
        "true",
        "t",
        "yes",
        "y",
        "on",
    )


def check_frameworks(backends):
    """The frameworks of --backends, checked before anything is loaded or trained."""
    for name in backends:
        missing = [module for module in REQUIRES[name] if not installed(module)]
        if missing:
            raise UserError(
                f"--backends {','.join(backends)}: {name} needs {' and '.join(missing)}, "
                f"which {'is' if len(missing) == 1 else 'are'} not installed "
                f'(pip install ".[frameworks]", or leave {name} out of --backends)'
            )
    if "jax" in backends and not jax_x64_enabled():
        value = os.environ.get("JAX_ENABLE_X64")
        raise UserError(
            f"--backends {','.join(backends)}: jax needs JAX_ENABLE_X64=1 in the "
            f"environment (else it computes in float32 only); got "
            f"{'JAX_ENABLE_X64 unset' if value is None else f'JAX_ENABLE_X64={value}'}"
        )


def main(argv=None):
    return run_command(_main, argv, prog="python -m reference")


def _main(argv):
    args = build_parser().parse_args(argv)
    if args.command == "check":
        return run_check(args)
    if args.command == "show":
        from reference.show import show_command

        return show_command(args)
    if args.command != "train":
        from reference.bridge.cli import run_bridge_command

        return run_bridge_command(args)
    check_before_work(args)
    check_frameworks(args.backends)
    run = prepare(args, backends=len(args.backends))
    if args.distributed:
        check_distributed(args, run)  # before any work, and before jax is imported
    # the default plot's folder is made only once every check has passed
    if args.plot is None:
        if installed("matplotlib"):
            DEFAULT_PLOT.parent.mkdir(exist_ok=True)
            args.plot = DEFAULT_PLOT
        else:
            print("note: no plot of the curves (matplotlib is not installed)")
    print(describe(args, run))
    results = {}
    for name in args.backends:
        backend_cls = backend_module(name, "training.train").Backend
        optimizers = backend_module(name, "optim.optimizers")
        results[name] = run_backend(name, backend_cls, optimizers, run, args)
    if args.distributed:
        results.update(run_distributed(args, run, results))
    finish_run(args, run, results, title=f"{run.dataset.name}: {style_legend(results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
