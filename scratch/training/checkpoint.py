"""Saving and loading checkpoints as .npz: no pickle, atomic writes, clear errors.

save_checkpoint / load_checkpoint: arrays under their own names plus "__meta__", a JSON
string (stored as a 0-d unicode array, so allow_pickle=False suffices).
save_run_checkpoint / load_run_checkpoint: the self-describing checkpoint of a training run
built on them (format version 2, laid out below): everything predict, resume, export and
import need. Writing goes to a temporary file in the same folder, flushed and fsynced, then
moved into place with os.replace (scratch.training.outputs, the one writer of every
output): a crash leaves either the old file or the new, never half.
"""

import json
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np

from scratch.training.outputs import write_npz

META_KEY = "__meta__"


class CheckpointError(ValueError):
    pass


def save_checkpoint(path, params, meta=None):
    path = Path(path)
    arrays = {name: np.asarray(value) for name, value in params.items()}
    if META_KEY in arrays:
        raise ValueError(f"save_checkpoint: a parameter may not be named {META_KEY!r}")
    arrays[META_KEY] = np.array(json.dumps(meta or {}))
    write_npz(path, arrays)
    return path


def load_checkpoint(path):
    """(params, meta). A missing, truncated or foreign file raises CheckpointError."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if META_KEY not in names:
                raise CheckpointError(
                    f"{path} is an .npz file but not a checkpoint written by "
                    f"save_checkpoint (no {META_KEY!r} entry)"
                )
            meta = json.loads(str(archive[META_KEY]))
            params = {name: archive[name] for name in names if name != META_KEY}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise CheckpointError(
            f"{path} is not a readable checkpoint (truncated or not an .npz "
            f"file): {type(error).__name__}: {error}"
        ) from None
    return params, meta


# ---------------------------------------------------------------------------------------
# The self-describing checkpoint of a training run (format version 2)
# ---------------------------------------------------------------------------------------
#
# One .npz holds everything later steps need (predict, resume, export, import):
#
#   arrays                               meta (JSON in "__meta__")
#   params/<name>        best parameters   format, version
#   last_params/<name>   after last step   model: sizes, activation, dropout, init
#   optimizer/<slot>/<name>  buffers       dtype, task, dataset, class_names, feature_names
#   scaler/centre, scaler/scale  (D,)      scaler: method
#                                          optimizer: class, lr (schedule), hyperparameters,
#                                                     decay_mask, step
#                                          progress: seed, batch_size, n_train, epoch, step,
#                                                    best_epoch, best_loss, waited,
#                                                    stopped_early, history
#                                          run: the command-line options (for --resume)
#
# <name> is scratch's parameter name ("0.W" is (in, out), as scratch stores it). The
# optimizer, progress and run parts are absent from a checkpoint imported from a bare
# model; commands that need them say so.


FORMAT = "tiny-mlp-parity checkpoint"
VERSION = 2
# the options of `train` that decide the data, the model, the optimizer and the plan
RUN_OPTIONS = (
    "dataset",
    "csv",
    "target",
    "scale",
    "hidden",
    "activation",
    "dropout",
    "optimizer",
    "lr",
    "weight_decay",
    "batch_size",
    "patience",
    "dtype",
    "seed",
)


class RunCheckpoint(NamedTuple):
    model: dict  # {"sizes", "activation", "dropout", "init"}
    dtype: str
    task: str  # "classification" or "regression"
    class_names: list  # classification: name of class c at index c; regression: [target]
    feature_names: list
    dataset: str
    scaler: dict  # {"method", "centre" (D,), "scale" (D,)} or None (features as given)
    params: dict  # the best parameters: what training restored and predict uses
    optimizer: dict = None  # {"class", "lr", "hyperparameters", "decay_mask"}
    optimizer_state: dict = None  # {"step": int, slot: {name: array}}, scratch's layout
    last_params: dict = None  # the parameters after the last step (the state fits these)
    progress: dict = None  # the plan's position and the best-epoch bookkeeping
    run: dict = None  # the training options, to rebuild data and plan on resume
    target_scaler: dict = None  # regression: {"mean", "std"} of the training target (the
    # network predicts (y - mean) / std); None for classification


class DecayNames:
    """A decay mask given by the names of the decayed parameters (what a checkpoint keeps
    of a decay mask that is not skip_vectors)."""

    def __init__(self, names):
        self.names = frozenset(names)

    def __call__(self, name, array):
        return name in self.names

    def __repr__(self):
        return f"DecayNames({sorted(self.names)})"


def schedule_config(schedule):
    """{"class": name, **constructor arguments} of a scratch schedule."""
    from scratch.optim import schedules

    cls = type(schedule).__name__
    if not (
        isinstance(schedule, schedules.Schedule) and getattr(schedules, cls, None) is type(schedule)
    ):
        raise ValueError(
            f"a checkpoint can save the schedules of scratch.optim.schedules; got {schedule!r}"
        )
    return {"class": cls, **vars(schedule)}  # their attributes are their arguments


def schedule_from_config(config):
    from scratch.optim import schedules

    config = dict(config)
    cls = getattr(schedules, str(config.pop("class")), None)
    if not (isinstance(cls, type) and issubclass(cls, schedules.Schedule)):
        raise CheckpointError(f"unknown learning-rate schedule {config!r} in checkpoint")
    return cls(**config)


def optimizer_config(optimizer, params):
    """What rebuilds `optimizer`: its class, schedule, hyperparameters and decay mask
    (None, "skip_vectors" or the list of decayed parameter names)."""
    from scratch.optim import optimizers as o

    if type(optimizer) not in (o.SGD, o.RMSProp, o.Adam, o.AdamW):
        raise ValueError(
            f"a checkpoint can save scratch's SGD, RMSProp, Adam and AdamW; got "
            f"{type(optimizer).__name__}"
        )
    hyper = {
        "weight_decay": optimizer.weight_decay,
        "max_grad_norm": optimizer.max_grad_norm,
        "clip_eps": optimizer.clip_eps,
    }
    if isinstance(optimizer, o.SGD):
        hyper.update(
            momentum=optimizer.momentum, dampening=optimizer.dampening, nesterov=optimizer.nesterov
        )
    elif isinstance(optimizer, o.RMSProp):
        hyper.update(
            alpha=optimizer.alpha,
            eps=optimizer.eps,
            momentum=optimizer.momentum,
            centered=optimizer.centered,
        )
    else:
        hyper.update(
            betas=[optimizer.beta1, optimizer.beta2], eps=optimizer.eps, amsgrad=optimizer.amsgrad
        )
    mask = optimizer.decay_mask
    if mask is None or mask is o.skip_vectors:
        mask = None if mask is None else "skip_vectors"
    else:
        mask = sorted(name for name, p in params.items() if mask(name, p))
    return {
        "class": type(optimizer).__name__,
        "lr": schedule_config(optimizer.schedule),
        "hyperparameters": hyper,
        "decay_mask": mask,
    }


def optimizer_from_config(config):
    from scratch.optim import optimizers as o

    cls = {"SGD": o.SGD, "RMSProp": o.RMSProp, "Adam": o.Adam, "AdamW": o.AdamW}.get(
        config["class"]
    )
    if cls is None:
        raise CheckpointError(f"unknown optimizer class {config['class']!r} in checkpoint")
    mask = config["decay_mask"]
    mask = (
        o.skip_vectors if mask == "skip_vectors" else (None if mask is None else DecayNames(mask))
    )
    lr = schedule_from_config(config["lr"])
    return cls(lr=lr, decay_mask=mask, **config["hyperparameters"])


def checkpoint_of_run(args, run, backend_result):
    """The RunCheckpoint of a finished `train` run: `run` from prepare(), backend_result
    from run_backend() on the NumPy backend."""
    result, backend = backend_result.result, backend_result.backend
    progress, history = result.progress, result.progress.history
    return checkpoint_of_params(args, run, result.params)._replace(
        optimizer=optimizer_config(backend.optimizer, progress.last_params),
        optimizer_state=backend.state,
        last_params=progress.last_params,
        progress={
            "seed": run.plan.seed,
            "batch_size": run.plan.batch_size,
            "n_train": run.plan.n_train,
            "epoch": progress.epoch,
            "step": len(history.step_loss),
            "best_epoch": progress.best_epoch,
            "best_loss": progress.best_loss,
            "waited": progress.waited,
            "stopped_early": result.stopped_early,
            "history": history._asdict(),
        },
    )


def checkpoint_of_params(args, run, params):
    """A RunCheckpoint of the model and its parameters alone (what Ctrl-C saves: the best
    so far): everything predict needs, but no optimizer state or position in the plan, so
    `--resume` refuses it with a message rather than carrying on inexactly."""
    dataset, scaler = run.dataset, run.scaler
    return RunCheckpoint(
        model={
            "sizes": run.mlp.sizes,
            "activation": run.mlp.activation,
            "dropout": run.mlp.dropout,
            "init": run.mlp.init_scheme,
        },
        dtype=str(np.dtype(args.dtype)),
        task=dataset.task,
        class_names=list(dataset.target_names),
        feature_names=list(dataset.feature_names),
        dataset=dataset.name,
        scaler=None
        if scaler is None
        else {"method": scaler.method, "centre": scaler.mean, "scale": scaler.std},
        params=params,
        run={name: getattr(args, name) for name in RUN_OPTIONS},
        target_scaler=None
        if getattr(run, "target_scaler", None) is None
        else {"mean": run.target_scaler.mean, "std": run.target_scaler.std},
    )


def _flat(prefix, arrays):
    return {f"{prefix}/{name}": np.asarray(value) for name, value in arrays.items()}


def save_run_checkpoint(path, checkpoint):
    """Write a RunCheckpoint atomically (see save_checkpoint)."""
    c = checkpoint
    arrays = _flat("params", c.params)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "model": c.model,
        "dtype": c.dtype,
        "task": c.task,
        "class_names": c.class_names,
        "feature_names": c.feature_names,
        "dataset": c.dataset,
        "scaler": None,
        "optimizer": None,
        "progress": c.progress,
        "run": c.run,
        "target_scaler": c.target_scaler,
    }  # two floats: exact in JSON
    if c.scaler is not None:
        meta["scaler"] = {"method": c.scaler["method"]}
        arrays.update(_flat("scaler", {"centre": c.scaler["centre"], "scale": c.scaler["scale"]}))
    if c.optimizer is not None:
        meta["optimizer"] = dict(
            c.optimizer,
            step=int(c.optimizer_state["step"]),
            slots=[slot for slot in c.optimizer_state if slot != "step"],
        )
        for slot, buffers in c.optimizer_state.items():
            if slot != "step":
                arrays.update(_flat(f"optimizer/{slot}", buffers))
        arrays.update(_flat("last_params", c.last_params))
    return save_checkpoint(path, arrays, meta)


def expected_shapes(model):
    """{name: shape} of an MLP's parameters, from the architecture alone."""
    from scratch.nn.linear import Linear
    from scratch.nn.mlp import MLP

    mlp = MLP(model["sizes"], model["activation"], model["dropout"], model.get("init"))
    return {
        f"{i}.{key}": shape
        for i, layer in enumerate(mlp.layers)
        if isinstance(layer, Linear)
        for key, shape in (("W", (layer.d_in, layer.d_out)), ("b", (layer.d_out,)))
    }


