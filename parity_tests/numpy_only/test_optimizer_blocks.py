"""Large parameters are updated one cache-sized block of rows at a time
(scratch.optim.optimizers.row_blocks). The blocks must cover every row exactly once, and since
every update rule is elementwise the result must be the whole-array update, bit for bit.
(Parity with torch for the blocked path is in parity_tests/test_optimizers.py.)"""

import numpy as np
import pytest

import scratch.optim.optimizers as optimizers
from scratch.optim.optimizers import BLOCK_BYTES, row_blocks


@pytest.mark.parametrize(
    "shape, dtype",
    [
        ((784, 1024), np.float32),
        ((150, 130), np.float64),
        ((100_000,), np.float32),
        ((3, 70_000), np.float64),
    ],
)
def test_row_blocks_cover_every_row_once_within_the_block_size(shape, dtype):
    array = np.empty(shape, dtype)
    covered = np.concatenate([np.arange(len(array))[rows] for rows in row_blocks(array)])
    np.testing.assert_array_equal(covered, np.arange(len(array)))
    row_bytes = array.nbytes // len(array)
    for rows in row_blocks(array):
        assert array[rows].nbytes <= max(BLOCK_BYTES, row_bytes)


SETTINGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("RMSProp", {"centered": True, "momentum": 0.5}),
    ("Adam", {"amsgrad": True, "weight_decay": 0.01}),
    ("AdamW", {"betas": (0.4, 0.9)}),
]


@pytest.mark.parametrize("name, options", SETTINGS, ids=lambda s: str(s))
def test_blocked_update_is_the_whole_array_update_bit_for_bit(name, options, monkeypatch):
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((300, 200)), "b": rng.standard_normal(200)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(4)]
    assert len(row_blocks(params["W"])) > 1
    results = {}
    for block_bytes in (BLOCK_BYTES, 1 << 62):  # blocks, then one block for everything
        monkeypatch.setattr(optimizers, "BLOCK_BYTES", block_bytes)
        optimizer = getattr(optimizers, name)(**options)
        p, state = params, optimizer.init(params)
        for g in grads:
            p, state = optimizer.update(g, state, p)
        results[block_bytes] = (p, state)
    (p_blocked, s_blocked), (p_whole, s_whole) = results.values()
    for k in params:
        np.testing.assert_array_equal(p_blocked[k], p_whole[k], err_msg=k)
        for slot in optimizer.active_slots():
            np.testing.assert_array_equal(s_blocked[slot][k], s_whole[slot][k], err_msg=slot)
