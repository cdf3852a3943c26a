"""One training run's set-up, shared by `python -m scratch train` (NumPy only) and
`python -m reference train` (NumPy, torch and jax side by side): the options, and the
dataset -> standardized splits -> model -> optimizer chain they describe.

Everything a user can get wrong is checked before the work: the options when they are
parsed (output paths included, see scratch.training.outputs), then `check_before_work`
(combinations of options, what the outputs need), then in `prepare` the data and the
memory the model would take, before it is allocated. The results go out through the one
writer, scratch.training.outputs, atomically.
"""

import argparse
import importlib.util
import sys
from typing import NamedTuple

import numpy as np

from scratch.cli import check_memory
from scratch.data import datasets
from scratch.data.splits import (
    Standardizer,
    TargetScaler,
    check_trainable,
    duplicates_across_splits,
    split,
)
from scratch.errors import Interrupted, OutputError, UsageError, UserError
from scratch.nn.mlp import ACTIVATIONS, MLP
from scratch.optim.optimizers import skip_vectors
from scratch.training import outputs
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
DEFAULT_LR = {
    "sgd": 0.1,
    "momentum": 0.01,
    "nesterov": 0.01,
    "rmsprop": 1e-3,
    "adam": 1e-3,
    "adamw": 1e-3,
}


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer; got {value}")
    return value


def non_negative_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0; got {value}")
    return value


def output_path(kind):
    """An argparse type for the --json / --plot / --checkpoint options: the path is checked
    when the command line is parsed, long before the run would write to it."""

    def check(text):
        try:
            return outputs.check_output_path(text, kind)
        except OutputError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    check.__name__ = f"{kind} path"
    return check


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
            f"expected comma-separated positive widths such as 128 or 128,64; got {text!r}"
        ) from None
    if not sizes or any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"expected positive widths; got {text!r}")
    return sizes


def add_training_options(parser, outputs=("plot", "checkpoint", "json"), loop=True):
    """The options of a training run. outputs: which output files the command writes;
    loop=False for a command that does not run the training loop (no --epochs...)."""
    parser.add_argument(
        "--dataset",
        choices=datasets.NAMES,
        default=None,
        help="a shipped or toy dataset; digits unless --csv is given",
    )
    parser.add_argument(
        "--csv",
        help="train on your own CSV table instead (with --target); see README, 'Your own CSV'",
    )
    parser.add_argument("--target", help="the name of the target column of --csv")
    parser.add_argument(
        "--task",
        choices=["classification", "regression"],
        default=None,
        help="what --target is; inferred when not given: " + datasets.TASK_RULE,
    )
    parser.add_argument(
        "--drop-missing",
        action="store_true",
        help="drop the rows of --csv with missing values (empty, NA, NaN, "
        "null...) instead of stopping",
    )
    parser.add_argument(
        "--scale",
        choices=["standard", "minmax"],
        default="minmax",
        help="feature scaling, fitted on the training split only",
    )
    # defaults chosen on validation accuracy, averaged over split seeds 0-4, on digits
    parser.add_argument(
        "--hidden", type=hidden_sizes, default=[256, 128], help="hidden widths, e.g. 128,64"
    )
    parser.add_argument(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default="relu",
        help="the activation after every hidden layer",
    )
    parser.add_argument(
        "--dropout",
        type=probability,
        default=0.2,
        help="probability of dropping a hidden unit while training",
    )
    parser.add_argument(
        "--optimizer", choices=sorted(OPTIMIZERS), default="adam", help="the update rule"
    )
    parser.add_argument(
        "--lr",
        type=positive_float,
        default=None,
        help="learning rate (default: by optimizer: "
        + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items())
        + ")",
    )
    parser.add_argument(
        "--weight-decay",
        type=non_negative_float,
        default=0.0,
        help="L2 (decoupled for adamw); biases are not decayed",
    )
    if loop:
        parser.add_argument(
            "--epochs", type=positive_int, default=40, help="passes over the training split"
        )
    parser.add_argument("--batch-size", type=positive_int, default=32, help="rows per update")
    if loop:
        parser.add_argument(
            "--patience",
            type=positive_int,
            default=None,
            help="stop after this many epochs without a better validation "
            "loss (default: train every epoch)",
        )
    parser.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="floating-point type of the parameters and data",
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="seed of the split, the initial parameters, batches and dropout",
    )
    helps = {
        "plot": "save the training curves to this PNG (needs matplotlib)",
        "checkpoint": "save the best parameters here (.npz); on Ctrl-C, the best so far",
        "json": "write the results as JSON here",
    }
    for kind in outputs:
        parser.add_argument(f"--{kind}", type=output_path(kind), default=None, help=helps[kind])
    if loop:
        parser.add_argument(
            "--no-progress",
            action="store_true",
            help="no progress bar (there is none anyway unless stderr is a terminal)",
        )
    return parser


