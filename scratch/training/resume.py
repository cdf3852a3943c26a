"""Carrying a training run on from its checkpoint: `python -m scratch train --resume CKPT
--epochs N` ends exactly where `python -m scratch train --epochs N` would have, bit for bit.

Why it can: the plan draws each epoch's batch order and each step's dropout masks from
generators keyed by (seed, epoch, step), so epoch k + 1 gets the same batches and masks
whether or not the process stopped after epoch k; the checkpoint holds the parameters
after the last step (not only the best ones), every optimizer buffer and its step count
(which the schedule and the bias corrections read), and the early-stopping bookkeeping
(best loss, its epoch and parameters, epochs waited). The data, splits and scaler are
rebuilt from the saved options and checked against the saved statistics.
"""

import numpy as np

from scratch.training.checkpoint import (
    RUN_OPTIONS,
    CheckpointError,
    load_run_checkpoint,
    optimizer_from_config,
)
from scratch.training.train import History, Progress


def progress_of(checkpoint):
    """The checkpoint's Progress, for train(resume_from=...)."""
    p = checkpoint.progress
    return Progress(
        p["epoch"],
        History(**{k: list(v) for k, v in p["history"].items()}),
        float(p["best_loss"]),
        checkpoint.params if p["best_epoch"] else None,
        p["best_epoch"],
        p["waited"],
        checkpoint.last_params,
    )


def resumable(path):
    """The checkpoint at `path`, or CheckpointError saying why it cannot be resumed."""
    checkpoint = load_run_checkpoint(path)
    if checkpoint.optimizer is None or checkpoint.progress is None or checkpoint.run is None:
        raise CheckpointError(
            f"{path} holds a model without a training run (no optimizer state "
            f"or position in the plan): it can be used to predict or export, "
            f"not resumed"
        )
    if checkpoint.progress["stopped_early"]:
        raise CheckpointError(
            f"{path} is of a run that already stopped (early stopping or "
            f"divergence at epoch {checkpoint.progress['epoch']}): an "
            f"uninterrupted run would not go on either"
        )
    return checkpoint


def merge_options(args, defaults, checkpoint, path):
    """args with the run's saved options. An option given on the command line (differing
    from its default) that contradicts the checkpoint is an error, not silently ignored."""
    saved = checkpoint.run
    for name in RUN_OPTIONS:
        given, default = getattr(args, name), defaults.get(name)
        if given != default and given != saved[name]:
            flag = "--" + name.replace("_", "-")
            raise CheckpointError(
                f"{flag} {given} contradicts {path}, which was trained with "
                f"{flag} {saved[name]}: leave it out when resuming"
            )
        setattr(args, name, saved[name])
    done = checkpoint.progress["epoch"]
    if args.epochs <= done:
        raise CheckpointError(
            f"--epochs {args.epochs}: {path} has already run {done} epochs; "
            f"--epochs counts from the start of the run, so give more than {done}"
        )
    return args


def check_same_data(run, checkpoint, path):
    """The rebuilt split and scaler must be the ones the run was trained on."""
    progress = checkpoint.progress
    if run.plan.n_train != progress["n_train"]:
        raise CheckpointError(
            f"{path}: the training split now has {run.plan.n_train} rows; the "
            f"run had {progress['n_train']} (the data changed)"
        )
    if checkpoint.scaler is not None and not (
        np.array_equal(run.scaler.mean, checkpoint.scaler["centre"])
        and np.array_equal(run.scaler.std, checkpoint.scaler["scale"])
    ):
        raise CheckpointError(
            f"{path}: the scaler fitted now differs from the saved one (the data changed)"
        )


def resume_backend(backend_cls, run, checkpoint):
    """A NumPy backend holding the checkpoint's last parameters and optimizer state, and the
    Progress to hand to train(resume_from=...)."""
    optimizer = optimizer_from_config(checkpoint.optimizer)
    backend = backend_cls(run.mlp, checkpoint.last_params, optimizer, checkpoint.task)
    backend.state = {
        slot: ({k: np.array(v) for k, v in value.items()} if isinstance(value, dict) else value)
        for slot, value in checkpoint.optimizer_state.items()
    }
    return backend, progress_of(checkpoint)


def resume_command(args):
    """`python -m scratch train --resume CHECKPOINT --epochs N`; a user's mistake is one line."""
    import argparse

    from scratch.training.run import (
        BackendResult,
        add_training_options,
        describe,
        finish_run,
        prepare,
    )
    from scratch.training.train import Backend, train

    defaults = vars(add_training_options(argparse.ArgumentParser()).parse_args([]))
    try:
        checkpoint = resumable(args.resume)
        args = merge_options(args, defaults, checkpoint, args.resume)
        run = prepare(args)
        check_same_data(run, checkpoint, args.resume)
    except CheckpointError as error:
        raise SystemExit(f"error: {error}") from None
    print(describe(args, run))
    print(
        f"resuming {args.resume} after epoch {checkpoint.progress['epoch']} "
        f"(step {checkpoint.progress['step']})"
    )
    backend, start = resume_backend(Backend, run, checkpoint)
    result = train(
        backend,
        run.splits,
        run.plan,
        args.epochs,
        args.patience,
        progress=not args.no_progress,
        label="numpy",
        resume_from=start,
    )
    test_loss, test_accuracy = backend.evaluate(run.splits.test.X, run.splits.test.y)
    finish_run(
        args, run, {"numpy": BackendResult(result, float(test_loss), float(test_accuracy), backend)}
    )
    return 0
