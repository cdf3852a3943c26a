"""Dropout's statistics (masks themselves are matched to the twins in test_parity.py)."""

import numpy as np
import pytest

from scratch import Dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_fraction_dropped_and_mean_are_right(p):
    rng = np.random.default_rng(3)
    X = np.ones((400, 500))  # 200,000 units
    Y, _ = Dropout(p).forward({}, X, rng=rng)
    dropped = np.mean(Y == 0)
    sigma = np.sqrt(p * (1 - p) / X.size)  # binomial standard error of the fraction
    assert abs(dropped - p) < 5 * sigma
    # kept units are scaled by 1 / (1 - p), so the mean activation is preserved
    np.testing.assert_allclose(Y[Y != 0], 1 / (1 - p), rtol=1e-15, atol=0)
    assert abs(Y.mean() - 1) < 5 * sigma / (1 - p)


def test_eval_mode_and_p_zero_are_the_identity():
    X = np.random.default_rng(0).standard_normal((5, 4))
    dY = np.random.default_rng(1).standard_normal((5, 4))
    for layer, kwargs in [(Dropout(0.5), {"training": False}), (Dropout(0.0), {"rng": None})]:
        Y, cache = layer.forward({}, X, **kwargs)
        dX, _ = layer.backward(cache, dY)
        np.testing.assert_array_equal(Y, X)
        np.testing.assert_array_equal(dX, dY)
        assert not np.shares_memory(Y, X)


def test_explicit_mask_gives_exact_values_and_gradient():
    X = np.array([[1.0, -2.0], [3.0, 4.0]])
    mask = np.array([[True, False], [False, True]])
    Y, cache = Dropout(0.75).forward({}, X, mask=mask)
    np.testing.assert_array_equal(Y, [[4.0, 0.0], [0.0, 16.0]])
    dX, _ = Dropout(0.75).backward(cache, np.array([[0.5, 0.5], [0.5, -0.25]]))
    np.testing.assert_array_equal(dX, [[2.0, 0.0], [0.0, -1.0]])


def test_same_generator_seed_gives_the_same_mask():
    X = np.ones((8, 8))
    Y1, _ = Dropout(0.5).forward({}, X, rng=np.random.default_rng(42))
    Y2, _ = Dropout(0.5).forward({}, X, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(Y1, Y2)