def check_before_work(args):
    """Combinations of options and what the outputs need, before any data is loaded.
    Options are checked one by one when they are parsed; this is what parsing cannot see."""
    if args.csv is not None and args.dataset is not None:
        raise UsageError(
            f"--csv and --dataset: expected one of them; got both "
            f"(--dataset {args.dataset}, --csv {args.csv})"
        )
    if args.csv is not None and not args.target:
        raise UsageError(f"--csv {args.csv}: expected --target too (the name of the target column)")
    if args.csv is None:
        for option, value in (
            ("--target", args.target),
            ("--task", args.task),
            ("--drop-missing", args.drop_missing or None),
        ):
            if value is not None:
                raise UsageError(
                    f"{option}: used only with --csv; got it with "
                    f"--dataset {args.dataset or 'digits'}"
                )
    if getattr(args, "plot", None) is not None and importlib.util.find_spec("matplotlib") is None:
        raise UserError(
            f"--plot {args.plot}: needs matplotlib, which is not installed "
            f"(pip install matplotlib, or leave out --plot)"
        )


OPTIMIZER_SLOTS = {"sgd": 0, "momentum": 1, "nesterov": 1, "rmsprop": 1, "adam": 2, "adamw": 2}


def check_model_memory(sizes, n_train, args, backends=1):
    """The model's arrays, estimated from its ledger, against this machine's memory:
    per backend the parameters, their gradients, the optimizer's slots, the best epoch's
    copy and the initial copy; and the activations of evaluating the training split."""
    itemsize = np.dtype(args.dtype).itemsize
    n_params = sum((d_in + 1) * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:]))
    copies = 4 + OPTIMIZER_SLOTS[args.optimizer]
    activations = 3 * max(n_train, args.batch_size) * sum(sizes[1:]) * itemsize
    needed = backends * (copies * n_params * itemsize + activations)
    check_memory(
        needed,
        f"the model {sizes} ({n_params:,} parameters, {args.dtype}, "
        f"{args.optimizer}, {backends} backend{'s' if backends > 1 else ''})",
        f"--hidden {','.join(map(str, args.hidden))}",
    )


class Run(NamedTuple):
    dataset: object
    splits: object
    mlp: MLP
    params: dict  # initial parameters, in args.dtype
    optimizer: tuple  # (class name, kwargs) to build on any backend
    plan: object
    leaks: list
    scaler: object = None  # the Standardizer fitted on the training split (saved in checkpoints)
    target_scaler: object = None  # TargetScaler of a regression run (None: classification)


