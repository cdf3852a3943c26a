"""Back into scratch: a torch export, a jax export, or the state_dict of a compatible
nn.Sequential a user trained in plain torch, as a scratch checkpoint; and the export and
import commands.

What comes back: the architecture, dtype, task and class names, the scaler, the best and the
last parameters, the optimizer (class, schedule, hyperparameters, decay mask) and every
buffer with its step count. Scratch -> torch -> scratch and scratch -> jax -> scratch give
these back bit for bit. The training history and early-stopping bookkeeping stay in the
original checkpoint (plain torch and JAX have no use for them), so an imported checkpoint
predicts, exports and continues in the frameworks, but `train --resume` needs the original.
"""

import json
import re
import zipfile

import numpy as np

from scratch.optim.optimizers import skip_vectors
from scratch.training.checkpoint import (
    CheckpointError,
    RunCheckpoint,
    check_shapes,
    expected_shapes,
    load_run_checkpoint,
    save_run_checkpoint,
)

TORCH_TO_SCRATCH = {"SGD": "SGD", "RMSprop": "RMSProp", "Adam": "Adam", "AdamW": "AdamW"}
OPTAX_TO_SCRATCH = {"sgd": "SGD", "rmsprop": "RMSProp", "adam": "Adam", "adamw": "AdamW"}


def scratch_name(torch_name):
    """ "0.weight" -> "0.W", "0.bias" -> "0.b"."""
    index, kind = torch_name.rsplit(".", 1)
    if kind not in ("weight", "bias") or not index.isdigit():
        raise CheckpointError(
            f"state_dict key {torch_name!r} is not the weight or bias of a "
            f"layer of an nn.Sequential"
        )
    return f"{index}.{'W' if kind == 'weight' else 'b'}"


def from_torch(name, tensor):
    """A tensor in torch layout -> numpy in scratch layout (weights transposed to (in, out))."""
    array = tensor.detach().cpu().numpy()
    return np.ascontiguousarray(array.T) if scratch_name(name).endswith(".W") else array.copy()


def scratch_params(state_dict):
    return {scratch_name(k): from_torch(k, v) for k, v in state_dict.items()}


def mask_config(decayed, params):
    """The decayed parameters' names -> the checkpoint's decay_mask."""
    decayed = sorted(decayed)
    if decayed == sorted(params):
        return None
    if decayed == sorted(k for k, v in params.items() if skip_vectors(k, v)):
        return "skip_vectors"
    return decayed


# --- torch ---------------------------------------------------------------------------------


def read_torch(path):
    """The file's content, loaded with weights_only=True (a foreign pickle is refused)."""
    import torch

    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:  # noqa: BLE001  (torch raises many kinds; all mean "refused")
        text = str(error).strip()
        first = text.splitlines()[0] if text else type(error).__name__
        raise CheckpointError(
            f"{path} was refused by torch.load(weights_only=True) (a foreign "
            f"pickle, or a damaged file): {first}"
        ) from None


def schedule_from_torch(export, group):
    scheduler = export["scheduler"]
    if scheduler is None:
        return {"class": "Constant", "lr": group["lr"]}
    if scheduler["class"] == "StepLR":
        return {"class": "StepDecay", "lr": group["initial_lr"], **scheduler["kwargs"]}
    peak, warmup, cosine = group["initial_lr"], scheduler["warmup"], scheduler["cosine"]
    return {
        "class": "WarmupCosine",
        "peak_lr": peak,
        "warmup_steps": warmup["total_iters"],
        "total_steps": cosine["T_max"] + warmup["total_iters"],
        "warmup_start_lr": warmup["start_factor"] * peak,
        "final_lr": cosine["eta_min"],
    }


