"""The one writer for what goes out of a run: JSON, PNG and .npz checkpoints.

Every file is written the same way: into a temporary file in the destination's folder,
flushed and fsynced, then moved into place with os.replace. A crash or a failing write
leaves either the old file or the new one, never half of one, and never replaces a good
file with a bad one (the temporary file is removed on failure).

`check_output_path` is what the command lines run on every output option before any data
is loaded: the suffix is the one this writer knows for that option, and the folder exists
and is writable (a folder that does not exist is more often a typo than a wish).
"""

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from scratch.errors import OutputError

SUFFIXES = {"json": ".json", "plot": ".png", "checkpoint": ".npz"}


def check_output_path(path, kind):
    """`path` as a Path if a `kind` file ("json", "plot" or "checkpoint") can be written
    there; else OutputError saying what was expected and what was given (the caller adds
    the option's name)."""
    suffix = SUFFIXES[kind]
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise OutputError(f"expected a path ending in {suffix}; got {str(path)!r}")
    if path.is_dir():
        raise OutputError(f"expected a file path; got {str(path)!r}, a folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"expected a writable file; got {str(path)!r}, read-only")
    folder = path.parent
    if not folder.exists():
        raise OutputError(
            f"expected a path in an existing folder; got {str(path)!r}, and "
            f"there is no folder {str(folder)!r}"
        )
    if not folder.is_dir():
        raise OutputError(
            f"expected a path inside a folder; got {str(path)!r}, but {str(folder)!r} is a file"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(
            f"expected a path in a writable folder; got {str(path)!r}, and "
            f"{str(folder)!r} is not writable"
        )
    return path


def atomic_write(path, write):
    """Call write(binary file object) on a temporary file next to `path`, then move it into
    place. On any failure the temporary file is removed and `path` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path


def to_json_value(value):
    """NumPy scalars and arrays as plain Python; NaN and infinities as null (JSON has no
    NaN: a file with one is rejected by strict readers)."""
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json_value(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path, payload):
    """The payload as indented JSON. It is serialised in full before the file is touched,
    so a value JSON cannot hold fails here and leaves any previous file intact."""
    text = json.dumps(to_json_value(payload), indent=2, allow_nan=False) + "\n"
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def write_png(path, figure, dpi=110):
    """A matplotlib figure as PNG."""
    return atomic_write(path, lambda f: figure.savefig(f, format="png", dpi=dpi))


def write_npz(path, arrays):
    """Named arrays as an uncompressed .npz, without pickle."""
    return atomic_write(path, lambda f: np.savez(f, allow_pickle=False, **arrays))
