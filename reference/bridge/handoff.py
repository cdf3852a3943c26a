"""`python -m reference handoff`: a scratch run handed to plain PyTorch and plain JAX midway.

    scratch, epochs 1..k ──checkpoint──┬── scratch alone (train --resume), epochs k+1..N
                                       ├── export --to torch ── nn.Sequential + torch.optim
                                       └── export --to jax ──── jax.jit step + optax

Each continuation starts from the exported *file* alone (model, optimizer state, scaler)
and is written as a user of that framework would write it, with nothing from this project
but the data and the plan. The plan supplies the same batch order and the same dropout
masks in all three, because masks cannot be matched across framework RNGs (PARITY_NOTES):
torch gets them through a forward hook on each nn.Dropout, JAX as an argument of its step.
Compared: the final parameters (max |Δparam| against scratch), the loss at every step
after the hand-off, the final step's loss and the test accuracy of the final parameters.
Target, in float64: max |Δparam| <= 1e-9 and identical test accuracies.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from scratch.optim import optimizers
from scratch.training.checkpoint import checkpoint_of_run, load_run_checkpoint, save_run_checkpoint
from scratch.training.resume import resume_backend
from scratch.training.run import add_training_options, prepare, run_backend
from scratch.training.train import Backend, accuracy_of, train

TARGET = 1e-9


def training_args(args):
    """The train options of the main job, with the hand-off's choices."""
    train_args = add_training_options(argparse.ArgumentParser()).parse_args([])
    for name in (
        "dataset",
        "hidden",
        "dropout",
        "optimizer",
        "lr",
        "weight_decay",
        "batch_size",
        "seed",
    ):
        setattr(train_args, name, getattr(args, name))
    train_args.epochs, train_args.no_progress, train_args.dtype = (
        args.handoff_epoch,
        True,
        "float64",
    )
    return train_args


def raw(run, subset):
    """A split's raw features (what a user has: the export's scaler is applied in each
    framework)."""
    return run.dataset.X[subset.indices], subset.y


# --- plain PyTorch ----------------------------------------------------------------------


def continue_in_torch(path, run, start_epoch, epochs):
    """From the torch export at `path`: rebuild, train epochs start_epoch+1..epochs on the
    plan's batches and masks, and return (final params in scratch layout, step losses,
    test accuracy)."""
    import torch
    from torch import nn

    export = torch.load(path, weights_only=True)
    config = export["config"]
    dtype = getattr(torch, config["dtype"])
    activation = {
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "gelu": nn.GELU,
        "leaky_relu": lambda: nn.LeakyReLU(0.01),
    }[config["activation"]]
    sizes, layers = config["sizes"], []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(d_in, d_out, dtype=dtype))
        if i < len(sizes) - 2:
            layers += [activation()] + (
                [nn.Dropout(config["dropout"])] if config["dropout"] else []
            )
    model = nn.Sequential(*layers)
    model.load_state_dict(export["model"])
    named = dict(model.named_parameters())
    optimizer = getattr(torch.optim, export["optimizer_class"])(
        [{"params": [named[name] for name in group]} for group in export["optimizer_param_names"]]
    )
    optimizer.load_state_dict(export["optimizer"])
    if export["scheduler"] is not None:
        raise NotImplementedError("the hand-off demo continues constant learning rates only")

    scaler = export["scaler"]

    def features(X_raw):
        return ((torch.from_numpy(X_raw) - scaler["centre"]) / scaler["scale"]).to(dtype)

    X_train, y_train = raw(run, run.splits.train)
    X_train, y_train = features(X_train), torch.from_numpy(y_train)
    masks = {}  # layer index -> this step's keep-mask, read by the hooks below

    def replay_mask(module, inputs, output, index):
        # nn.Dropout drew its own mask; replace its output with the plan's, same formula
        return inputs[0] * masks[index] / (1 - module.p) if module.training else output

    for index, layer in enumerate(model):
        if isinstance(layer, nn.Dropout):
            layer.register_forward_hook(lambda m, i, o, index=index: replay_mask(m, i, o, index))
    losses = []
    model.train()
    for epoch in range(start_epoch + 1, epochs + 1):
        for step, rows in enumerate(run.plan.batches(epoch)):
            masks.update(
                {k: torch.from_numpy(v) for k, v in run.plan.masks(epoch, step, len(rows)).items()}
            )
            rows = torch.from_numpy(rows)
            loss = nn.functional.cross_entropy(model(X_train[rows]), y_train[rows])
            optimizer.zero_grad()
            loss.backward()
            if config["max_grad_norm"] is not None:
                nn.utils.clip_grad_norm_(model.parameters(), config["max_grad_norm"])
            optimizer.step()
            losses.append(loss.item())
    model.eval()
    X_test, y_test = raw(run, run.splits.test)
    with torch.no_grad():
        accuracy = float((model(features(X_test)).argmax(dim=1).numpy() == y_test).mean())
    params = {}
    for name, tensor in model.state_dict().items():
        index, kind = name.split(".")
        value = tensor.numpy()
        params[f"{index}.{'W' if kind == 'weight' else 'b'}"] = (
            value.T if kind == "weight" else value
        )
    return params, losses, accuracy


