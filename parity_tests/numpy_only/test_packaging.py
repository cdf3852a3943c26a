"""Installed outside tox: the wheel carries the shipped data and declares its dependencies,
and the installed copy runs `python -m scratch` from any folder.

The wheel is built offline (no build isolation, no index) from a copy of the sources, so
the working tree gets no build/ or .egg-info; it needs setuptools in the running venv.
"""

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scratch.data.datasets import SHIPPED

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None,
    reason="building the wheel offline needs setuptools in this venv (pip install setuptools)",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("scratch", "reference"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            str(source),
            "-w",
            str(folder / "dist"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (path,) = (folder / "dist").glob("*.whl")
    return path


def test_the_wheel_holds_the_shipped_data_and_declares_its_dependencies(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(
            archive.read(n).decode() for n in names if n.endswith(".dist-info/METADATA")
        )
    for dataset in SHIPPED:
        assert f"scratch/data/shipped/{dataset}.npz" in names
    assert {
        "scratch/__main__.py",
        "reference/__main__.py",
        "reference/torch/training/train.py",
        "reference/jax/training/train.py",
    } <= names
    requires = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    assert "numpy>=1.26" in requires and "tqdm>=4.66" in requires
    for framework in ("torch", "jax", "optax", "matplotlib"):
        assert any(r.startswith(framework) and 'extra == "frameworks"' in r for r in requires)


def test_the_installed_copy_trains_on_shipped_data_from_any_folder(wheel, tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        [sys.executable, "-c", "import scratch; print(scratch.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == str(site / "scratch" / "__init__.py")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scratch",
            "train",
            "--dataset",
            "iris",
            "--epochs",
            "1",
            "--hidden",
            "8",
            "--json",
            "r.json",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert (elsewhere / "r.json").exists()