def check_shapes(where, arrays, expected, dtype=None):
    """Every expected parameter present with its shape (and dtype): else one error naming
    the key and both shapes."""
    missing = sorted(set(expected) - set(arrays))
    extra = sorted(set(arrays) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"{where}: parameters do not match the architecture: missing "
            f"{missing}, unexpected {extra}"
        )
    for name, shape in expected.items():
        if tuple(arrays[name].shape) != tuple(shape):
            raise CheckpointError(
                f"{where}: {name!r} has shape {tuple(arrays[name].shape)}; the "
                f"architecture expects {tuple(shape)}"
            )
        if dtype is not None and arrays[name].dtype != np.dtype(dtype):
            raise CheckpointError(
                f"{where}: {name!r} has dtype {arrays[name].dtype}; the checkpoint says {dtype}"
            )


def load_run_checkpoint(path):
    """The RunCheckpoint in `path`. A file of the old format (parameters with only sizes,
    activation and dataset), another version, a foreign or truncated file, or parameters
    that do not fit the architecture: CheckpointError with the reason, in one line."""
    arrays, meta = load_checkpoint(path)
    if meta.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a checkpoint of the old format (besides parameters it "
            f"holds only {sorted(meta)}): it lacks the format version, dropout, "
            f"dtype, task and class names, scaler statistics, optimizer state "
            f"and training position; train again with --checkpoint to write a "
            f"self-describing one"
        )
    if meta.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {meta.get('version')!r}; "
            f"this program reads version {VERSION}"
        )
    required = ("model", "dtype", "task", "class_names", "feature_names", "dataset", "scaler")
    lacking = [k for k in required if k not in meta]
    if lacking:
        raise CheckpointError(f"{path} lacks {lacking} in its description")

    def group(prefix):
        start = prefix + "/"
        return {k[len(start) :]: v for k, v in arrays.items() if k.startswith(start)}

    try:
        shapes = expected_shapes(meta["model"])
    except (TypeError, ValueError, KeyError) as error:
        raise CheckpointError(
            f"{path} describes an unusable model {meta['model']}: {error}"
        ) from None
    params = group("params")
    check_shapes(f"{path} params", params, shapes, meta["dtype"])
    scaler = None
    if meta["scaler"] is not None:
        stats = group("scaler")
        D = meta["model"]["sizes"][0]
        for key in ("centre", "scale"):
            if key not in stats or stats[key].shape != (D,):
                got = stats[key].shape if key in stats else "nothing"
                raise CheckpointError(f"{path}: scaler {key!r} should have shape ({D},); got {got}")
        scaler = {"method": meta["scaler"]["method"], **stats}
    optimizer = state = last = None
    if meta.get("optimizer") is not None:
        optimizer = dict(meta["optimizer"])
        state = {"step": int(optimizer.pop("step"))}
        for slot in optimizer.pop("slots"):
            state[slot] = group(f"optimizer/{slot}")
            check_shapes(f"{path} optimizer {slot}", state[slot], shapes, meta["dtype"])
        last = group("last_params")
        check_shapes(f"{path} last_params", last, shapes, meta["dtype"])
    return RunCheckpoint(
        meta["model"],
        meta["dtype"],
        meta["task"],
        meta["class_names"],
        meta["feature_names"],
        meta["dataset"],
        scaler,
        params,
        optimizer,
        state,
        last,
        meta.get("progress"),
        meta.get("run"),
        meta.get("target_scaler"),
    )