# --- plain JAX + optax ------------------------------------------------------------------


def continue_in_jax(path, run, start_epoch, epochs):
    """The same from the jax export: a jax.jit step of value_and_grad and the optax update."""
    import jax
    import jax.numpy as jnp
    import optax

    from reference.jax._autodiff import require_x64

    require_x64()
    data = np.load(path, allow_pickle=False)
    config = json.loads(str(data["config"]))
    params = [
        {k: jnp.asarray(data[f"params[{i}]['{k}']"]) for k in ("W", "b")}
        for i in range(len(config["sizes"]) - 1)
    ]

    def build(spec):
        if isinstance(spec, dict) and "optax" in spec:
            return getattr(optax, spec["optax"])(**{k: build(v) for k, v in spec["kwargs"].items()})
        return spec

    optimizer = optax.chain(*[build(spec) for spec in config["optax"]])
    opt_state = jax.tree_util.tree_map_with_path(
        lambda path, leaf: jnp.asarray(data["opt_state" + jax.tree_util.keystr(path)]),
        optimizer.init(params),
    )
    activation = {
        "relu": jax.nn.relu,
        "tanh": jnp.tanh,
        "sigmoid": jax.nn.sigmoid,
        "gelu": lambda x: jax.nn.gelu(x, approximate=False),
        "leaky_relu": jax.nn.leaky_relu,
    }[config["activation"]]
    p = config["dropout"]

    def forward(params, X, masks=None):
        for i, layer in enumerate(params[:-1]):
            X = activation(X @ layer["W"] + layer["b"])
            if masks is not None:  # the plan's keep-mask of hidden layer i
                X = X * masks[i] / (1 - p)
        return X @ params[-1]["W"] + params[-1]["b"]

    def loss_fn(params, X, y, masks):
        return optax.softmax_cross_entropy_with_integer_labels(forward(params, X, masks), y).mean()

    @jax.jit
    def step(params, opt_state, X, y, masks):
        loss, grads = jax.value_and_grad(loss_fn)(params, X, y, masks)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def features(X_raw):
        return (jnp.asarray(X_raw) - data["scaler_centre"]) / data["scaler_scale"]

    X_train, y_train = raw(run, run.splits.train)
    X_train = np.asarray(features(X_train))  # scaled by JAX; batches are then cut in NumPy
    losses = []
    for epoch in range(start_epoch + 1, epochs + 1):
        for step_index, rows in enumerate(run.plan.batches(epoch)):
            plan_masks = run.plan.masks(epoch, step_index, len(rows))
            masks = [jnp.asarray(plan_masks[k]) for k in sorted(plan_masks)] if p else None
            params, opt_state, loss = step(params, opt_state, X_train[rows], y_train[rows], masks)
            losses.append(float(loss))
    X_test, y_test = raw(run, run.splits.test)
    accuracy = float(
        np.mean(np.asarray(jnp.argmax(forward(params, features(X_test)), axis=1)) == y_test)
    )
    names = sorted({k.split(".")[0] for k in run.params}, key=int)
    out = {
        f"{index}.{key}": np.asarray(params[i][key])
        for i, index in enumerate(names)
        for key in ("W", "b")
    }
    return out, losses, accuracy


# --- the demo ----------------------------------------------------------------------------