def prepare(args, backends=1):
    if args.csv:
        dataset = datasets.load_csv(
            args.csv, args.target, task=args.task, drop_missing=args.drop_missing
        )
    else:
        dataset = datasets.load(args.dataset or "digits", seed=args.seed)
    splits = split(dataset, seed=args.seed)
    empty = [s.role for s in splits if len(s.y) == 0]
    if empty:
        raise UserError(
            f"{dataset.name}: expected enough rows for train, validation and test "
            f"splits (70/15/15%, per class); got {len(dataset.y)} rows, leaving "
            f"no {' and no '.join(empty)} rows"
        )
    if args.batch_size > len(splits.train.y):
        raise UserError(
            f"--batch-size {args.batch_size}: expected at most the number of "
            f"training rows; got {args.batch_size}, larger than the training "
            f"split ({len(splits.train.y)} rows)"
        )
    try:  # one class, fewer rows than classes, a constant target...: one line, no traceback
        check_trainable(splits, dataset.task, dataset.num_classes, args.batch_size)
    except ValueError as error:
        raise UserError(f"{dataset.name}: {error}") from None
    scaler = Standardizer.fit(splits.train, method=args.scale)
    splits = scaler.transform_splits(splits)
    target_scaler = None
    if dataset.task == "regression":  # losses and steps on the standardised target
        target_scaler = TargetScaler.fit(splits.train)
        splits = target_scaler.transform_splits(splits)
    splits = type(splits)(*(s._replace(X=s.X.astype(args.dtype)) for s in splits))
    width_out = dataset.num_classes if dataset.task == "classification" else 1
    check_model_memory(
        [dataset.X.shape[1], *args.hidden, width_out], len(splits.train.y), args, backends
    )
    mlp = MLP(
        [dataset.X.shape[1], *args.hidden, width_out],
        activation=args.activation,
        dropout=args.dropout,
    )
    params = mlp.init(np.random.default_rng(args.seed), dtype=args.dtype)
    cls, extra = OPTIMIZERS[args.optimizer]
    kwargs = dict(extra, lr=args.lr or DEFAULT_LR[args.optimizer])
    if args.weight_decay or args.optimizer == "adamw":
        kwargs.update(weight_decay=args.weight_decay, decay_mask=skip_vectors)
    plan = plan_for(mlp, len(splits.train.y), args.batch_size, args.seed)
    return Run(
        dataset,
        splits,
        mlp,
        params,
        (cls, kwargs),
        plan,
        duplicates_across_splits(splits),
        scaler,
        target_scaler,
    )


def build_optimizer(run, optimizers):
    """The run's optimizer from `optimizers`, a module of optimizer classes: scratch's
    own (scratch.optim.optimizers) or a twin module the caller imported. scratch never
    imports a twin itself; the cross-framework side hands it in."""
    cls, kwargs = run.optimizer
    return getattr(optimizers, cls)(**kwargs)


class BackendResult(NamedTuple):
    result: object  # TrainResult
    test_loss: float
    test_accuracy: float
    backend: object = None  # the trained backend (its optimizer state goes into checkpoints)


def run_backend(name, backend_cls, optimizers, run, args):
    """Train one backend (its Backend class and optimizer module) on the run's plan."""
    backend = backend_cls(run.mlp, run.params, build_optimizer(run, optimizers), run.dataset.task)
    try:
        # overflow on the way to a non-finite loss is reported once, as Diverged, by the
        # loop: NumPy's warnings about each operation on the way would only bury that line
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = train(
                backend,
                run.splits,
                run.plan,
                args.epochs,
                args.patience,
                progress=not args.no_progress and sys.stderr.isatty(),
                label=name,
            )
    except Interrupted as stop:  # Ctrl-C: keep what was learnt, if asked to
        if args.checkpoint and stop.params is not None:
            from scratch.training.checkpoint import checkpoint_of_params, save_run_checkpoint

            # the best parameters so far, self-describing so that predict can use them
            save_run_checkpoint(args.checkpoint, checkpoint_of_params(args, run, stop.params))
            stop.saved_to = args.checkpoint
            stop.note = (
                f"; {name}'s best parameters so far (epoch {stop.best_epoch}) saved "
                f"to {args.checkpoint}"
            )
        elif args.checkpoint:
            stop.note = f"; nothing saved to {args.checkpoint}: no epoch had finished"
        raise
    test_loss, test_accuracy = backend.evaluate(run.splits.test.X, run.splits.test.y)
    return BackendResult(result, float(test_loss), float(test_accuracy), backend)


