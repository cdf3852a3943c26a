"""One training run's set-up, shared by `python -m scratch train` (NumPy only) and
`python -m reference train` (NumPy, torch and jax side by side): the options, and the
dataset -> standardized splits -> model -> optimizer chain they describe."""

import argparse
import json
from typing import NamedTuple

import numpy as np

from scratch.data import datasets
from scratch.nn.mlp import ACTIVATIONS, MLP
from scratch.optim.optimizers import skip_vectors
from scratch.data.splits import Standardizer, duplicates_across_splits, split
from scratch.training.train import plan_for, train

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
    scaler: object = None   # the Standardizer fitted on the training split (saved in checkpoints)


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
    scaler = Standardizer.fit(splits.train, method=args.scale)
    splits = scaler.transform_splits(splits)
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
    return Run(dataset, splits, mlp, params, (cls, kwargs), plan, duplicates_across_splits(splits),
               scaler)


def build_optimizer(run, optimizers):
    """The run's optimizer from `optimizers`, a module of optimizer classes: scratch's
    own (scratch.optim.optimizers) or a twin module the caller imported. scratch never
    imports a twin itself; the cross-framework side hands it in."""
    cls, kwargs = run.optimizer
    return getattr(optimizers, cls)(**kwargs)


class BackendResult(NamedTuple):
    result: object          # TrainResult
    test_loss: float
    test_accuracy: float
    backend: object = None  # the trained backend (its optimizer state goes into checkpoints)


def run_backend(name, backend_cls, optimizers, run, args):
    """Train one backend (its Backend class and optimizer module) on the run's plan."""
    backend = backend_cls(run.mlp, run.params, build_optimizer(run, optimizers), run.dataset.task)
    result = train(backend, run.splits, run.plan, args.epochs, args.patience,
                   progress=not args.no_progress, label=name)
    test_loss, test_accuracy = backend.evaluate(run.splits.test.X, run.splits.test.y)
    return BackendResult(result, float(test_loss), float(test_accuracy), backend)


def finish_run(args, run, results, title=None):
    """The ending every training command shares: the table of results, then the plot, the
    checkpoint of the first backend's best parameters and the JSON, each if asked for.

    results: {backend name: BackendResult}, the first one the others are compared with.
    """
    names = list(results)
    reference = results[names[0]].result
    header = (f"{'backend':<8}{'train loss':>11}{'train acc':>10}{'val loss':>10}{'val acc':>9}"
              f"{'test loss':>10}{'test acc':>9}{'ms/step':>9}")
    if len(names) > 1:
        header += f"  {'max |dparam|':>13}{'max |dloss|':>12}"
    print()
    print(header)
    print("-" * len(header))
    payload = {"dataset": run.dataset.name, "dtype": args.dtype,
               "steps": len(reference.history.step_loss), "best_epoch": reference.best_epoch,
               "epochs_run": reference.epochs_run, "stopped_early": reference.stopped_early,
               "backends": {}, "max_abs_param_diff": {}, "max_abs_loss_diff": {}}
    for name, (result, test_loss, test_accuracy, *_) in results.items():
        h = result.history
        best = result.best_epoch - 1
        ms = 1000 * float(np.median(h.step_seconds))
        payload["backends"][name] = {"test_accuracy": test_accuracy, "final_loss": h.step_loss[-1],
                                     "ms_per_step": ms, "test_loss": test_loss,
                                     "best_epoch": result.best_epoch}
        diffs = ""
        if name != names[0]:
            param_diff = max(float(np.max(np.abs(result.params[k] - reference.params[k])))
                             for k in reference.params)
            steps = min(len(h.step_loss), len(reference.history.step_loss))
            loss_diff = float(np.max(np.abs(np.subtract(h.step_loss[:steps],
                                                        reference.history.step_loss[:steps]))))
            payload["max_abs_param_diff"][name] = param_diff
            payload["max_abs_loss_diff"][name] = loss_diff
            diffs = f"  {param_diff:>13.2e}{loss_diff:>12.2e}"
        print(f"{name:<8}{h.train_loss[best]:>11.4f}{h.train_accuracy[best]:>10.4f}"
              f"{h.val_loss[best]:>10.4f}{h.val_accuracy[best]:>9.4f}{test_loss:>10.4f}"
              f"{test_accuracy:>9.4f}{ms:>9.3f}{diffs}")
    print(f"\nbest epoch (lowest validation loss) {reference.best_epoch} of "
          f"{reference.epochs_run}{' (stopped early)' if reference.stopped_early else ''}; "
          f"parameters restored from it."
          + (f" Differences are against {names[0]}: parameters at the end, losses at every "
             f"one of {payload['steps']} steps." if len(names) > 1 else ""))
    if args.plot:
        from pathlib import Path
        from scratch.training.plots import plot_histories
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot_histories({name: r.result.history for name, r in results.items()}, args.plot,
                       title=title or run.dataset.name)
        print(f"curves saved to {args.plot}")
    if args.checkpoint:
        from scratch.training.checkpoint import checkpoint_of_run, save_run_checkpoint
        save_run_checkpoint(args.checkpoint, checkpoint_of_run(args, run, results[names[0]]))
        print(f"{names[0]} checkpoint (best parameters, optimizer state, position in the plan) "
              f"saved to {args.checkpoint}")
    if args.json:
        write_json(args.json, payload)
        print(f"results written to {args.json}")
    return payload


def describe(args, run):
    """One line saying what will be trained, and a warning line for leaked rows."""
    cls, kwargs = run.optimizer
    shown = {k: v for k, v in kwargs.items() if k != "decay_mask"}
    return (f"{run.dataset.name}: {len(run.splits.train.y)} train / {len(run.splits.validation.y)} "
            f"validation / {len(run.splits.test.y)} test rows; {run.mlp!r}; {cls}({shown}); "
            f"{args.epochs} epochs of batch {args.batch_size}; {args.scale} scaling; {args.dtype}"
            + (f"\nwarning: feature rows duplicated across splits: {run.leaks}" if run.leaks else ""))


def write_json(path, payload):
    from scratch.training.checkpoint import atomic_write
    atomic_write(path, lambda f: f.write((json.dumps(payload, indent=2) + "\n").encode()))
