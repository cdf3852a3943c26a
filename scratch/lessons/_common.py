"""What several lessons share: a small training run, and figures saved atomically.
matplotlib is imported only inside the figure functions (scratch imports NumPy alone)."""

import os
import tempfile
from pathlib import Path

import numpy as np

from scratch.data.datasets import make_toy
from scratch.data.splits import Standardizer, split
from scratch.nn.mlp import MLP
from scratch.training.train import Backend, plan_for, train


def toy_splits(name, n=300, seed=0, noise=None):
    """Standardized train / validation / test splits of a seeded toy set."""
    splits = split(make_toy(name, n=n, seed=seed, noise=noise), seed=seed)
    return Standardizer.fit(splits.train).transform_splits(splits)


def train_mlp(
    splits,
    sizes,
    optimizer,
    activation="relu",
    dropout=0.0,
    epochs=20,
    batch_size=32,
    patience=None,
    seed=0,
):
    """(TrainResult, mlp, backend) for one run of the project's training loop."""
    mlp = MLP(sizes, activation=activation, dropout=dropout)
    backend = Backend(mlp, mlp.init(np.random.default_rng(seed)), optimizer)
    plan = plan_for(mlp, len(splits.train.y), batch_size, seed)
    # lessons show what a too-large learning rate does, so an exploding loss is not stopped
    return train(backend, splits, plan, epochs, patience, explode_factor=None), mlp, backend


def pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path):
    """Write the PNG to a temporary file in the same folder, then rename: never half a file."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.tight_layout()
        fig.savefig(tmp, dpi=100)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp made it private; a PNG is for everyone
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
        pyplot().close(fig)
    return path
