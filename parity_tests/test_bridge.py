"""The bridge to plain PyTorch and JAX: the README's pure-framework lines, executed as
written, rebuild model and optimizer from an export and agree with scratch (predictions,
and one more training step); round trips scratch -> torch -> scratch and scratch -> jax ->
scratch are bit-exact; bad files are refused in one line and never replace a good one."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from reference.bridge.export_jax import write_jax_export
from reference.bridge.export_torch import write_torch_export
from reference.bridge.importer import import_file
from scratch.optim import optimizers
from scratch.optim.schedules import StepDecay, WarmupCosine
from scratch.training.checkpoint import (
    CheckpointError,
    checkpoint_of_run,
    load_run_checkpoint,
    optimizer_from_config,
    save_run_checkpoint,
)
from scratch.training.predict import model_of, predict, prepare_features
from scratch.training.run import add_training_options, prepare, run_backend
from scratch.training.train import Backend

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

# name -> (optimizer class, arguments, dropout)
VARIANTS = {
    "adam": ("Adam", {"lr": 0.02}, 0.0),
    "sgd-momentum-masked-decay": (
        "SGD",
        {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2, "decay_mask": optimizers.skip_vectors},
        0.0,
    ),
    "adamw-warmup-cosine": (
        "AdamW",
        {
            "lr": WarmupCosine(0.02, 5, 40),
            "weight_decay": 0.05,
            "decay_mask": optimizers.skip_vectors,
        },
        0.0,
    ),
    "adam-step-decay-dropout": ("Adam", {"lr": StepDecay(0.02, 7, 0.5)}, 0.2),
    "rmsprop-centered": ("RMSProp", {"lr": 1e-3, "centered": True, "momentum": 0.5}, 0.0),
    "sgd-nesterov-l2": (
        "SGD",
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
        0.0,
    ),
}
CONSTANT_LR = ["adam", "sgd-momentum-masked-decay", "rmsprop-centered", "sgd-nesterov-l2"]


def make_checkpoint(folder, variant, epochs=3):
    cls, kwargs, dropout = VARIANTS[variant]
    args = add_training_options(argparse.ArgumentParser()).parse_args(
        [
            "--dataset",
            "iris",
            "--hidden",
            "8,6",
            "--batch-size",
            "16",
            "--no-progress",
            "--epochs",
            str(epochs),
            "--dropout",
            str(dropout),
        ]
    )
    run = prepare(args)
    run = run._replace(optimizer=(cls, kwargs))
    result = run_backend("numpy", Backend, optimizers, run, args)
    path = save_run_checkpoint(folder / f"{variant}.npz", checkpoint_of_run(args, run, result))
    return path, run


def snippet(name):
    match = re.search(rf"<!-- snippet: {name} .*?-->\n```python\n(.*?)```", README, re.S)
    assert match, f"README has no snippet {name!r}"
    return match.group(1)


def scratch_step(checkpoint, X, y):
    """One scratch update from the checkpoint's last parameters and optimizer state."""
    backend = Backend(
        model_of(checkpoint),
        checkpoint.last_params,
        optimizer_from_config(checkpoint.optimizer),
        checkpoint.task,
    )
    backend.state = {
        k: ({n: a.copy() for n, a in v.items()} if isinstance(v, dict) else v)
        for k, v in checkpoint.optimizer_state.items()
    }
    backend.train_step(X, y, {})
    return backend.params


def run_snippet(name, folder, X_raw, y):
    namespace = {"X_raw": X_raw, "y": y}
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        exec(compile(snippet(name), f"README.md:{name}", "exec"), namespace)
    finally:
        os.chdir(cwd)
    return namespace


def iris_rows():
    """Raw (unscaled) training rows and labels: what a user holds."""
    from scratch.data import datasets
    from scratch.data.splits import split

    train = split(datasets.load("iris"), seed=0).train
    return train.X[:40], train.y[:40]


@pytest.mark.parametrize("variant", ["adam", "sgd-momentum-masked-decay", "adamw-warmup-cosine"])
def test_readme_pure_torch_lines_rebuild_model_and_optimizer(tmp_path, variant):
    path, run = make_checkpoint(tmp_path, variant)
    checkpoint = load_run_checkpoint(path)
    write_torch_export(checkpoint, tmp_path / "model.pt")
    X_raw, y = iris_rows()
    ns = run_snippet("pure-torch", tmp_path, X_raw, y)
    # evaluation: the last parameters' probabilities, as scratch computes them
    last = checkpoint._replace(params=checkpoint.last_params)
    np.testing.assert_allclose(
        ns["probabilities"].numpy(), predict(last, X_raw).outputs, rtol=1e-12, atol=1e-15
    )
    # training: torch's step from the loaded state is scratch's step from the same state
    expected = scratch_step(checkpoint, prepare_features(checkpoint, X_raw), y)
    got = {k: v.detach().numpy() for k, v in ns["model"].state_dict().items()}
    for name, value in expected.items():
        index, key = name.split(".")
        theirs = got[f"{index}.{'weight' if key == 'W' else 'bias'}"]
        np.testing.assert_allclose(
            theirs.T if key == "W" else theirs, value, rtol=1e-10, atol=1e-13
        )
        assert not np.array_equal(value, checkpoint.last_params[name])  # the step did move it


