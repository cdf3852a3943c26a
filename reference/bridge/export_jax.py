"""A scratch checkpoint as files plain JAX + optax read: one `.npz`.

Why .npz: NumPy's zip of .npy arrays is read by `np.load(path, allow_pickle=False)` in
every JAX installation, holds float64 exactly, and runs no code when loaded (a pickle of
pytrees would, which is unsafe for files from elsewhere). A pytree's structure is not an
array, so it travels as text: every leaf is stored under its path as
`jax.tree_util.keystr` prints it, and a JSON "config" says how to rebuild the structure:

    config                  JSON: sizes, activation, dropout, dtype, task, class_names,
                            feature_names, dataset, scaler_method, plan, and "optax": the
                            transformations of optax.chain(...), each {"optax": name,
                            "kwargs": {...}}, a schedule nested the same way
    params[0]['W'], params[0]['b'], params[1]['W'], ...
                            the params pytree: a list with one {"W": (in, out), "b": (out,)}
                            per Linear layer, the parameters after the last step
    best_params[...]        the same for the best epoch's parameters
    opt_state<keystr>       each leaf of the optax state, e.g. opt_state[0][0].mu[1]['W']
                            (optax.adam: ScaleByAdamState mu = exp_avg, nu = exp_avg_sq,
                            count = step), so that optimizer.init(params) gives the template
                            and jax.tree_util.tree_map_with_path fills it
    scaler_centre, scaler_scale   (D,) apply to raw features: (x - centre) / scale

The optax chain is the one the jax optimizer twin builds (the parity tests hold it equal to
scratch's optimizer); settings optax cannot express are refused with the twin's reason.
"""

import io
import json

import jax
import numpy as np

from reference.bridge.export_torch import config_of
from scratch.training.checkpoint import optimizer_from_config
from scratch.training.outputs import atomic_write

FORMAT = "tiny-mlp-parity jax export"
VERSION = 1
# optax state field -> scratch slot (RMSProp's trace is handled apart: it is scaled by -lr)
FIELDS = {
    "adam": {"mu": "exp_avg", "nu": "exp_avg_sq"},
    "adamw": {"mu": "exp_avg", "nu": "exp_avg_sq"},
    "sgd": {"trace": "momentum_buffer"},
    "rmsprop": {"nu": "square_avg", "mu": "grad_avg", "trace": "momentum_buffer"},
}


def linear_names(params):
    """Scratch layer indices of the Linear layers, in order ("0", "3", ...)."""
    return sorted({k.split(".")[0] for k in params}, key=int)


def params_pytree(params):
    """scratch {"0.W": (in, out), ...} -> [{"W": (in, out), "b": (out,)}, ...] as numpy."""
    return [{"W": params[f"{i}.W"], "b": params[f"{i}.b"]} for i in linear_names(params)]


def schedule_spec(config):
    c = dict(config)
    cls = c.pop("class")
    if cls == "Constant":
        return c["lr"]
    if cls == "StepDecay":
        return {
            "optax": "exponential_decay",
            "kwargs": {
                "init_value": c["lr"],
                "transition_steps": c["step_size"],
                "decay_rate": c["gamma"],
                "staircase": True,
            },
        }
    return {
        "optax": "warmup_cosine_decay_schedule",
        "kwargs": {
            "init_value": c["warmup_start_lr"],
            "peak_value": c["peak_lr"],
            "warmup_steps": c["warmup_steps"],
            "decay_steps": c["total_steps"],
            "end_value": c["final_lr"],
        },
    }


def optax_spec(checkpoint):
    """The list of transformations for optax.chain, as JSON-able specs."""
    from reference.jax.optim import optimizers as jax_optimizers

    config = checkpoint.optimizer
    hyper = config["hyperparameters"]
    # the twin refuses what optax cannot express (dampening, torch's amsgrad, clip_eps > 0 ...)
    mask_fn = optimizer_from_config(config).decay_mask
    getattr(jax_optimizers, config["class"])(lr=1.0, decay_mask=mask_fn, **hyper)
    lr = schedule_spec(config["lr"])
    if not isinstance(lr, float) and config["class"] == "RMSProp" and hyper["momentum"]:
        raise NotImplementedError(
            "optax.rmsprop applies momentum after the learning-rate scale; "
            "with a schedule that differs from torch"
        )
    mask = None
    if mask_fn is not None:
        mask = [
            {k: bool(mask_fn(f"{i}.{k}", v)) for k, v in layer.items()}
            for i, layer in zip(
                linear_names(checkpoint.last_params), params_pytree(checkpoint.last_params)
            )
        ]
    parts = []
    if hyper["max_grad_norm"] is not None:
        parts.append(
            {"optax": "clip_by_global_norm", "kwargs": {"max_norm": hyper["max_grad_norm"]}}
        )
    if hyper["weight_decay"] and config["class"] != "AdamW":  # L2 on the gradient, as torch
        parts.append(
            {
                "optax": "add_decayed_weights",
                "kwargs": {"weight_decay": hyper["weight_decay"], "mask": mask},
            }
        )
    if config["class"] == "SGD":
        parts.append(
            {
                "optax": "sgd",
                "kwargs": {
                    "learning_rate": lr,
                    "momentum": hyper["momentum"] or None,
                    "nesterov": hyper["nesterov"],
                },
            }
        )
    elif config["class"] == "RMSProp":
        parts.append(
            {
                "optax": "rmsprop",
                "kwargs": {
                    "learning_rate": lr,
                    "decay": hyper["alpha"],
                    "eps": hyper["eps"],
                    "eps_in_sqrt": False,
                    "centered": hyper["centered"],
                    "momentum": hyper["momentum"] or None,
                },
            }
        )
    else:
        kwargs = {
            "learning_rate": lr,
            "b1": hyper["betas"][0],
            "b2": hyper["betas"][1],
            "eps": hyper["eps"],
            "eps_root": 0.0,
        }
        if config["class"] == "AdamW":
            kwargs.update(weight_decay=hyper["weight_decay"], mask=mask)
        parts.append({"optax": config["class"].lower(), "kwargs": kwargs})
    return parts


