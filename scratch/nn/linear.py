"""Linear (fully connected) layer: Y = X W + b.

Shape ledger (N batch, D inputs, M outputs):
    X  (N, D)   input                      dX (N, D) = dY @ W.T
    W  (D, M)   parameter, stored (in, out) dW (D, M) = X.T @ dY
    b  (M,)     parameter                  db (M,)   = dY summed over the batch
    Y  (N, M)   output                     dY (N, M) upstream gradient
    cache: X (for dW) and W (for dX)

W is stored (in, out) so that the forward pass reads as the math, X @ W. torch.nn.Linear
stores its weight (out, in); the twin passes W.T to F.linear instead of copying layouts.
"""

from typing import NamedTuple

import numpy as np

from scratch.protocol import (
    FLOAT_DTYPES,
    Layer,
    check_choice,
    check_float_array,
    check_nonempty,
    check_positive_int,
    check_shape,
    check_upstream,
)


class LinearCache(NamedTuple):
    X: np.ndarray  # (N, D), needed for dW
    W: np.ndarray  # (D, M), needed for dX


class Linear(Layer):
    """Y = X W + b with W of shape (d_in, d_out).

    init: "he" (std sqrt(2 / d_in), for ReLU-like activations) or "xavier"
    (std sqrt(2 / (d_in + d_out)), for tanh/sigmoid). Biases start at zero.
    """

    def __init__(self, d_in, d_out, init="he"):
        self.d_in = check_positive_int("Linear", "d_in", d_in)
        self.d_out = check_positive_int("Linear", "d_out", d_out)
        self.init_scheme = check_choice("Linear", "init", init, ("he", "xavier"))

    def __repr__(self):
        return f"Linear({self.d_in}, {self.d_out}, init={self.init_scheme!r})"

    def init(self, rng, dtype=np.float64):
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"{self!r}.init expects rng as a numpy.random.Generator; got {type(rng).__name__}"
            )
        dtype = np.dtype(dtype)
        if dtype.type not in FLOAT_DTYPES:
            raise TypeError(f"{self!r}.init expects dtype float32 or float64; got {dtype}")
        if self.init_scheme == "he":
            std = np.sqrt(2.0 / self.d_in)
        else:
            std = np.sqrt(2.0 / (self.d_in + self.d_out))
        W = (rng.standard_normal((self.d_in, self.d_out)) * std).astype(dtype)  # (D, M)
        b = np.zeros(self.d_out, dtype=dtype)  # (M,)
        return {"W": W, "b": b}

    def _check_params(self, params):
        where = f"{self!r}"
        if not isinstance(params, dict) or set(params) != {"W", "b"}:
            got = sorted(params) if isinstance(params, dict) else type(params).__name__
            raise ValueError(f"{where} expects params with keys ['W', 'b']; got {got}")
        check_float_array(where, "params['W']", params["W"])
        check_float_array(where, "params['b']", params["b"])
        check_shape(where, "params['W']", params["W"], (self.d_in, self.d_out))
        check_shape(where, "params['b']", params["b"], (self.d_out,))
        if params["W"].dtype != params["b"].dtype:
            raise TypeError(
                f"{where} expects W and b of one dtype; "
                f"got {params['W'].dtype} and {params['b'].dtype}"
            )

    def forward(self, params, X):
        self._check_params(params)
        where = f"{self!r}"
        check_float_array(where, "X", X)
        check_shape(where, "X", X, (None, self.d_in))
        check_nonempty(where, "X", X)
        if X.dtype != params["W"].dtype:
            raise TypeError(
                f"{where} expects X with the parameters' dtype {params['W'].dtype}; got {X.dtype}"
            )
        return self._forward(params, X)

    def backward(self, cache, dY, input_grad=True):
        """(dX, grads); with input_grad=False dX is None and its matmul is skipped, as
        frameworks do for a network's first layer (nothing needs the data's gradient)."""
        X = cache.X
        check_upstream(f"{self!r}.backward", "dY", dY, (X.shape[0], self.d_out), X.dtype)
        return self._backward(cache, dY, input_grad)

    # The math, without the checks: the public methods above check, then call these;
    # an MLP checks once at its own boundary and calls these directly.
    def _forward(self, params, X):
        W, b = params["W"], params["b"]
        Y = X @ W  # (N, M)
        Y += b  # in place on the fresh product: no second (N, M) array
        return Y, LinearCache(X=X, W=W)

    def _backward(self, cache, dY, input_grad=True):
        X, W = cache
        dX = dY @ W.T if input_grad else None  # (N, D)
        dW = X.T @ dY  # (D, M)
        db = dY.sum(axis=0)  # (M,)
        return dX, {"W": dW, "b": db}