@pytest.mark.parametrize("variant", ["adam", "sgd-momentum-masked-decay", "rmsprop-centered"])
def test_readme_pure_jax_lines_rebuild_params_and_optax_state(tmp_path, variant):
    path, run = make_checkpoint(tmp_path, variant)
    checkpoint = load_run_checkpoint(path)
    write_jax_export(checkpoint, tmp_path / "model.npz")
    X_raw, y = iris_rows()
    ns = run_snippet("pure-jax", tmp_path, X_raw, y)
    last = checkpoint._replace(params=checkpoint.last_params)
    probabilities = np.asarray(ns["probabilities"])
    assert probabilities.dtype == np.float64
    np.testing.assert_allclose(probabilities, predict(last, X_raw).outputs, rtol=1e-12, atol=1e-15)
    expected = scratch_step(checkpoint, prepare_features(checkpoint, X_raw), y)
    layers = sorted({k.split(".")[0] for k in expected}, key=int)
    for position, index in enumerate(layers):
        for key in ("W", "b"):
            np.testing.assert_allclose(
                np.asarray(ns["params"][position][key]),
                expected[f"{index}.{key}"],
                rtol=1e-10,
                atol=1e-13,
            )


def assert_same_checkpoint(a, b):
    assert a.model["sizes"] == b.model["sizes"] and a.model["dropout"] == b.model["dropout"]
    assert (a.dtype, a.task, a.class_names, a.feature_names) == (
        b.dtype,
        b.task,
        b.class_names,
        b.feature_names,
    )
    for key in ("centre", "scale"):
        assert np.array_equal(a.scaler[key], b.scaler[key])
    assert a.optimizer == b.optimizer
    assert a.optimizer_state.keys() == b.optimizer_state.keys()
    assert a.optimizer_state["step"] == b.optimizer_state["step"]
    for name in a.params:
        for ours, theirs in ((a.params, b.params), (a.last_params, b.last_params)):
            assert (
                np.array_equal(ours[name], theirs[name]) and ours[name].dtype == theirs[name].dtype
            )
        for slot in a.optimizer_state:
            if slot != "step":
                assert np.array_equal(a.optimizer_state[slot][name], b.optimizer_state[slot][name])


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_round_trip_through_torch_is_bit_exact(tmp_path, variant):
    path, _ = make_checkpoint(tmp_path, variant)
    original = load_run_checkpoint(path)
    write_torch_export(original, tmp_path / "out.pt")
    back = import_file(tmp_path / "out.pt")
    assert_same_checkpoint(original, back)
    save_run_checkpoint(tmp_path / "back.npz", back)  # and it is a valid checkpoint
    assert_same_checkpoint(original, load_run_checkpoint(tmp_path / "back.npz"))


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_round_trip_through_jax_is_bit_exact(tmp_path, variant):
    path, _ = make_checkpoint(tmp_path, variant)
    original = load_run_checkpoint(path)
    write_jax_export(original, tmp_path / "out.npz")
    back = import_file(tmp_path / "out.npz")
    assert_same_checkpoint(original, back)


def test_jax_export_state_has_optax_structure(tmp_path):
    """The saved leaves are exactly the leaves of the jax twin's optax state."""
    import jax
    import jax.numpy as jnp

    from reference.jax.optim import optimizers as jax_optimizers
    from reference.jax.optim.schedules import Constant

    path, _ = make_checkpoint(tmp_path, "sgd-momentum-masked-decay")
    checkpoint = load_run_checkpoint(path)
    write_jax_export(checkpoint, tmp_path / "out.npz")
    saved = {k for k in np.load(tmp_path / "out.npz").files if k.startswith("opt_state")}
    twin = jax_optimizers.SGD(
        lr=Constant(0.05), momentum=0.9, weight_decay=1e-2, decay_mask=optimizers.skip_vectors
    )
    flat = {k: jnp.asarray(v) for k, v in checkpoint.last_params.items()}
    template = twin.transform(flat).init(flat)  # the twin keys by scratch name: "['3.W']"
    position = {"0": 0, "2": 1, "4": 2}  # Linear layers at Sequential indices 0, 2, 4
    paths = {
        "opt_state"
        + re.sub(
            r"\['(\d+)\.(W|b)'\]",
            lambda m: f"[{position[m[1]]}]['{m[2]}']",
            jax.tree_util.keystr(p),
        )
        for p, _ in jax.tree_util.tree_flatten_with_path(template)[0]
    }
    # the twin hands optax a constant lr as optax.constant_schedule, whose state is a step
    # count; the export hands it the float, which has no state: all else is the same
    assert paths - saved == {"opt_state[1][1].count"}
    assert saved == paths - {"opt_state[1][1].count"} and len(saved) == 6  # 6 momentum traces


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "reference", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def user_error(*args):
    """The one-line message `python -m reference ARGS` exits with (run in-process: fast)."""
    from reference.__main__ import main

    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    message = str(exit_info.value.code)
    assert message.startswith("error: ") and "\n" not in message and "Traceback" not in message
    return message


