"""Predictions from a checkpoint, on features as the user has them (raw: the checkpoint's
fitted scaler is applied here, as it was in training).

    python -m scratch predict CHECKPOINT --csv FILE [--target COLUMN]
    python -m scratch predict CHECKPOINT --dataset NAME [--split test]
    ... [--json] [--out FILE]

Shapes: X_raw (N, D) -> scaler -> X (N, D) in the checkpoint's dtype -> MLP (eval mode,
dropout off) -> logits Y (N, C) -> softmax P (N, C), predicted class argmax (N,); for
regression Y (N, 1) is the value. With labels, the metrics are those the training run
reports (loss_for_task's mean loss and accuracy on the same arrays): the same numbers.
"""

import csv
import io
import json
import sys
from typing import NamedTuple

import numpy as np

from scratch.data import datasets
from scratch.data.splits import Standardizer, split
from scratch.nn.losses import loss_for_task
from scratch.nn.mlp import MLP
from scratch.nn.softmax import Softmax
from scratch.training.checkpoint import CheckpointError, load_run_checkpoint
from scratch.training.metrics import regression_metrics
from scratch.training.outputs import atomic_write
from scratch.training.train import accuracy_of


class Prediction(NamedTuple):
    outputs: np.ndarray  # (N, C) class probabilities, or (N, 1) regression values
    predicted: np.ndarray  # (N,) class indices, or (N,) values
    metrics: dict  # {"rows"}, with labels also "loss" (and "accuracy" for classes)


def model_of(checkpoint):
    m = checkpoint.model
    return MLP(m["sizes"], activation=m["activation"], dropout=m["dropout"], init=m.get("init"))


def prepare_features(checkpoint, X_raw):
    """Raw features (N, D) -> what the network saw in training: scaled, in its dtype."""
    X_raw = np.asarray(X_raw, dtype=np.float64)
    if checkpoint.scaler is not None:
        s = checkpoint.scaler
        X_raw = Standardizer(s["centre"], s["scale"], s["method"]).transform(X_raw)
    return X_raw.astype(checkpoint.dtype)


def predict(checkpoint, X_raw, y=None):
    """A Prediction for raw features X_raw (N, D); y (N,) labels or targets, optional."""
    X = prepare_features(checkpoint, X_raw)
    Y, _ = model_of(checkpoint).forward(checkpoint.params, X)  # eval mode
    metrics = {"rows": len(X)}
    if checkpoint.task == "classification":
        outputs, _ = Softmax().forward({}, Y)
        predicted = np.argmax(Y, axis=1)
    else:  # the network predicts the standardised target: back to the target's units
        outputs = unscaled(checkpoint, Y)  # (N, 1)
        predicted = outputs[:, 0]
    if y is not None:
        if checkpoint.task == "classification":
            target = y
        else:  # the loss on the scale training used, so it equals the run's own test loss
            target = scaled(checkpoint, y).reshape(-1, 1).astype(Y.dtype)
        loss, _ = loss_for_task(checkpoint.task).forward(Y, target)
        metrics["loss"] = float(loss)
        if checkpoint.task == "classification":
            metrics["accuracy"] = accuracy_of(Y, y)
        else:
            metrics.update(regression_metrics(y, predicted))
    return Prediction(outputs, predicted, metrics)


def scaled(checkpoint, y):
    """A regression target in the units the network was trained on."""
    t = checkpoint.target_scaler
    y = np.asarray(y, dtype=np.float64)
    return y if t is None else (y - t["mean"]) / t["std"]


def unscaled(checkpoint, Y):
    """The network's regression outputs in the target's own units."""
    t = checkpoint.target_scaler
    Y = np.asarray(Y, dtype=np.float64)
    return Y if t is None else Y * t["std"] + t["mean"]


