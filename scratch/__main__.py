"""Command line for the NumPy-only tools.

    python -m scratch ledger linear --batch 32 --in 784 --out 128
    python -m scratch explore learning-rate [--curvature 10 --steps 20]
"""

import argparse
import sys

import numpy as np

from scratch import GELU, Dropout, LeakyReLU, Linear, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from scratch.ledger import format_ledger, layer_ledger

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


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m scratch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    ledger = commands.add_parser("ledger", help="list every tensor of one forward+backward pass")
    ledger.add_argument("component", choices=sorted(LAYERS))
    ledger.add_argument("--batch", type=positive_int, default=32)
    ledger.add_argument("--in", dest="d_in", type=positive_int, default=784)
    ledger.add_argument("--out", dest="d_out", type=positive_int, default=128)
    ledger.add_argument("--dtype", choices=["float32", "float64"], default="float32")

    explore = commands.add_parser("explore", help="demonstrations with known answers")
    explore.add_argument("topic", choices=["learning-rate"])
    explore.add_argument("--curvature", type=positive_float, default=10.0,
                         help="largest curvature L of the quadratic (the other is 1)")
    explore.add_argument("--steps", type=positive_int, default=40)
    return parser


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number; got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive finite number; got {text}")
    return value


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "explore":
        from scratch.explore import format_study, learning_rate_study
        print(format_study(learning_rate_study(curvatures=(args.curvature, 1.0), steps=args.steps)))
        return 0
    rng = np.random.default_rng(0)
    layer = LAYERS[args.component](args.d_in, args.d_out)
    params = layer.init(rng, dtype=args.dtype) if isinstance(layer, Linear) else {}
    X = rng.standard_normal((args.batch, args.d_in)).astype(args.dtype)
    kwargs = {"rng": rng} if isinstance(layer, Dropout) else {}
    rows = layer_ledger(layer, params, X, rng=rng, forward_kwargs=kwargs)
    print(format_ledger(rows, title=f"{layer!r}, batch {args.batch}, {args.dtype}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
