"""One training run's set-up, shared by `python -m scratch train` (NumPy only) and
`python -m reference train` (NumPy, torch and jax side by side): the options, and the
dataset -> standardized splits -> model -> optimizer chain they describe."""

import argparse
import json
from importlib import import_module
from typing import NamedTuple

import numpy as np

from scratch import datasets
from scratch.mlp import ACTIVATIONS, MLP
from scratch.optimizers import skip_vectors
from scratch.splits import Standardizer, duplicates_across_splits, split
from scratch.train import plan_for

# name -> (optimizer class, its arguments beyond lr and weight_decay)
OPTIMIZERS = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}),
    "rmsprop": ("RMSProp", {}),
    "adam": ("Adam", {}),
    "adamw": ("AdamW", {}),
}
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "rmsprop": 1e-3, "adam": 1e-3,
              "adamw": 1e-3}


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def non_negative_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number; got {text!r}") from None
    if not (value >= 0 and np.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0; got {text}")
    return value


def positive_float(text):
    value = non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0; got {text}")
    return value


def probability(text):
    value = non_negative_float(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"expected a probability in [0, 1); got {text}")
    return value


def hidden_sizes(text):
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated positive widths such as 128 or 128,64; got {text!r}") from None
    if not sizes or any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected positive widths; got {text!r}")
    return sizes


def add_training_options(parser):
    parser.add_argument("--dataset", choices=datasets.NAMES, default="digits")
    parser.add_argument("--csv", help="train on your own numeric CSV instead (with --target)")
    parser.add_argument("--target", help="the target column of --csv")
    parser.add_argument("--scale", choices=["standard", "minmax"], default="minmax",
                        help="feature scaling, fitted on the training split only")
    # defaults chosen on validation accuracy, averaged over split seeds 0-4, on digits
    parser.add_argument("--hidden", type=hidden_sizes, default=[256, 128], help="hidden widths, e.g. 128,64")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    parser.add_argument("--dropout", type=probability, default=0.2)
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    parser.add_argument("--lr", type=positive_float, default=None,
                        help="learning rate (default depends on the optimizer)")
    parser.add_argument("--weight-decay", type=non_negative_float, default=0.0,
                        help="L2 (decoupled for adamw); biases are not decayed")
    parser.add_argument("--epochs", type=positive_int, default=40)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    parser.add_argument("--patience", type=positive_int, default=None,
                        help="stop after this many epochs without a better validation loss")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=None, help="save the training curves to this PNG")
    parser.add_argument("--checkpoint", default=None, help="save the best parameters here (.npz)")
    parser.add_argument("--json", default=None, help="write the results as JSON here")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


class Run(NamedTuple):
    dataset: object
    splits: object
    mlp: MLP
    params: dict            # initial parameters, in args.dtype
    optimizer: tuple        # (class name, kwargs) to build on any backend
    plan: object
    leaks: list


def prepare(args):
    if args.csv:
        if not args.target:
            raise SystemExit("error: --csv needs --target (the name of the target column)")
        dataset = datasets.load_csv(args.csv, args.target)
    else:
        dataset = datasets.load(args.dataset, seed=args.seed)
    splits = split(dataset, seed=args.seed)
    if args.batch_size > len(splits.train.y):
        raise SystemExit(f"error: --batch-size {args.batch_size} is larger than the training "
                         f"split ({len(splits.train.y)} rows)")
    splits = Standardizer.fit(splits.train, method=args.scale).transform_splits(splits)
    splits = type(splits)(*(s._replace(X=s.X.astype(args.dtype)) for s in splits))
    outputs = dataset.num_classes if dataset.task == "classification" else 1
    mlp = MLP([dataset.X.shape[1], *args.hidden, outputs], activation=args.activation,
              dropout=args.dropout)
    params = mlp.init(np.random.default_rng(args.seed), dtype=args.dtype)
    cls, extra = OPTIMIZERS[args.optimizer]
    kwargs = dict(extra, lr=args.lr or DEFAULT_LR[args.optimizer])
    if args.weight_decay or args.optimizer == "adamw":
        kwargs.update(weight_decay=args.weight_decay, decay_mask=skip_vectors)
    plan = plan_for(mlp, len(splits.train.y), args.batch_size, args.seed)
    return Run(dataset, splits, mlp, params, (cls, kwargs), plan, duplicates_across_splits(splits))


def build_optimizer(run, backend):
    """backend: "scratch", "reference.torch" or "reference.jax"."""
    cls, kwargs = run.optimizer
    return getattr(import_module(f"{backend}.optimizers"), cls)(**kwargs)


def describe(args, run):
    cls, kwargs = run.optimizer
    shown = {k: v for k, v in kwargs.items() if k != "decay_mask"}
    return (f"{run.dataset.name}: {len(run.splits.train.y)} train / {len(run.splits.validation.y)} "
            f"validation / {len(run.splits.test.y)} test rows; {run.mlp!r}; {cls}({shown}); "
            f"{args.epochs} epochs of batch {args.batch_size}; {args.scale} scaling; {args.dtype}")


def write_json(path, payload):
    with open(path, "w") as f:
        json.dump(payload, f, indent=2)
        f.write("\n")
