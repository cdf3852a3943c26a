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
from scratch.data.splits import (Standardizer, TargetScaler, check_trainable,
                                 duplicates_across_splits, split)
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


# options only `train` uses; `diagnose` (and any command given train_only=False) lacks them
def add_training_options(parser, train_only=True):
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
    if train_only:
        parser.add_argument("--epochs", type=positive_int, default=40)
    parser.add_argument("--batch-size", type=positive_int, default=32)
    if train_only:
        parser.add_argument("--patience", type=positive_int, default=None,
                            help="stop after this many epochs without a better validation loss")
    parser.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    parser.add_argument("--seed", type=int, default=0)
    if train_only:
        parser.add_argument("--plot", default=None, help="save the training curves to this PNG")
        parser.add_argument("--checkpoint", default=None, help="save the best parameters here (.npz)")
    parser.add_argument("--json", default=None, help="write the results as JSON here")
    if train_only:
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
    target_scaler: object = None  # TargetScaler of a regression run (None: classification)


def prepare(args):
    if args.csv:
        if not args.target:
            raise SystemExit("error: --csv needs --target (the name of the target column)")
    try:  # a user's file or data that cannot be trained on: one line, no traceback
        if args.csv:
            dataset = datasets.load_csv(args.csv, args.target)
        else:
            dataset = datasets.load(args.dataset, seed=args.seed)
        splits = split(dataset, seed=args.seed)
        check_trainable(splits, dataset.task, dataset.num_classes, args.batch_size)
    except (OSError, ValueError) as error:
        raise SystemExit(f"error: {dataset_label(args)}: {error}") from None
    splits = Standardizer.fit(splits.train, method=args.scale).transform_splits(splits)
    target_scaler = None
    if dataset.task == "regression":  # losses and steps on the standardised target
        target_scaler = TargetScaler.fit(splits.train)
        splits = target_scaler.transform_splits(splits)
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
               target_scaler)


def dataset_label(args):
    return args.csv if args.csv else args.dataset


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


def run_backend(name, backend_cls, optimizers, run, args):
    """Train one backend (its Backend class and optimizer module) on the run's plan."""
    backend = backend_cls(run.mlp, run.params, build_optimizer(run, optimizers), run.dataset.task)
    result = train(backend, run.splits, run.plan, args.epochs, args.patience,
                   progress=not args.no_progress, label=name)
    test_loss, test_accuracy = backend.evaluate(run.splits.test.X, run.splits.test.y)
    return BackendResult(result, float(test_loss), float(test_accuracy))


