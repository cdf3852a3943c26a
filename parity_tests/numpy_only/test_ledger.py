"""The shape ledger lists every tensor with the right role, shape, dtype and bytes."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scratch import Linear, Tanh
from scratch.tools.ledger import layer_ledger

ROOT = Path(__file__).resolve().parents[2]


def test_linear_ledger_rows():
    layer = Linear(784, 128)
    rng = np.random.default_rng(0)
    params = layer.init(rng, dtype=np.float32)
    X = rng.standard_normal((32, 784)).astype(np.float32)
    rows = {r.name: r for r in layer_ledger(layer, params, X)}
    expected = {  # name: (role, shape)
        "X": ("input", (32, 784)),
        "W": ("parameter", (784, 128)),
        "b": ("parameter", (128,)),
        "Y": ("output", (32, 128)),
        "cache.X": ("cached", (32, 784)),
        "cache.W": ("cached", (784, 128)),
        "dY": ("gradient", (32, 128)),
        "dX": ("gradient", (32, 784)),
        "dW": ("gradient", (784, 128)),
        "db": ("gradient", (128,)),
    }
    assert set(rows) == set(expected)
    for name, (role, shape) in expected.items():
        assert (rows[name].role, rows[name].shape) == (role, shape), name
        assert rows[name].dtype == "float32"
        assert rows[name].bytes == 4 * int(np.prod(shape))
    # the cache holds references to X and W, not copies
    assert rows["cache.X"].shares_memory and rows["cache.W"].shares_memory
    assert not rows["dW"].shares_memory


def test_activation_ledger_caches_its_output():
    rows = {r.name: r for r in layer_ledger(Tanh(), {}, np.ones((4, 3)))}
    assert rows["cache.Y"].role == "cached" and rows["cache.Y"].shares_memory  # Y itself


def test_cli_prints_the_table_with_totals():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scratch",
            "ledger",
            "linear",
            "--batch",
            "32",
            "--in",
            "784",
            "--out",
            "128",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:3] == ["dW", "gradient", "(784,"] for line in lines)
    # float32 by default: 401,408 bytes of W + 512 of b
    assert any(line.startswith("total parameter") and line.endswith("401,920") for line in lines)


@pytest.mark.parametrize(
    "args, message",
    [
        (["ledger", "linear", "--batch", "0"], "expected a positive integer; got 0"),
        (["ledger", "conv2d"], "invalid choice: 'conv2d'"),
    ],
)
def test_cli_rejects_bad_options(args, message):
    result = subprocess.run(
        [sys.executable, "-m", "scratch", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and message in result.stderr


def test_model_ledger_lists_the_loss_cache_and_dropout_masks():
    from scratch.nn.losses import SoftmaxCrossEntropy
    from scratch.nn.mlp import MLP
    from scratch.tools.ledger import model_ledger

    rng = np.random.default_rng(0)
    N, D, H, C = 6, 5, 7, 3
    mlp = MLP([D, H, C], dropout=0.5)
    params = mlp.init(rng, dtype=np.float32)
    X = rng.standard_normal((N, D)).astype(np.float32)
    y = rng.integers(0, C, N)
    rows = {r.name: r for r in model_ledger(mlp, params, X, y, SoftmaxCrossEntropy(), rng=rng)}
    assert (rows["loss.P"].role, rows["loss.P"].shape, rows["loss.P"].bytes) == (
        "cached",
        (N, C),
        4 * N * C,
    )
    assert rows["loss.y"].shares_memory  # the labels the caller passed, not a copy
    assert (rows["2:Dropout.mask"].shape, rows["2:Dropout.mask"].dtype) == ((N, H), "bool")
    assert rows["2:Dropout.scaled_mask"].bytes == 4 * N * H


def test_cli_ledger_dropout_option():
    run = [
        sys.executable,
        "-m",
        "scratch",
        "ledger",
        "--in",
        "5",
        "--hidden",
        "7",
        "--out",
        "3",
        "--batch",
        "6",
    ]
    plain = subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=120)
    dropped = subprocess.run(
        run + ["--dropout", "0.5"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert plain.returncode == 0 and dropped.returncode == 0, plain.stderr + dropped.stderr
    assert "Dropout.mask" not in plain.stdout and "loss.P" in plain.stdout
    names = [line.split()[0] for line in dropped.stdout.splitlines() if line.strip()]
    assert "2:Dropout.mask" in names and "2:Dropout.scaled_mask" in names


def _mnist_like(optimizer):
    from scratch.nn.losses import SoftmaxCrossEntropy
    from scratch.nn.mlp import MLP
    from scratch.tools.ledger import model_ledger

    rng = np.random.default_rng(0)
    mlp = MLP([784, 256, 10])
    params = mlp.init(rng, dtype=np.float32)
    X = rng.standard_normal((128, 784)).astype(np.float32)
    y = rng.integers(0, 10, 128)
    rows = model_ledger(mlp, params, X, y, SoftmaxCrossEntropy(), optimizer, rng)
    return mlp, params, X, y, rows


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_measured_step_memory_matches_the_ledger(name):
    from scratch.optim.optimizers import SGD, Adam
    from scratch.tools.memory import ledger_totals, measure_training_step

    optimizer = SGD(lr=0.1, momentum=0.9) if name == "momentum" else Adam()
    mlp, params, X, y, rows = _mnist_like(optimizer)
    resident, step, total = ledger_totals(rows)
    # the ledger's own arithmetic: X and the labels y, both layers' W and b, and one
    # buffer (momentum) or two (Adam) per parameter, in float32
    n_params = 784 * 256 + 256 + 256 * 10 + 10
    assert resident == 4 * (128 * 784 + n_params * (2 if name == "momentum" else 3)) + y.nbytes
    measured = measure_training_step(mlp, params, X, y, optimizer)
    # tracemalloc sees NumPy's allocations: resident adds only Python objects
    assert resident <= measured.resident <= resident + 20_000
    # the step's peak: the ledger's caches, gradients and hidden input gradient, plus
    # small temporaries (measured 1.01x for momentum, ~1.0x for Adam)
    assert 0.95 * step <= measured.step_peak <= 1.10 * step
    assert measured.total == measured.resident + measured.step_peak


def test_cli_measure_prints_ledger_and_measurement():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scratch",
            "ledger",
            "--in",
            "64",
            "--hidden",
            "32",
            "--out",
            "10",
            "--batch",
            "16",
            "--optimizer",
            "momentum",
            "--measure",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:2] == ["2:Linear.dX", "gradient"] for line in lines)
    total = [line for line in lines if line.startswith("total ") and "measured" not in line][-1]
    numbers = [int(word.replace(",", "")) for word in total.split()[1:3]]
    assert numbers[0] > 0 and numbers[1] > 0


def test_cli_measure_needs_the_whole_mlp():
    result = subprocess.run(
        [sys.executable, "-m", "scratch", "ledger", "relu", "--measure"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "python -m scratch: error: --measure: used only by the mlp "
        "ledger; got it with component relu"
    )
