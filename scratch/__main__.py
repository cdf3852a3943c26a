"""Command line for the NumPy-only tools.

    python -m scratch ledger linear --batch 32 --in 784 --out 128
    python -m scratch ledger --in 784 --hidden 128,64 --out 10 --batch 32   (whole MLP)
    python -m scratch explore learning-rate [--curvature 10 --steps 40]
    python -m scratch train [--dataset digits --hidden 128 --optimizer adam ...]
    python -m scratch diagnose [the same options as train] [--json PATH]
"""

import argparse
import sys

import numpy as np

from scratch import GELU, Dropout, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from scratch.tools.ledger import format_ledger, layer_ledger, model_ledger
from scratch.training.run import add_training_options, hidden_sizes, positive_float, positive_int

# name -> how to build the layer from (d_in, d_out); elementwise layers ignore d_out
LAYERS = {
    "linear": lambda d_in, d_out: Linear(d_in, d_out),
    "relu": lambda d_in, d_out: ReLU(),
    "leaky_relu": lambda d_in, d_out: LeakyReLU(),
    "sigmoid": lambda d_in, d_out: Sigmoid(),
    "tanh": lambda d_in, d_out: Tanh(),
    "gelu": lambda d_in, d_out: GELU(),
    "softmax": lambda d_in, d_out: Softmax(),
    "log_softmax": lambda d_in, d_out: LogSoftmax(),
    "dropout": lambda d_in, d_out: Dropout(0.5),
}


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m scratch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ledger = commands.add_parser("ledger", help="list every tensor of one forward+backward pass")
    ledger.add_argument("component", nargs="?", choices=sorted(LAYERS) + ["mlp"], default="mlp",
                        help="one component, or the whole MLP (default)")
    ledger.add_argument("--hidden", type=hidden_sizes, default=[128, 64],
                        help="MLP hidden widths, comma separated (default 128,64)")
    ledger.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], default="adam",
                        help="MLP only: whose state to list")
    ledger.add_argument("--batch", type=positive_int, default=32)
    ledger.add_argument("--in", dest="d_in", type=positive_int, default=784)
    ledger.add_argument("--out", dest="d_out", type=positive_int, default=128)
    ledger.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ledger.add_argument("--measure", action="store_true",
                        help="MLP only: also measure one NumPy training step's peak memory "
                             "(tracemalloc) and print it beside the ledger's prediction")

    explore = commands.add_parser("explore", help="demonstrations with known answers")
    explore.add_argument("topic", choices=["learning-rate"])
    explore.add_argument("--curvature", type=positive_float, default=10.0,
                         help="largest curvature L of the quadratic (the other is 1)")
    explore.add_argument("--steps", type=positive_int, default=40)

    add_training_options(commands.add_parser("train", help="train the MLP with NumPy alone"))
    add_training_options(commands.add_parser(
        "diagnose", help="why does it not train? checks of the data, loss, gradients, updates"))
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return train_command(args)
    if args.command == "diagnose":
        return diagnose_command(args)
    if args.command == "explore":
        from scratch.tools.explore import format_study, learning_rate_study
        print(format_study(learning_rate_study(curvatures=(args.curvature, 1.0), steps=args.steps)))
        return 0
    rng = np.random.default_rng(0)
    if args.component == "mlp":
        return print_model_ledger(args, rng)
    if args.measure:
        print("python -m scratch ledger: --measure applies to the whole MLP (no component "
              f"argument); got component {args.component!r}", file=sys.stderr)
        return 2
    layer = LAYERS[args.component](args.d_in, args.d_out)
    params = layer.init(rng, dtype=args.dtype) if isinstance(layer, Linear) else {}
    X = rng.standard_normal((args.batch, args.d_in)).astype(args.dtype)
    kwargs = {"rng": rng} if isinstance(layer, Dropout) else {}
    rows = layer_ledger(layer, params, X, rng=rng, forward_kwargs=kwargs)
    print(format_ledger(rows, title=f"{layer!r}, batch {args.batch}, {args.dtype}"))
    return 0


def train_command(args):
    from scratch.optim import optimizers
    from scratch.training.run import describe, finish_run, prepare, run_backend
    from scratch.training.train import Backend
    run = prepare(args)
    print(describe(args, run))
    finish_run(args, run, {"numpy": run_backend("numpy", Backend, optimizers, run, args)})
    return 0


def diagnose_command(args):
    from scratch.nn.losses import loss_for_task
    from scratch.optim import optimizers
    from scratch.tools.diagnose import diagnose, format_report
    from scratch.training.run import build_optimizer, describe, prepare, write_json
    run = prepare(args)
    print(describe(args, run))
    loss = loss_for_task(run.dataset.task)
    report = diagnose(run.mlp, run.params, build_optimizer(run, optimizers), loss, run.splits,
                      task=run.dataset.task, seed=args.seed)
    print(format_report(report))
    if args.json:
        write_json(args.json, {"failed": report.failed,
                               "findings": [f._asdict() for f in report.findings]})
    return 1 if report.failed else 0


def print_model_ledger(args, rng):
    from scratch.nn.losses import SoftmaxCrossEntropy
    from scratch.nn.mlp import MLP
    from scratch.optim.optimizers import SGD, Adam
    mlp = MLP([args.d_in, *args.hidden, args.d_out])
    params = mlp.init(rng, dtype=args.dtype)
    X = rng.standard_normal((args.batch, args.d_in)).astype(args.dtype)
    y = rng.integers(0, args.d_out, args.batch)
    optimizer = {"sgd": SGD(lr=0.1), "momentum": SGD(lr=0.1, momentum=0.9),
                 "adam": Adam()}[args.optimizer]
    rows = model_ledger(mlp, params, X, y, SoftmaxCrossEntropy(), optimizer, rng)
    print(format_ledger(rows, title=f"{mlp!r}, softmax cross-entropy, {args.optimizer}, "
                                    f"batch {args.batch}, {args.dtype}"))
    print("cached rows are what forward keeps alive for backward; (view) rows share "
          "memory with a row above and cost nothing extra")
    if args.measure:
        from scratch.tools.memory import format_comparison, measure_training_step
        measured = measure_training_step(mlp, params, X, y, optimizer)
        print()
        print(format_comparison(rows, measured, title="bytes, predicted by the ledger and "
                                                      "measured with tracemalloc"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