def optimizer_from_torch(export, last, path, shapes, dtype):
    """(optimizer config, state) from torch.optim's own state_dict."""
    groups = export["optimizer"]["param_groups"]
    names = [scratch_name(n) for group in export["optimizer_param_names"] for n in group]
    decayed = [
        scratch_name(n)
        for group, g in zip(export["optimizer_param_names"], groups)
        if g["weight_decay"]
        for n in group
    ]
    g = groups[0]
    cls = TORCH_TO_SCRATCH[export["optimizer_class"]]
    hyper = {
        "weight_decay": max(group["weight_decay"] for group in groups),
        "max_grad_norm": export["config"]["max_grad_norm"],
        "clip_eps": 1e-6,
    }
    if cls == "SGD":
        hyper.update(momentum=g["momentum"], dampening=g["dampening"], nesterov=g["nesterov"])
    elif cls == "RMSProp":
        hyper.update(alpha=g["alpha"], eps=g["eps"], momentum=g["momentum"], centered=g["centered"])
    else:
        hyper.update(betas=list(g["betas"]), eps=g["eps"], amsgrad=g["amsgrad"])
    config = {
        "class": cls,
        "lr": schedule_from_torch(export, g),
        "hyperparameters": hyper,
        "decay_mask": mask_config(decayed, last) if hyper["weight_decay"] else None,
    }
    state = {"step": None}
    for index, name in enumerate(names):  # torch numbers parameters in param-group order
        for slot, value in export["optimizer"]["state"].get(index, {}).items():
            if slot == "step":
                state["step"] = int(value.item())
            else:
                array = value.detach().cpu().numpy()
                state.setdefault(slot, {})[name] = (
                    np.ascontiguousarray(array.T) if name.endswith(".W") else array.copy()
                )
    if state["step"] is None:  # SGD keeps no count: the plan's, or 0 before any step
        state["step"] = int((export["plan"] or {}).get("step") or 0)
    for slot, buffers in state.items():
        if slot != "step":
            check_shapes(f"{path} optimizer {slot}", buffers, shapes, dtype)
    return config, state


def checkpoint_from_torch_export(export, path):
    if export.get("version") != 1:
        raise CheckpointError(
            f"{path} is a torch export of version {export.get('version')!r}; "
            f"this program reads version 1"
        )
    config = export["config"]
    model = {
        "sizes": config["sizes"],
        "activation": config["activation"],
        "dropout": config["dropout"],
        "init": None,
    }
    shapes = expected_shapes(model)
    params, last = scratch_params(export["best_model"]), scratch_params(export["model"])
    check_shapes(f"{path} best_model", params, shapes, config["dtype"])
    check_shapes(f"{path} model", last, shapes, config["dtype"])
    scaler = None
    if export["scaler"] is not None:
        scaler = {
            "method": export["scaler"]["method"],
            "centre": export["scaler"]["centre"].numpy().copy(),
            "scale": export["scaler"]["scale"].numpy().copy(),
        }
    optimizer = state = None
    if export["optimizer"] is not None:
        optimizer, state = optimizer_from_torch(export, last, path, shapes, config["dtype"])
    return RunCheckpoint(
        model,
        config["dtype"],
        config["task"],
        config["class_names"],
        config["feature_names"],
        config["dataset"],
        scaler,
        params,
        optimizer,
        state,
        last if optimizer else None,
    )