def build(spec):
    """An optax object from a spec (what the README's pure-JAX lines do too)."""
    import optax

    if isinstance(spec, dict) and "optax" in spec:
        return getattr(optax, spec["optax"])(**{k: build(v) for k, v in spec["kwargs"].items()})
    return spec


def path_parts(path):
    """(optax field name or None, layer position, "W"/"b") of a state leaf's path."""
    field, rest = None, []
    for key in path:
        if isinstance(key, jax.tree_util.GetAttrKey):
            field, rest = key.name, []
        else:
            rest.append(key)
    if len(rest) == 2:
        return field, rest[0].idx, rest[1].key
    return field, None, None


def opt_state_leaves(checkpoint, parts):
    """{"opt_state<keystr>": array} from the checkpoint's buffers, shaped by optax itself."""
    import jax.numpy as jnp
    import optax

    chain = optax.chain(*[build(p) for p in parts])
    params = jax.tree_util.tree_map(jnp.asarray, params_pytree(checkpoint.last_params))
    template = chain.init(params)
    names = linear_names(checkpoint.last_params)
    state, step = checkpoint.optimizer_state, int(checkpoint.optimizer_state["step"])
    fields = FIELDS[parts[-1]["optax"]]
    lr = parts[-1]["kwargs"]["learning_rate"]
    out = {}
    for path, leaf in jax.tree_util.tree_flatten_with_path(template)[0]:
        field, position, key = path_parts(path)
        if field == "count":
            value = np.asarray(step, dtype=leaf.dtype)
        elif field in fields and position is not None:
            value = state[fields[field]][f"{names[position]}.{key}"]
            if parts[-1]["optax"] == "rmsprop" and field == "trace":
                value = -lr * value  # optax traces the scaled update, torch the raw g / avg
        else:
            raise ValueError(
                f"export to jax: no scratch counterpart for optax state leaf "
                f"{jax.tree_util.keystr(path)}"
            )
        if tuple(np.shape(value)) != tuple(leaf.shape):
            raise ValueError(
                f"export to jax: {jax.tree_util.keystr(path)} has shape "
                f"{np.shape(value)}; optax expects {leaf.shape}"
            )
        out["opt_state" + jax.tree_util.keystr(path)] = np.asarray(value, dtype=leaf.dtype)
    return out


def flat(prefix, tree):
    return {
        prefix + jax.tree_util.keystr(path): np.asarray(leaf)
        for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]
    }


def jax_export(checkpoint):
    """{name: array} for np.savez, the config as a 0-d string array."""
    config = dict(
        config_of(checkpoint),
        format=FORMAT,
        version=VERSION,
        scaler_method=None if checkpoint.scaler is None else checkpoint.scaler["method"],
        optax=None,
        plan=None,
    )
    arrays = flat("best_params", params_pytree(checkpoint.params))
    last = checkpoint.last_params if checkpoint.optimizer is not None else checkpoint.params
    arrays.update(flat("params", params_pytree(last)))
    if checkpoint.scaler is not None:
        arrays["scaler_centre"] = checkpoint.scaler["centre"]
        arrays["scaler_scale"] = checkpoint.scaler["scale"]
    if checkpoint.optimizer is not None:
        config["optax"] = optax_spec(checkpoint)
        arrays.update(opt_state_leaves(checkpoint, config["optax"]))
        p = checkpoint.progress or {}
        config["plan"] = {k: p.get(k) for k in ("seed", "batch_size", "epoch", "step")}
    arrays["config"] = np.array(json.dumps(config))
    return arrays


def write_jax_export(checkpoint, path):
    arrays = jax_export(checkpoint)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **arrays)
    return atomic_write(path, lambda f: f.write(buffer.getvalue()))
