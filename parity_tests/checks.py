"""One assertion helper for every comparison: shape, then dtype, then values, each
failure labelled with what was compared (after tinygrad's test_ops helper)."""

import numpy as np

from parity_tests.registry import FLOAT32_ATOL_OF_SCALE, TOLERANCES


def assert_same(label, ours, theirs, dtype, stage):
    """`stage` is "forward" or "gradient"; tolerances come from the registry table."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{label}: shape {ours.shape} != reference {theirs.shape}"
    assert ours.dtype == np.dtype(dtype), f"{label}: dtype {ours.dtype}, expected {dtype}"
    assert theirs.dtype == np.dtype(dtype), f"{label}: reference dtype {theirs.dtype}, expected {dtype}"
    tol = TOLERANCES[dtype][stage]
    atol = tol.atol
    if dtype == "float32" and theirs.size:
        atol = max(atol, FLOAT32_ATOL_OF_SCALE * float(np.max(np.abs(theirs))))
    np.testing.assert_allclose(ours, theirs, rtol=tol.rtol, atol=atol, err_msg=label)