class Arbitrary:
    """Not a tensor: pickled by reference to this module, so weights_only must refuse it."""


def test_bad_files_are_one_line_errors_and_never_replace_a_good_file(tmp_path):
    path, _ = make_checkpoint(tmp_path, "adam", epochs=1)
    good = tmp_path / "good.npz"
    good.write_bytes(path.read_bytes())
    torch.save({"payload": Arbitrary()}, tmp_path / "foreign.pt")
    write_torch_export(load_run_checkpoint(path), tmp_path / "x.pt")
    export = torch.load(tmp_path / "x.pt", weights_only=True)
    export["model"]["2.weight"] = torch.zeros(5, 8, dtype=torch.float64)
    torch.save(export, tmp_path / "mismatch.pt")
    torch.save(dict(export, version=7), tmp_path / "v7.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "x.pt").read_bytes()[:500])
    cases = [
        ("foreign.pt", "refused by torch.load(weights_only=True)"),
        ("mismatch.pt", "model: '2.W' has shape (8, 5); the architecture expects (8, 6)"),
        ("v7.pt", "torch export of version 7; this program reads version 1"),
        ("cut.pt", "not a zip archive: truncated or foreign"),
    ]
    for name, message in cases:
        assert message in user_error("import", str(tmp_path / name), "--to", str(good)), name
        assert good.read_bytes() == path.read_bytes()  # the good file is untouched
    assert "not a readable checkpoint" in user_error(
        "export", str(tmp_path / "cut.pt"), "--to", "torch", str(tmp_path / "y.pt")
    )
    assert not (tmp_path / "y.pt").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_plain_torch_state_dict_imports_and_predicts_as_torch_does(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Dropout(0.1), torch.nn.Linear(8, 3)
    ).double()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    X = torch.randn(32, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (32,))
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.save(model.state_dict(), tmp_path / "mine.pt")
    assert "give --dropout P" in user_error(
        "import",
        str(tmp_path / "mine.pt"),
        "--to",
        str(tmp_path / "mine.npz"),
        "--activation",
        "tanh",
    )
    from reference.__main__ import main

    assert (
        main(
            [
                "import",
                str(tmp_path / "mine.pt"),
                "--to",
                str(tmp_path / "mine.npz"),
                "--activation",
                "tanh",
                "--dropout",
                "0.1",
            ]
        )
        == 0
    )
    checkpoint = load_run_checkpoint(tmp_path / "mine.npz")
    assert checkpoint.model["sizes"] == [4, 8, 3] and checkpoint.scaler is None
    model.eval()
    with torch.no_grad():
        expected = model(X).softmax(dim=1).numpy()
    np.testing.assert_allclose(
        predict(checkpoint, X.numpy()).outputs, expected, rtol=1e-12, atol=1e-15
    )
    wrong = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(9, 3))
    torch.save(wrong.double().state_dict(), tmp_path / "wrong.pt")
    with pytest.raises(
        CheckpointError,
        match=r"'2.W' has shape \(9, 3\); the architecture "
        r"expects \(8, 3\)",
    ):
        import_file(tmp_path / "wrong.pt")


def test_export_cli_and_help(tmp_path):
    path, _ = make_checkpoint(tmp_path, "adam", epochs=1)
    out = cli("export", str(path), "--to", "torch", str(tmp_path / "m.pt"))
    assert out.returncode == 0, out.stderr
    assert torch.load(tmp_path / "m.pt", weights_only=True)["optimizer_class"] == "Adam"
    out = cli("export", str(path), "--to", "jax", str(tmp_path / "m.npz"))
    assert out.returncode == 0 and "config" in np.load(tmp_path / "m.npz").files
    for command in ("export", "import", "handoff"):
        text = cli(command, "--help").stdout
        assert "usage: python -m reference " + command in text and "default" in text