def finish_run(args, run, results, title=None):
    """The ending every training command shares: the table of results, then the plot, the
    checkpoint of the first backend's best parameters and the JSON, each if asked for.

    results: {backend name: BackendResult}, the first one the others are compared with.
    """
    names = list(results)
    reference = results[names[0]].result
    header = (
        f"{'backend':<8}{'train loss':>11}{'train acc':>10}{'val loss':>10}{'val acc':>9}"
        f"{'test loss':>10}{'test acc':>9}{'ms/step':>9}"
    )
    regression = run.target_scaler is not None  # no accuracy: RMSE, MAE, R² in target units
    if regression:
        header = (
            f"{'backend':<8}{'train loss':>11}{'val loss':>10}{'test loss':>10}"
            f"{'test RMSE':>11}{'test MAE':>10}{'test R²':>9}{'ms/step':>9}"
        )
    if len(names) > 1:
        header += f"  {'max |dparam|':>13}{'max |dloss|':>12}"
    print()
    print(header)
    print("-" * len(header))
    payload = {
        "dataset": run.dataset.name,
        "task": run.dataset.task,
        "target_names": list(run.dataset.target_names),
        "dtype": args.dtype,
        "steps": len(reference.history.step_loss),
        "best_epoch": reference.best_epoch,
        "epochs_run": reference.epochs_run,
        "stopped_early": reference.stopped_early,
        "backends": {},
        "max_abs_param_diff": {},
        "max_abs_loss_diff": {},
    }
    for name, (result, test_loss, test_accuracy, *_) in results.items():
        h = result.history
        best = result.best_epoch - 1
        ms = 1000 * float(np.median(h.step_seconds))
        payload["backends"][name] = {
            "test_accuracy": test_accuracy,
            "final_loss": h.step_loss[-1],
            "ms_per_step": ms,
            "test_loss": test_loss,
            "best_epoch": result.best_epoch,
            "history": {
                "train_loss": h.train_loss,  # per epoch
                "train_accuracy": h.train_accuracy,
                "val_loss": h.val_loss,
                "val_accuracy": h.val_accuracy,
            },
        }
        if regression:
            metrics = test_regression_metrics(run, result.params)
            payload["backends"][name].update(
                test_accuracy=None, **{f"test_{k}": v for k, v in metrics.items()}
            )
        diffs = ""
        if name != names[0]:
            param_diff = max(
                float(np.max(np.abs(result.params[k] - reference.params[k])))
                for k in reference.params
            )
            steps = min(len(h.step_loss), len(reference.history.step_loss))
            loss_diff = float(
                np.max(
                    np.abs(np.subtract(h.step_loss[:steps], reference.history.step_loss[:steps]))
                )
            )
            payload["max_abs_param_diff"][name] = param_diff
            payload["max_abs_loss_diff"][name] = loss_diff
            diffs = f"  {param_diff:>13.2e}{loss_diff:>12.2e}"
        if regression:
            print(
                f"{name:<8}{h.train_loss[best]:>11.4f}{h.val_loss[best]:>10.4f}{test_loss:>10.4f}"
                f"{metrics['rmse']:>11.4g}{metrics['mae']:>10.4g}{metrics['r2']:>9.4f}"
                f"{ms:>9.3f}{diffs}"
            )
            continue
        print(
            f"{name:<8}{h.train_loss[best]:>11.4f}{h.train_accuracy[best]:>10.4f}"
            f"{h.val_loss[best]:>10.4f}{h.val_accuracy[best]:>9.4f}{test_loss:>10.4f}"
            f"{test_accuracy:>9.4f}{ms:>9.3f}{diffs}"
        )
    if regression:
        baseline = least_squares_test_metrics(run)
        payload["least_squares"] = {f"test_{k}": v for k, v in baseline.items()}
        print(
            f"{'OLS':<8}{'':>11}{'':>10}{'':>10}{baseline['rmse']:>11.4g}{baseline['mae']:>10.4g}"
            f"{baseline['r2']:>9.4f}"
        )
        print(
            f"\nlosses are MSE on the target standardised with the training split's "
            f"{run.target_scaler!r}; RMSE, MAE and R² are in the target's units. OLS: "
            f"ordinary least squares (np.linalg.lstsq, as scikit-learn's LinearRegression) "
            f"on the same split."
        )
    print(
        f"\nbest epoch (lowest validation loss) {reference.best_epoch} of "
        f"{reference.epochs_run}{' (stopped early)' if reference.stopped_early else ''}; "
        f"parameters restored from it."
        + (
            f" Differences are against {names[0]}: parameters at the end, losses at every "
            f"one of {payload['steps']} steps."
            if len(names) > 1
            else ""
        )
    )
    # each output on its own: one that fails (disk full...) does not stop the others, and
    # leaves any previous file of that name as it was (the writer is atomic)
    failed = []
    if args.checkpoint:
        from scratch.training.checkpoint import checkpoint_of_run, save_run_checkpoint

        _write(
            failed,
            "--checkpoint",
            args.checkpoint,
            f"{names[0]} checkpoint (best parameters, optimizer state, position in the plan) "
            f"saved to",
            lambda: save_run_checkpoint(
                args.checkpoint, checkpoint_of_run(args, run, results[names[0]])
            ),
        )
    if args.json:
        _write(
            failed,
            "--json",
            args.json,
            "results written to",
            lambda: write_json(args.json, payload),
        )
    if args.plot:
        from scratch.training.plots import plot_histories

        _write(
            failed,
            "--plot",
            args.plot,
            "curves saved to",
            lambda: plot_histories(
                {name: r.result.history for name, r in results.items()},
                args.plot,
                title=title or run.dataset.name,
            ),
        )
    if failed:
        raise UserError("; ".join(failed))
    return payload