def read_csv_features(checkpoint, path, target=None):
    """(X_raw (N, D), y or None) from a CSV with a header. Features are found by the
    checkpoint's feature names (any order, extra columns ignored); labels from `target`
    (default: the training run's --target column, when the CSV has it)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise ValueError(f"{path}: expected a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    missing = [name for name in checkpoint.feature_names if name not in header]
    if missing:
        raise ValueError(
            f"{path} lacks the feature column(s) {missing}; the model reads "
            f"{checkpoint.feature_names}"
        )
    if target is None and checkpoint.run and checkpoint.run.get("target") in header:
        target = checkpoint.run["target"]
    if target is not None and target not in header:
        raise ValueError(f"{path} has no column {target!r} (--target); its columns are {header}")
    columns = [header.index(name) for name in checkpoint.feature_names]
    X = np.empty((len(rows) - 1, len(columns)))
    labels = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"{path} line {r} has {len(row)} fields; the header has {len(header)}")
        for c, column in enumerate(columns):
            try:
                X[r - 2, c] = float(row[column])
            except ValueError:
                raise ValueError(
                    f"{path} line {r}, column {header[column]!r}: {row[column]!r} is not a number"
                ) from None
        if target is not None:
            labels.append(row[header.index(target)].strip())
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{path}: features must be finite numbers")
    return X, (None if target is None else labels_of(checkpoint, labels, path))


def labels_of(checkpoint, texts, path):
    """Target texts -> class indices (by class name, or by the number a CSV class stands
    for) or float values."""
    if checkpoint.task == "regression":
        return np.array([float(t) for t in texts])
    names = checkpoint.class_names
    index = {name: i for i, name in enumerate(names)}
    out = []
    for text in texts:
        if text not in index:
            try:  # "1.0" in a file for the class a CSV run named "1"
                value = float(text)
                text = str(int(value)) if value == int(value) else str(value)
            except ValueError:
                pass
        if text not in index:
            raise ValueError(f"{path}: label {text!r} is not one of the model's classes {names}")
        out.append(index[text])
    return np.array(out, dtype=np.int64)


def dataset_split(checkpoint, name, role):
    """Raw features and labels of one split of a named dataset, split as in training
    (the run's seed)."""
    seed = (checkpoint.run or {}).get("seed", 0)
    subset = getattr(split(datasets.load(name, seed=seed), seed=seed), role)
    return subset.X, subset.y


def format_csv(checkpoint, prediction, y=None):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    classification = checkpoint.task == "classification"
    names = checkpoint.class_names
    header = ["row", "prediction"] + ([f"p({n})" for n in names] if classification else [])
    writer.writerow(header + ([] if y is None else ["label"]))
    for i in range(len(prediction.predicted)):
        if classification:
            row = [i, names[prediction.predicted[i]], *map(repr, map(float, prediction.outputs[i]))]
            label = [] if y is None else [names[y[i]]]
        else:
            row = [i, repr(float(prediction.predicted[i]))]
            label = [] if y is None else [repr(float(y[i]))]
        writer.writerow(row + label)
    return out.getvalue()


def to_json(checkpoint, prediction, y=None):
    rows = []
    for i in range(len(prediction.predicted)):
        if checkpoint.task == "classification":
            row = {
                "row": i,
                "prediction": checkpoint.class_names[prediction.predicted[i]],
                "probabilities": dict(
                    zip(checkpoint.class_names, map(float, prediction.outputs[i]))
                ),
            }
            if y is not None:
                row["label"] = checkpoint.class_names[y[i]]
        else:
            row = {"row": i, "prediction": float(prediction.predicted[i])}
            if y is not None:
                row["label"] = float(y[i])
        rows.append(row)
    return {"task": checkpoint.task, "metrics": prediction.metrics, "predictions": rows}


def add_predict_options(parser):
    parser.add_argument("checkpoint", help="a checkpoint written by train --checkpoint (or import)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--csv",
        help="raw features (columns named as in training; extra columns "
        "ignored); the saved scaler is applied",
    )
    source.add_argument(
        "--dataset", choices=datasets.NAMES, help="a named dataset, split as in training"
    )
    parser.add_argument(
        "--split",
        choices=["train", "validation", "test"],
        default="test",
        help="with --dataset: which split (default: test)",
    )
    parser.add_argument(
        "--target",
        default=None,
        help="with --csv: the label column (default: the run's --target, if present)",
    )
    parser.add_argument("--json", action="store_true", help="JSON instead of CSV (default: CSV)")
    parser.add_argument(
        "--out", default=None, help="write here instead of stdout (default: stdout)"
    )
    return parser


def predict_command(args):
    try:
        checkpoint = load_run_checkpoint(args.checkpoint)
        if args.csv:
            X_raw, y = read_csv_features(checkpoint, args.csv, args.target)
        else:
            X_raw, y = dataset_split(checkpoint, args.dataset, args.split)
        D = checkpoint.model["sizes"][0]
        if X_raw.shape[1] != D:
            raise ValueError(f"the model reads {D} features; {args.dataset} has {X_raw.shape[1]}")
        prediction = predict(checkpoint, X_raw, y)
    except (CheckpointError, ValueError, OSError) as error:
        raise SystemExit(f"error: {error}") from None
    text = (
        json.dumps(to_json(checkpoint, prediction, y), indent=2) + "\n"
        if args.json
        else format_csv(checkpoint, prediction, y)
    )
    summary = ", ".join(
        f"{k} {v:.6g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in prediction.metrics.items()
    )
    if args.out:
        atomic_write(args.out, lambda f: f.write(text.encode()))
        print(f"{len(prediction.predicted)} predictions written to {args.out} ({summary})")
    else:
        sys.stdout.write(text)
        if not args.json:  # keep stdout a clean CSV
            print(summary, file=sys.stderr)
    return 0