def checkpoint_from_state_dict(
    state_dict, path, activation="relu", dropout=None, task="classification"
):
    """A bare nn.Sequential state_dict: Linear layers 2 apart (Linear, activation) or 3 apart
    (Linear, activation, Dropout). The architecture comes from the shapes, checked in a chain."""
    params = scratch_params(state_dict)
    indices = sorted({int(k.split(".")[0]) for k in params})
    gaps = {b - a for a, b in zip(indices, indices[1:])}
    if indices[0] != 0 or len(gaps) > 1 or (gaps and gaps - {2, 3}):
        raise CheckpointError(
            f"{path}: Linear layers at Sequential indices {indices}; expected "
            f"0, 2, 4, ... (Linear, activation) or 0, 3, 6, ... (with Dropout)"
        )
    with_dropout = gaps == {3}
    if with_dropout and dropout is None:
        raise CheckpointError(
            f"{path}: the Linear layers are 3 apart, so the model has Dropout "
            f"layers: give --dropout P"
        )
    if not with_dropout and dropout:
        raise CheckpointError(
            f"{path}: --dropout {dropout} given, but the Linear layers are 2 "
            f"apart (no Dropout layers)"
        )
    first = params.get("0.W")
    if first is None:
        raise CheckpointError(f"{path}: no '0.weight' (the first Linear layer's weight)")
    sizes = [first.shape[0]] + [params[f"{i}.W"].shape[1] for i in indices if f"{i}.W" in params]
    model = {"sizes": sizes, "activation": activation, "dropout": dropout or 0.0, "init": None}
    try:
        shapes = expected_shapes(model)
    except ValueError as error:
        raise CheckpointError(f"{path}: {error}") from None
    dtype = str(first.dtype)
    # names the key and both shapes when one layer does not feed the next
    check_shapes(f"{path} state_dict", params, shapes, dtype)
    classes = [str(c) for c in range(sizes[-1])] if task == "classification" else ["target"]
    return RunCheckpoint(
        model,
        dtype,
        task,
        classes,
        [f"x{i + 1}" for i in range(sizes[0])],
        "imported",
        None,
        params,
    )


# --- jax -----------------------------------------------------------------------------------

LEAF = re.compile(r"^opt_state.*\.(\w+)\[(\d+)\]\['(W|b)'\]$")


def schedule_from_optax(lr):
    if not isinstance(lr, dict):
        return {"class": "Constant", "lr": lr}
    k = lr["kwargs"]
    if lr["optax"] == "exponential_decay":
        return {
            "class": "StepDecay",
            "lr": k["init_value"],
            "step_size": k["transition_steps"],
            "gamma": k["decay_rate"],
        }
    return {
        "class": "WarmupCosine",
        "peak_lr": k["peak_value"],
        "warmup_steps": k["warmup_steps"],
        "total_steps": k["decay_steps"],
        "warmup_start_lr": k["init_value"],
        "final_lr": k["end_value"],
    }


def checkpoint_from_jax_export(arrays, path):
    config = json.loads(str(arrays["config"]))
    if config.get("version") != 1:
        raise CheckpointError(
            f"{path} is a jax export of version {config.get('version')!r}; "
            f"this program reads version 1"
        )
    model = {
        "sizes": config["sizes"],
        "activation": config["activation"],
        "dropout": config["dropout"],
        "init": None,
    }
    shapes = expected_shapes(model)
    names = sorted({k.split(".")[0] for k in shapes}, key=int)  # Linear indices, in order

    def params_of(prefix):
        out = {}
        for position, index in enumerate(names):
            for key in ("W", "b"):
                entry = f"{prefix}[{position}]['{key}']"
                if entry not in arrays:
                    raise CheckpointError(f"{path} lacks {entry!r}")
                out[f"{index}.{key}"] = arrays[entry]
        return out

    params, last = params_of("best_params"), params_of("params")
    check_shapes(f"{path} best_params", params, shapes, config["dtype"])
    check_shapes(f"{path} params", last, shapes, config["dtype"])
    scaler = None
    if config["scaler_method"] is not None:
        scaler = {
            "method": config["scaler_method"],
            "centre": arrays["scaler_centre"],
            "scale": arrays["scaler_scale"],
        }
    optimizer = state = None
    if config["optax"] is not None:
        parts = {p["optax"]: p["kwargs"] for p in config["optax"]}
        main = config["optax"][-1]
        cls, k = OPTAX_TO_SCRATCH[main["optax"]], main["kwargs"]
        decay = parts.get("add_decayed_weights", k if cls == "AdamW" else {})
        hyper = {
            "weight_decay": decay.get("weight_decay", 0.0),
            "max_grad_norm": parts.get("clip_by_global_norm", {}).get("max_norm"),
            "clip_eps": 0.0 if "clip_by_global_norm" in parts else 1e-6,
        }
        if cls == "SGD":
            hyper.update(momentum=k["momentum"] or 0.0, dampening=0.0, nesterov=k["nesterov"])
            fields = {"trace": "momentum_buffer"}
        elif cls == "RMSProp":
            hyper.update(
                alpha=k["decay"],
                eps=k["eps"],
                momentum=k["momentum"] or 0.0,
                centered=k["centered"],
            )
            fields = {"nu": "square_avg", "mu": "grad_avg", "trace": "momentum_buffer"}
        else:
            hyper.update(betas=[k["b1"], k["b2"]], eps=k["eps"], amsgrad=False)
            fields = {"mu": "exp_avg", "nu": "exp_avg_sq"}
        mask = decay.get("mask")
        decayed = (
            [f"{names[i]}.{key}" for i, layer in enumerate(mask) for key, on in layer.items() if on]
            if mask is not None
            else list(last)
        )
        optimizer = {
            "class": cls,
            "lr": schedule_from_optax(k["learning_rate"]),
            "hyperparameters": hyper,
            "decay_mask": mask_config(decayed, last) if hyper["weight_decay"] else None,
        }
        state = {"step": None}
        for entry in arrays:
            if entry.endswith(".count"):
                state["step"] = int(arrays[entry])
            match = LEAF.match(entry)
            if match:
                field, position, key = match.groups()
                value = arrays[entry]
                if cls == "RMSProp" and field == "trace":
                    value = value / -k["learning_rate"]  # optax's trace is -lr times torch's
                state.setdefault(fields[field], {})[f"{names[int(position)]}.{key}"] = value
        if state["step"] is None:
            state["step"] = int((config.get("plan") or {}).get("step") or 0)
        for slot, buffers in state.items():
            if slot != "step":
                check_shapes(f"{path} opt_state {slot}", buffers, shapes, config["dtype"])
    return RunCheckpoint(
        model,
        config["dtype"],
        config["task"],
        config["class_names"],
        config["feature_names"],
        config["dataset"],
        scaler,
        params,
        optimizer,
        state,
        last if optimizer else None,
    )


