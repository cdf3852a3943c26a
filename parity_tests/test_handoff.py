"""The hand-off demo: scratch trains k epochs, plain torch and plain JAX continue from the
exported files, and all three end within 1e-9 of each other (float64) with identical test
accuracies. Small settings here; the demo's own defaults are the main job's."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

from reference.bridge.cli import add_bridge_commands
from reference.bridge.handoff import TARGET, handoff, report

ROOT = Path(__file__).resolve().parents[1]


def handoff_args(tmp_path, *extra):
    parser = argparse.ArgumentParser()
    add_bridge_commands(parser.add_subparsers(dest="command"))
    return parser.parse_args(
        [
            "handoff",
            "--dataset",
            "iris",
            "--hidden",
            "16,8",
            "--epochs",
            "6",
            "--handoff-epoch",
            "3",
            "--batch-size",
            "16",
            "--workdir",
            str(tmp_path),
            *extra,
        ]
    )


def test_torch_and_jax_continue_the_scratch_run_within_target(tmp_path):
    args = handoff_args(tmp_path, "--dropout", "0.3", "--lr", "0.01")
    outcomes, run = handoff(args)
    payload = report(args, outcomes, run)
    assert payload["steps_after_handoff"] == 3 * 7  # 102 training rows in batches of 16
    scratch = payload["backends"]["scratch"]
    for name in ("torch", "jax"):
        entry = payload["backends"][name]
        assert entry["max_abs_param_diff"] <= TARGET and entry["max_abs_loss_diff"] <= TARGET
        assert entry["test_accuracy"] == scratch["test_accuracy"] and entry["met"]
    assert payload["met"]
    # the continuations really trained: parameters moved away from the hand-off point
    from scratch.training.checkpoint import load_run_checkpoint

    handed_over = load_run_checkpoint(tmp_path / "scratch.npz").last_params
    for name in ("torch", "jax"):
        assert max(abs(outcomes[name][0][k] - handed_over[k]).max() for k in handed_over) > 1e-3


def test_handoff_cli_reports_json(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "reference",
            "handoff",
            "--dataset",
            "iris",
            "--hidden",
            "8",
            "--epochs",
            "3",
            "--handoff-epoch",
            "2",
            "--optimizer",
            "momentum",
            "--workdir",
            str(tmp_path),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert payload["met"] and set(payload["backends"]) == {"scratch", "torch", "jax"}
    assert payload["backends"]["torch"]["max_abs_param_diff"] <= TARGET
    assert {p.name for p in tmp_path.iterdir()} == {"scratch.npz", "handoff.pt", "handoff_jax.npz"}
