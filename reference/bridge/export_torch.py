"""A scratch checkpoint as a file plain PyTorch loads: `torch.load(path, weights_only=True)`.

The file is one dict of tensors, numbers, strings and lists (nothing that needs pickle's
arbitrary objects, so weights_only=True loads it and a foreign pickle is refused):

    format, version      "tiny-mlp-parity torch export", 1
    config               sizes, activation, dropout, dtype, task, class_names,
                         feature_names, dataset, max_grad_norm (clip before each step, or None)
    scaler               {"method", "centre" (D,), "scale" (D,)} or None: apply to raw features
    model                nn.Sequential state_dict ("0.weight" (out, in), "0.bias" (out,)):
                         the parameters after the last step, which the optimizer state fits
    best_model           the same for the best epoch's parameters (what scratch evaluated)
    optimizer_class      the torch.optim class name ("Adam", "AdamW", "SGD", "RMSprop")
    optimizer            that optimizer's own state_dict (exp_avg, exp_avg_sq, step, ...)
    optimizer_param_names  per param group, the state_dict names of its parameters
    scheduler            None, or {"class", "kwargs", "state_dict"} (StepLR), or for the
                         warm-up cosine {"class": "SequentialLR", "warmup": LinearLR kwargs,
                         "cosine": CosineAnnealingLR kwargs, "milestones", "state_dict"}
    plan                 seed, batch_size, epoch, step: where the scratch run stopped

The optimizer's state_dict is produced by torch itself: the torch twin builds the
torch.optim optimizer (the one the parity tests hold equal to scratch's), its state is set
from the checkpoint's buffers, the scheduler is stepped once per update done, and
`optimizer.state_dict()` is what is saved.
"""

import warnings

import numpy as np
import torch

from reference.torch.nn.mlp import to_torch_name
from reference.torch.optim import optimizers as torch_optimizers
from reference.torch.optim import schedules as torch_schedules
from scratch.training.checkpoint import optimizer_from_config
from scratch.training.outputs import atomic_write

FORMAT = "tiny-mlp-parity torch export"
VERSION = 1


def state_dict_of(params):
    """scratch parameters -> nn.Sequential state_dict tensors (weights transposed)."""
    return {
        to_torch_name(k): torch.from_numpy(np.ascontiguousarray(v.T if k.endswith(".W") else v))
        for k, v in params.items()
    }


def config_of(checkpoint):
    m = checkpoint.model
    optimizer = checkpoint.optimizer or {}
    return {
        "sizes": list(m["sizes"]),
        "activation": m["activation"],
        "dropout": m["dropout"],
        "dtype": checkpoint.dtype,
        "task": checkpoint.task,
        "class_names": list(checkpoint.class_names),
        "feature_names": list(checkpoint.feature_names),
        "dataset": checkpoint.dataset,
        "max_grad_norm": optimizer.get("hyperparameters", {}).get("max_grad_norm"),
    }


def scheduler_description(schedule, scheduler):
    if scheduler is None:
        return None
    if isinstance(schedule, torch_schedules.StepDecay):
        return {
            "class": "StepLR",
            "kwargs": {"step_size": schedule.step_size, "gamma": schedule.gamma},
            "state_dict": scheduler.state_dict(),
        }
    return {
        "class": "SequentialLR",
        "warmup": {
            "start_factor": schedule.warmup_start_lr / schedule.peak_lr,
            "end_factor": 1.0,
            "total_iters": schedule.warmup_steps,
        },
        "cosine": {
            "T_max": schedule.total_steps - schedule.warmup_steps,
            "eta_min": schedule.final_lr,
        },
        "milestones": [schedule.warmup_steps],
        "state_dict": scheduler.state_dict(),
    }


def torch_optimizer_of(checkpoint, tensors):
    """(twin, its state: torch.optim optimizer + scheduler) driving `tensors` (scratch names ->
    nn.Parameter in torch layout), holding the checkpoint's optimizer state."""
    config = dict(checkpoint.optimizer)
    schedule_config = dict(config["lr"])
    schedule = getattr(torch_schedules, schedule_config.pop("class"))(**schedule_config)
    mask = optimizer_from_config(config).decay_mask  # the same callable scratch used
    twin = getattr(torch_optimizers, config["class"])(
        lr=schedule, decay_mask=mask, **config["hyperparameters"]
    )
    state = twin.attach(tensors)
    step = int(checkpoint.optimizer_state["step"])
    if step:
        for name, tensor in tensors.items():
            slots = {
                slot: torch.from_numpy(
                    np.ascontiguousarray(buffers[name].T if name.endswith(".W") else buffers[name])
                )
                for slot, buffers in checkpoint.optimizer_state.items()
                if slot != "step"
            }
            if config["class"] != "SGD":  # SGD keeps no step count, the others a float32 one
                slots["step"] = torch.tensor(float(step), dtype=torch.float32)
            state.optimizer.state[tensor] = slots
    if state.scheduler is not None:
        with warnings.catch_warnings():  # "scheduler.step() before optimizer.step()": intended
            warnings.simplefilter("ignore")
            for _ in range(step):
                state.scheduler.step()
    state.step = step
    return twin, state


def torch_export(checkpoint):
    """The dict written by `export --to torch` (see the module docstring)."""
    export = {
        "format": FORMAT,
        "version": VERSION,
        "config": config_of(checkpoint),
        "scaler": None,
        "best_model": state_dict_of(checkpoint.params),
        "model": state_dict_of(checkpoint.params),
        "optimizer_class": None,
        "optimizer": None,
        "optimizer_param_names": None,
        "scheduler": None,
        "plan": None,
    }
    if checkpoint.scaler is not None:
        export["scaler"] = {
            "method": checkpoint.scaler["method"],
            "centre": torch.from_numpy(checkpoint.scaler["centre"]),
            "scale": torch.from_numpy(checkpoint.scaler["scale"]),
        }
    if checkpoint.optimizer is not None:
        export["model"] = state_dict_of(checkpoint.last_params)
        tensors = {
            k: torch.nn.Parameter(v)
            for k, v in zip(checkpoint.last_params, export["model"].values())
        }
        twin, state = torch_optimizer_of(checkpoint, tensors)
        names = {id(t): to_torch_name(k) for k, t in tensors.items()}
        export["optimizer_class"] = type(state.optimizer).__name__
        export["optimizer"] = state.optimizer.state_dict()
        export["optimizer_param_names"] = [
            [names[id(p)] for p in group["params"]] for group in state.optimizer.param_groups
        ]
        export["scheduler"] = scheduler_description(twin.schedule, state.scheduler)
        p = checkpoint.progress or {}
        export["plan"] = {k: p.get(k) for k in ("seed", "batch_size", "epoch", "step")}
    return export


def write_torch_export(checkpoint, path):
    export = torch_export(checkpoint)
    return atomic_write(path, lambda f: torch.save(export, f))