def handoff(args):
    """{"scratch"|"torch"|"jax": (final params, losses after the hand-off, test accuracy)}
    and the run, after writing the checkpoint and both exports to args.workdir."""
    from reference.bridge.export_jax import write_jax_export
    from reference.bridge.export_torch import write_torch_export

    if not args.handoff_epoch < args.epochs:
        raise SystemExit(
            f"error: --handoff-epoch {args.handoff_epoch} must be below --epochs {args.epochs}"
        )
    train_args = training_args(args)
    run = prepare(train_args)
    if run.dataset.task != "classification":
        raise SystemExit("error: the hand-off demo continues classification runs (cross-entropy)")
    workdir = Path(args.workdir)
    first = run_backend("numpy", Backend, optimizers, run, train_args)
    checkpoint_path = save_run_checkpoint(
        workdir / "scratch.npz", checkpoint_of_run(train_args, run, first)
    )
    checkpoint = load_run_checkpoint(checkpoint_path)
    write_torch_export(checkpoint, workdir / "handoff.pt")
    write_jax_export(checkpoint, workdir / "handoff_jax.npz")

    backend, start = resume_backend(Backend, run, checkpoint)  # scratch carrying on alone
    result = train(backend, run.splits, run.plan, args.epochs, None, resume_from=start)
    last = result.progress.last_params
    backend.set_params(last)
    logits, _ = run.mlp.forward(last, run.splits.test.X)
    steps_before = len(start.history.step_loss)
    outcomes = {
        "scratch": (
            last,
            result.history.step_loss[steps_before:],
            accuracy_of(logits, run.splits.test.y),
        )
    }
    outcomes["torch"] = continue_in_torch(
        workdir / "handoff.pt", run, args.handoff_epoch, args.epochs
    )
    outcomes["jax"] = continue_in_jax(
        workdir / "handoff_jax.npz", run, args.handoff_epoch, args.epochs
    )
    return outcomes, run


def report(args, outcomes, run):
    reference_params, reference_losses, reference_accuracy = outcomes["scratch"]
    payload = {
        "dataset": run.dataset.name,
        "dtype": "float64",
        "model": repr(run.mlp),
        "optimizer": run.optimizer[0],
        "handoff_epoch": args.handoff_epoch,
        "epochs": args.epochs,
        "steps_after_handoff": len(reference_losses),
        "target_max_abs_param_diff": TARGET,
        "backends": {},
    }
    met = True
    for name, (params, losses, accuracy) in outcomes.items():
        entry = {"test_accuracy": accuracy, "final_loss": losses[-1]}
        if name != "scratch":
            entry["max_abs_param_diff"] = max(
                float(np.max(np.abs(params[k] - reference_params[k]))) for k in reference_params
            )
            entry["max_abs_loss_diff"] = float(
                np.max(np.abs(np.subtract(losses, reference_losses)))
            )
            entry["met"] = (
                entry["max_abs_param_diff"] <= TARGET
                and accuracy == reference_accuracy
                and len(losses) == len(reference_losses)
            )
            met &= entry["met"]
        payload["backends"][name] = entry
    payload["met"] = met
    return payload


def print_table(payload):
    print(
        f"{payload['dataset']}: {payload['model']}, {payload['optimizer']}; scratch for "
        f"epochs 1-{payload['handoff_epoch']}, then each backend from the exported files for "
        f"epochs {payload['handoff_epoch'] + 1}-{payload['epochs']} "
        f"({payload['steps_after_handoff']} steps), float64"
    )
    header = (
        f"{'backend':<9}{'test acc':>9}{'final loss':>12}{'max |dparam|':>14}{'max |dloss|':>13}"
    )
    print(header)
    print("-" * len(header))
    for name, entry in payload["backends"].items():
        diffs = (
            f"{entry['max_abs_param_diff']:>14.2e}{entry['max_abs_loss_diff']:>13.2e}"
            if "max_abs_param_diff" in entry
            else f"{'':>14}{'':>13}"
        )
        print(f"{name:<9}{entry['test_accuracy']:>9.4f}{entry['final_loss']:>12.6f}{diffs}")
    verdict = "met" if payload["met"] else "NOT met"
    print(
        f"target (max |dparam| <= {payload['target_max_abs_param_diff']:g} against scratch, "
        f"identical test accuracy): {verdict}"
    )


def handoff_command(args):
    outcomes, run = handoff(args)
    payload = report(args, outcomes, run)
    if args.json == "-":
        json.dump(payload, sys.stdout, indent=2)
        print()
    else:
        print_table(payload)
        if args.json:
            from scratch.training.outputs import write_json

            write_json(args.json, payload)
            print(f"results written to {args.json}")
    return 0 if payload["met"] else 1
