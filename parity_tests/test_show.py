"""`python -m reference show`: the scratch source and both twins', with where each gets its
gradient; every stem with twins is listed; a missing framework or bad stem is one line."""

import inspect
import subprocess
import sys
import textwrap
from importlib import import_module
from pathlib import Path

import pytest

from reference.show import ShowError, resolve, show, stems

ROOT = Path(__file__).resolve().parents[1]


def test_stems_cover_every_component_module():
    assert {
        "nn.linear",
        "nn.activations",
        "nn.losses",
        "nn.softmax",
        "nn.dropout",
        "nn.mlp",
        "nn.perceptron",
        "optim.optimizers",
        "optim.schedules",
    } <= set(stems())
    for text in ("linear", "nn.linear", "nn/linear", "scratch/nn/linear.py"):
        assert resolve(text) == "nn.linear"


def test_linear_listing_in_order_with_gradient_sources():
    text = show("linear")
    scratch_src = inspect.getsource(import_module("scratch.nn.linear").Linear)
    torch_src = inspect.getsource(import_module("reference.torch.nn.linear").Linear)
    jax_src = inspect.getsource(import_module("reference.jax.nn.linear").Linear)
    positions = [text.index(src) for src in (scratch_src, torch_src, jax_src)]
    assert positions == sorted(positions)
    assert "scratch/nn/linear.py :: Linear    gradient: by hand" in text
    assert "reference/torch/nn/linear.py :: Linear    gradient: torch.autograd.grad" in text
    assert "reference/jax/nn/linear.py :: Linear    gradient: jax.vjp" in text
    # the hand-written backward is scratch's; the twins have none, autograd supplies it
    assert "def backward" in scratch_src and "def backward" not in torch_src + jax_src
    assert "torch.autograd.grad(" in text and "jax.vjp(" in text  # the _autodiff helpers


@pytest.mark.parametrize(
    "stem",
    [
        "nn.activations",
        "nn.losses",
        "optim.optimizers",
        "nn.mlp",
        "optim.schedules",
        "nn.perceptron",
        "training.train",
    ],
)
def test_every_class_with_twins_is_shown(stem):
    text = show(stem)
    classes = [
        name
        for name, obj in inspect.getmembers(import_module(f"scratch.{stem}"), inspect.isclass)
        if obj.__module__ == f"scratch.{stem}"
        and not name.startswith("_")
        and hasattr(import_module(f"reference.torch.{stem}"), name)
    ]
    assert classes
    for name in classes:
        assert text.count(f" :: {name} ") == 3, name  # scratch, torch, jax


def test_name_filter_and_optimizer_headers():
    text = show("optim.optimizers", name="Adam")
    assert text.count(" :: ") == 3 and " :: SGD " not in text
    assert "reference/torch/optim/optimizers.py :: Adam    update: torch.optim" in text
    assert "reference/jax/optim/optimizers.py :: Adam    update: optax" in text


def test_bad_stem_and_name():
    with pytest.raises(ShowError, match="show expects a stem with twins, one of"):
        show("conv2d")
    with pytest.raises(ShowError, match="show expects --name to be one of"):
        show("activations", name="Swish")


def test_cli_one_line_errors_and_missing_framework():
    bad = subprocess.run(
        [sys.executable, "-m", "reference", "show", "conv2d"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    # torch made unimportable: one line naming it, no traceback
    script = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "torch":
                    raise ModuleNotFoundError("No module named 'torch'", name="torch")
        sys.meta_path.insert(0, Block())
        from reference.__main__ import main
        sys.exit(main(["show", "linear"]))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: show needs torch for reference/torch/nn/linear.py")
    assert result.stderr.count("\n") == 1
