"""Inverted dropout.

Shape ledger (any shape S, typically (N, H)):
    X     S   input                         dX S = dY * mask / (1 - p)
    mask  S   bool, True where a unit is kept (probability 1 - p)
    Y     S   X * mask / (1 - p)            dY S upstream gradient
    cache: the scaled mask, mask / (1 - p), in X's dtype (None in eval mode)

"Inverted" means kept units are scaled up by 1 / (1 - p) during training, so that the
expected activation is unchanged and evaluation is the identity with no rescaling.
Masks cannot be matched across framework RNGs, so forward takes the mask explicitly
(for parity with a twin) or draws it from a given numpy Generator.
"""

from typing import NamedTuple

import numpy as np

from scratch.protocol import Layer, check_float_array, check_real, check_upstream


class DropoutCache(NamedTuple):
    scaled_mask: np.ndarray | None  # S, mask / (1 - p); None means identity (eval, p=0)
    shape: tuple
    dtype: np.dtype


class Dropout(Layer):
    def __init__(self, p=0.5):
        self.p = check_real("Dropout", "p", p, low=0.0, high=1.0, high_open=True)

    def __repr__(self):
        return f"Dropout(p={self.p})"

    def draw_mask(self, rng, shape):
        """A keep-mask: True with probability 1 - p."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"{self!r} expects rng as a numpy.random.Generator; got {type(rng).__name__}"
            )
        return rng.random(shape) >= self.p  # bool, S

    def forward(self, params, X, *, training=True, mask=None, rng=None):
        where = repr(self)
        check_float_array(where, "X", X)
        if not training or self.p == 0:
            if mask is not None and not training:
                raise ValueError(
                    f"{where} got a mask in eval mode (training=False), where "
                    f"dropout is the identity; pass mask only when training"
                )
            return X.copy(), DropoutCache(None, X.shape, X.dtype)
        if (mask is None) == (rng is None):
            raise ValueError(
                f"{where} in training mode expects exactly one of mask= "
                f"(explicit keep-mask) or rng= (a numpy Generator); got "
                f"{'both' if mask is not None else 'neither'}"
            )
        if mask is None:
            mask = self.draw_mask(rng, X.shape)
        if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
            got = mask.dtype if isinstance(mask, np.ndarray) else type(mask).__name__
            raise TypeError(f"{where} expects mask as a numpy bool array; got {got}")
        if mask.shape != X.shape:
            raise ValueError(f"{where} expects mask of X's shape {X.shape}; got {mask.shape}")
        return self._forward(params, X, mask)

    def backward(self, cache, dY):
        check_upstream(f"{self!r}.backward", "dY", dY, cache.shape, cache.dtype)
        return self._backward(cache, dY)

    def _forward(self, params, X, mask):
        """Training mode with a checked keep-mask (the MLP calls this directly)."""
        scaled_mask = mask * X.dtype.type(1 / (1 - self.p))  # S, in X's dtype
        Y = X * scaled_mask
        return Y, DropoutCache(scaled_mask, X.shape, X.dtype)

    def _backward(self, cache, dY):
        if cache.scaled_mask is None:
            return dY.copy(), {}
        dX = dY * cache.scaled_mask  # S: dropped units pass no gradient
        return dX, {}
