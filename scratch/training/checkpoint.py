"""Saving and loading parameters as .npz: no pickle, atomic writes, clear errors.

A checkpoint holds each parameter array under its own name plus "__meta__", a JSON string
(stored as a 0-d unicode array, so allow_pickle=False suffices) describing the model.
Writing goes to a temporary file in the same folder, flushed and fsynced, then moved
into place with os.replace (scratch.training.outputs, the one writer of every output): a
crash leaves either the old file or the new, never half.
"""

import json
import zipfile
from pathlib import Path

import numpy as np

from scratch.training.outputs import write_npz

META_KEY = "__meta__"


class CheckpointError(ValueError):
    pass


def save_checkpoint(path, params, meta=None):
    path = Path(path)
    arrays = {name: np.asarray(value) for name, value in params.items()}
    if META_KEY in arrays:
        raise ValueError(f"save_checkpoint: a parameter may not be named {META_KEY!r}")
    arrays[META_KEY] = np.array(json.dumps(meta or {}))
    write_npz(path, arrays)
    return path


def load_checkpoint(path):
    """(params, meta). A missing, truncated or foreign file raises CheckpointError."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if META_KEY not in names:
                raise CheckpointError(f"{path} is an .npz file but not a checkpoint written by "
                                      f"save_checkpoint (no {META_KEY!r} entry)")
            meta = json.loads(str(archive[META_KEY]))
            params = {name: archive[name] for name in names if name != META_KEY}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated or not an .npz "
                              f"file): {type(error).__name__}: {error}") from None
    return params, meta