def _write(failed, option, path, done, write):
    try:
        write()
    except OSError as error:
        failed.append(f"{option} {path}: could not be written ({error.strerror or error})")
    else:
        print(f"{done} {path}")


def test_regression_metrics(run, params):
    """RMSE, MAE and R² on the test split, in the target's units (scaler inverted)."""
    from scratch.training.metrics import regression_metrics

    Y, _ = run.mlp.forward(params, run.splits.test.X)  # (N, 1), standardised units
    inverse = run.target_scaler.inverse
    return regression_metrics(inverse(run.splits.test.y), inverse(Y[:, 0]))


def least_squares_test_metrics(run):
    from scratch.training.metrics import least_squares_predictions, regression_metrics

    inverse = run.target_scaler.inverse
    predicted = least_squares_predictions(
        run.splits.train.X.astype(np.float64),
        inverse(run.splits.train.y),
        run.splits.test.X.astype(np.float64),
    )
    return regression_metrics(inverse(run.splits.test.y), predicted)


def describe(args, run):
    """One line saying what will be trained, a line per decision the data loader made for
    the user (a dropped index column or rows, the task), and a warning line for leaked rows."""
    cls, kwargs = run.optimizer
    shown = {k: v for k, v in kwargs.items() if k != "decay_mask"}
    epochs = f"{args.epochs} epochs of " if hasattr(args, "epochs") else ""
    return (
        f"{run.dataset.name}: {len(run.splits.train.y)} train / {len(run.splits.validation.y)} "
        f"validation / {len(run.splits.test.y)} test rows; {run.mlp!r}; {cls}({shown}); "
        f"{epochs}batch {args.batch_size}; {args.scale} scaling; {args.dtype}"
        + "".join(f"\nnote: {note}" for note in run.dataset.notes)
        + (f"\nwarning: feature rows duplicated across splits: {run.leaks}" if run.leaks else "")
    )


def write_json(path, payload):
    return outputs.write_json(path, payload)  # atomic; NumPy scalars serialise
