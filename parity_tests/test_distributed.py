"""Data-parallel runs on the real engines (reference/distributed/) against single-process
NumPy: torch DistributedDataParallel on 2 gloo processes and a JAX mesh of 2 CPU devices.
Short runs on iris with uneven shards (batch 13: shards of 7 and 6; last batch 11: 6 and 5).
Each test runs the command line in a fresh process: XLA's device count must be set before
jax is imported, and the torch ranks are separate processes anyway."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("jax")

ROOT = Path(__file__).resolve().parents[1]
SHORT = [
    "--dataset",
    "iris",
    "--hidden",
    "16",
    "--epochs",
    "2",
    "--batch-size",
    "13",
    "--lr",
    "0.01",
    "--backends",
    "numpy",
    "--no-progress",
]


def command(*args):
    return [sys.executable, "-m", "reference", "train", *SHORT, *args]


def environment():
    env = dict(os.environ, PYTHONPATH=str(ROOT), JAX_ENABLE_X64="1", PYTHONHASHSEED="0")
    env.pop("XLA_FLAGS", None)
    return env


def run(*args, cwd, timeout=240):
    return subprocess.run(
        command(*args), cwd=cwd, env=environment(), capture_output=True, text=True, timeout=timeout
    )


def test_ddp_and_jax_mesh_equal_single_process_numpy(tmp_path):
    out = run("--distributed", "torch,jax", "--json", "r.json", "--plot", "c.png", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["steps"] == 2 * 8
    assert set(result["max_abs_param_diff"]) == {"torch:2", "jax:2"}
    for name in ("torch:2", "jax:2"):
        assert result["max_abs_param_diff"][name] <= 1e-12, name
        assert result["max_abs_loss_diff"][name] <= 1e-12, name
        assert (
            result["backends"][name]["test_accuracy"]
            == result["backends"]["numpy"]["test_accuracy"]
        )
    assert f"cores available: {len(os.sched_getaffinity(0))}" in out.stdout
    assert (
        "torch:2: ms per step (median) torch:2" in out.stdout
    )  # --backends numpy: no 1-worker row
    assert "jax:2: ms per step (median) jax:2" in out.stdout


def test_jax_step_is_sharded_and_xla_inserts_the_all_reduce(tmp_path):
    # the compiled step of a 2-device mesh holds an all-reduce that nobody wrote by hand,
    # and a padded batch of 13 rows (one weight-0 row) gives the plain batch's gradient
    script = """
import os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
import numpy as np, jax
from reference.distributed.jax_sharded import ShardedBackend
from reference.jax.optim.optimizers import SGD
from scratch.nn.mlp import MLP
from scratch.optim.optimizers import SGD as ScratchSGD
from scratch.training.train import Backend, TrainingPlan
rng = np.random.default_rng(3)
mlp = MLP([5, 8, 3], dropout=0.25)
params = mlp.init(rng)
X, y = rng.standard_normal((13, 5)), rng.integers(0, 3, 13)
masks = TrainingPlan(13, 13, 3, 0.25, {2: 8}).masks(1, 0, 13)
sharded = ShardedBackend(mlp, params, SGD(lr=0.5), "classification", 2)
batch = sharded.shard_batch(X, y, masks)
assert batch[0].shape == (14, 5) and len(batch[0].sharding.device_set) == 2
hlo = sharded._step.lower(sharded.params, sharded.opt_state, *batch).compile().as_text()
assert "all-reduce" in hlo, "no all-reduce in the compiled step"
plain = Backend(mlp, params, ScratchSGD(lr=0.5))
loss_plain, loss_sharded = plain.train_step(X, y, masks), sharded.train_step(X, y, masks)
assert abs(loss_plain - loss_sharded) <= 1e-14, (loss_plain, loss_sharded)
new = sharded.get_params()
worst = max(np.max(np.abs(new[k] - plain.params[k])) for k in new)
moved = max(np.max(np.abs(new[k] - params[k])) for k in new)
assert worst <= 1e-14 and moved > 1e-3, (worst, moved)
print("ok", worst, moved)
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")


@pytest.mark.parametrize(
    "option",
    [["--distributed", "torch", "--world-size", "12"], ["--distributed", "jax", "--devices", "12"]],
)
def test_more_workers_than_the_smallest_batch_is_a_one_line_error(tmp_path, option):
    out = run(*option, "--json", "r.json", cwd=tmp_path, timeout=60)
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert f"{option[2]} 12 is larger than the smallest batch, 11 rows" in out.stderr
    assert not (tmp_path / "r.json").exists() and not (tmp_path / "runs").exists()


def test_a_busy_port_is_a_one_line_error(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = run(
            "--distributed",
            "torch",
            "--port",
            str(port),
            "--json",
            "r.json",
            cwd=tmp_path,
            timeout=60,
        )
    assert out.returncode != 0
    assert out.stderr.strip() == (
        f"error: --port {port} is in use on 127.0.0.1; choose "
        f"another or leave --port out to take a free one"
    )
    assert not (tmp_path / "r.json").exists()


def test_a_missing_framework_is_a_one_line_error(tmp_path):
    # sys.modules[name] = None makes `import name` fail as if it were not installed
    launcher = (
        "import runpy, sys; sys.modules['torch'] = None; "
        "runpy.run_module('reference', run_name='__main__')"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            launcher,
            "train",
            *SHORT,
            "--distributed",
            "torch",
            "--json",
            "r.json",
        ],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert out.stderr.startswith("error: --distributed torch needs torch, which cannot be imported")
    assert not (tmp_path / "r.json").exists()


def spawned_ranks(pid):
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_a_dying_rank_stops_the_run_with_a_one_line_error(tmp_path):
    # the command's distributed part alone (the single-process runs before it would take
    # as long as the distributed one), long enough to be killed in the middle
    script = f"""
from reference.__main__ import build_parser
from reference.distributed.launch import check_distributed, run_distributed
from scratch.training.run import prepare
args = build_parser().parse_args(["train", *{SHORT!r}, "--epochs", "100000",
                                  "--distributed", "torch", "--timeout", "20"])
run = prepare(args)
check_distributed(args, run)
run_distributed(args, run, {{}})
"""
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=environment(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for line in process.stdout:  # wait until the ranks are training
            if "ranks joined; training" in line:
                break
        time.sleep(1)
        ranks = spawned_ranks(process.pid)
        assert len(ranks) == 2, ranks
        os.kill(ranks[1], signal.SIGKILL)
        killed = time.perf_counter()
        _, stderr = process.communicate(timeout=90)
        waited = time.perf_counter() - killed
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode != 0
    assert stderr.strip().count("\n") == 0, stderr
    assert stderr.startswith("error: torch:2: rank "), stderr
    assert waited < 60


def test_torchrun_entry_point_equals_single_process_numpy(tmp_path):
    # the multi-machine entry point, started by torchrun on this one machine
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not next to this python")
    options = [o for o in SHORT if o not in ("--backends", "numpy")]
    out = subprocess.run(
        [
            str(torchrun),
            "--standalone",
            "--nproc-per-node",
            "2",
            "-m",
            "reference.distributed.torch_ddp",
            *options,
            "--epochs",
            "1",
            "--json",
            "r.json",
            "--plot",
            "c.png",
        ],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["steps"] == 8
    assert result["max_abs_param_diff"]["torch:2"] <= 1e-12
    assert result["max_abs_loss_diff"]["torch:2"] <= 1e-12
    assert (
        result["backends"]["torch:2"]["test_accuracy"]
        == result["backends"]["numpy"]["test_accuracy"]
    )