# --- the entry point and the commands -----------------------------------------------------


def import_file(path, activation="relu", dropout=None, task="classification"):
    """A RunCheckpoint from a torch export, a jax export or a bare torch state_dict."""
    if not zipfile.is_zipfile(path):
        raise CheckpointError(
            f"{path} is neither a torch file nor an .npz (not a zip archive: truncated or foreign)"
        )
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    if any(name.endswith("data.pkl") for name in names):  # torch.save's layout
        content = read_torch(path)
        if isinstance(content, dict) and content.get("format") == "tiny-mlp-parity torch export":
            return checkpoint_from_torch_export(content, path)
        import torch

        if (
            isinstance(content, dict)
            and content
            and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in content.items())
        ):
            return checkpoint_from_state_dict(content, path, activation, dropout, task)
        raise CheckpointError(
            f"{path} holds neither a torch export of this project nor an "
            f"nn.Sequential state_dict (a dict of tensors)"
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path} is not a readable .npz: {error}") from None
    if "config" not in arrays:
        raise CheckpointError(
            f"{path} is an .npz but not a jax export of this project (no 'config' entry)"
        )
    return checkpoint_from_jax_export(arrays, path)


def export_command(args):
    try:
        checkpoint = load_run_checkpoint(args.checkpoint)
        if args.to == "torch":
            from reference.bridge.export_torch import write_torch_export

            write_torch_export(checkpoint, args.out)
        else:
            from reference.bridge.export_jax import write_jax_export

            write_jax_export(checkpoint, args.out)
    except (CheckpointError, NotImplementedError) as error:
        raise SystemExit(f"error: {error}") from None
    print(f"{args.checkpoint} exported for {args.to} to {args.out}")
    return 0


def import_command(args):
    try:
        checkpoint = import_file(args.file, args.activation, args.dropout, args.task)
    except CheckpointError as error:
        raise SystemExit(f"error: {error}") from None
    save_run_checkpoint(args.out, checkpoint)
    print(
        f"{args.file} imported to {args.out} ({checkpoint.model['sizes']}, "
        f"{'with' if checkpoint.optimizer else 'without'} optimizer state)"
    )
    return 0