def finish_run(args, run, results, title=None):
    """The ending every training command shares: the table of results, then the plot, the
    checkpoint of the first backend's best parameters and the JSON, each if asked for.

    results: {backend name: BackendResult}, the first one the others are compared with.
    """
    names = list(results)
    reference = results[names[0]].result
    header = (f"{'backend':<8}{'train loss':>11}{'train acc':>10}{'val loss':>10}{'val acc':>9}"
              f"{'test loss':>10}{'test acc':>9}{'ms/step':>9}")
    regression = run.target_scaler is not None  # no accuracy: RMSE, MAE, R² in target units
    if regression:
        header = (f"{'backend':<8}{'train loss':>11}{'val loss':>10}{'test loss':>10}"
                  f"{'test RMSE':>11}{'test MAE':>10}{'test R²':>9}{'ms/step':>9}")
    if len(names) > 1:
        header += f"  {'max |dparam|':>13}{'max |dloss|':>12}"
    print()
    print(header)
    print("-" * len(header))
    payload = {"dataset": run.dataset.name, "dtype": args.dtype,
               "steps": len(reference.history.step_loss), "best_epoch": reference.best_epoch,
               "epochs_run": reference.epochs_run, "stopped_early": reference.stopped_early,
               "backends": {}, "max_abs_param_diff": {}, "max_abs_loss_diff": {}}
    for name, (result, test_loss, test_accuracy) in results.items():
        h = result.history
        best = result.best_epoch - 1
        ms = 1000 * float(np.median(h.step_seconds))
        payload["backends"][name] = {"test_accuracy": test_accuracy, "final_loss": h.step_loss[-1],
                                     "ms_per_step": ms, "test_loss": test_loss,
                                     "best_epoch": result.best_epoch}
        if regression:
            metrics = test_regression_metrics(run, result.params)
            payload["backends"][name].update(test_accuracy=None, **{f"test_{k}": v for k, v
                                                                     in metrics.items()})
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
        if regression:
            print(f"{name:<8}{h.train_loss[best]:>11.4f}{h.val_loss[best]:>10.4f}{test_loss:>10.4f}"
                  f"{metrics['rmse']:>11.4g}{metrics['mae']:>10.4g}{metrics['r2']:>9.4f}"
                  f"{ms:>9.3f}{diffs}")
            continue
        print(f"{name:<8}{h.train_loss[best]:>11.4f}{h.train_accuracy[best]:>10.4f}"
              f"{h.val_loss[best]:>10.4f}{h.val_accuracy[best]:>9.4f}{test_loss:>10.4f}"
              f"{test_accuracy:>9.4f}{ms:>9.3f}{diffs}")
    if regression:
        baseline = least_squares_test_metrics(run)
        payload["least_squares"] = {f"test_{k}": v for k, v in baseline.items()}
        print(f"{'OLS':<8}{'':>11}{'':>10}{'':>10}{baseline['rmse']:>11.4g}{baseline['mae']:>10.4g}"
              f"{baseline['r2']:>9.4f}")
        print(f"\nlosses are MSE on the target standardised with the training split's "
              f"{run.target_scaler!r}; RMSE, MAE and R² are in the target's units. OLS: "
              f"ordinary least squares (np.linalg.lstsq, as scikit-learn's LinearRegression) "
              f"on the same split.")
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
        from scratch.training.checkpoint import save_checkpoint
        save_checkpoint(args.checkpoint, reference.params,
                        {"sizes": run.mlp.sizes, "activation": run.mlp.activation,
                         "dataset": run.dataset.name})
        print(f"best {names[0]} parameters saved to {args.checkpoint}")
    if args.json:
        write_json(args.json, payload)
        print(f"results written to {args.json}")
    return payload


def test_regression_metrics(run, params):
    """RMSE, MAE and R² on the test split, in the target's units (scaler inverted)."""
    from scratch.training.metrics import regression_metrics
    Y, _ = run.mlp.forward(params, run.splits.test.X)  # (N, 1), standardised units
    inverse = run.target_scaler.inverse
    return regression_metrics(inverse(run.splits.test.y), inverse(Y[:, 0]))


def least_squares_test_metrics(run):
    from scratch.training.metrics import least_squares_predictions, regression_metrics
    inverse = run.target_scaler.inverse
    predicted = least_squares_predictions(run.splits.train.X.astype(np.float64),
                                          inverse(run.splits.train.y),
                                          run.splits.test.X.astype(np.float64))
    return regression_metrics(inverse(run.splits.test.y), predicted)


def describe(args, run):
    """One line saying what will be trained, and a warning line for leaked rows."""
    cls, kwargs = run.optimizer
    shown = {k: v for k, v in kwargs.items() if k != "decay_mask"}
    return (f"{run.dataset.name}: {len(run.splits.train.y)} train / {len(run.splits.validation.y)} "
            f"validation / {len(run.splits.test.y)} test rows; {run.mlp!r}; {cls}({shown}); "
            + (f"{args.epochs} epochs of " if hasattr(args, "epochs") else "")
            + f"batch {args.batch_size}; {args.scale} scaling; {args.dtype}"
            + (f"\nwarning: feature rows duplicated across splits: {run.leaks}" if run.leaks else ""))


def finite_or_none(value):
    """JSON has no NaN or infinity: they become null (json.dump would write NaN, which
    strict parsers reject)."""
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    return value


def write_json(path, payload):
    with open(path, "w") as f:
        json.dump(finite_or_none(payload), f, indent=2, allow_nan=False)
        f.write("\n")
