"""A sequential multilayer perceptron composed of the core components.

    MLP([64, 128, 10], activation="relu", dropout=0.2)
    = Linear(64, 128) -> ReLU -> Dropout(0.2) -> Linear(128, 10)        (logits out)

Layers are numbered as torch.nn.Sequential numbers them, and parameters are one flat dict
keyed "<index>.<name>", like a torch state_dict ("0.W" here is "0.weight" there,
transposed):

Shape ledger for sizes [D, H, M] and batch N:
    X        (N, D)   input
    0.W, 0.b (D, H), (H,)   first Linear            d0.W, d0.b same shapes
    A1       (N, H)   activation (cached by the activation, and as the next Linear's X)
    2.W, 2.b (H, M), (M,)   (index 3 when dropout sits at 2)
    Y        (N, M)   logits                        dY (N, M) upstream gradient
    cache: one cache per layer, in order, plus the dropout masks that were used.

forward runs the layers in order collecting their caches; backward walks them in reverse,
each layer turning the gradient of its output into the gradient of its input.
"""

from typing import NamedTuple

import numpy as np

from scratch.nn.activations import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from scratch.nn.dropout import Dropout
from scratch.nn.linear import Linear
from scratch.protocol import (
    Layer,
    check_choice,
    check_float_array,
    check_nonempty,
    check_positive_int,
    check_real,
    check_shape,
    check_upstream,
)

ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "gelu": GELU,
}
# layers whose output has their input's shape: X's width can be checked through them
SHAPE_PRESERVING = (ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Dropout)


class MLPCache(NamedTuple):
    caches: list  # one per layer, in forward order
    masks: dict  # layer index -> keep-mask used by that Dropout (empty in eval mode)
    out_shape: tuple  # the output's shape and dtype, which dY must have
    out_dtype: np.dtype


class MLP(Layer):
    def __init__(self, sizes, activation="relu", dropout=0.0, init=None):
        if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
            raise ValueError(
                f"MLP expects sizes as a list [inputs, hidden..., outputs] of at "
                f"least two positive integers; got {sizes!r}"
            )
        self.sizes = [check_positive_int("MLP", f"sizes[{i}]", s) for i, s in enumerate(sizes)]
        self.activation = check_choice("MLP", "activation", activation, tuple(ACTIVATIONS))
        self.dropout = check_real("MLP", "dropout", dropout, low=0.0, high=1.0, high_open=True)
        if init is None:  # He for ReLU-like activations, Xavier for saturating ones
            init = "xavier" if activation in ("tanh", "sigmoid") else "he"
        self.init_scheme = init
        self.layers = []  # (index, component), index as in torch.nn.Sequential
        for i, (d_in, d_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            self.layers.append(Linear(d_in, d_out, init=init))
            if i < len(self.sizes) - 2:  # no activation after the output layer: logits
                self.layers.append(ACTIVATIONS[activation]())
                if self.dropout:
                    self.layers.append(Dropout(self.dropout))

        self._finish(f"MLP({self.sizes}, activation={self.activation!r}, dropout={self.dropout})")

    @classmethod
    def from_layers(cls, layers):
        """An MLP over a list of layers you build yourself, your own components included
        (anything with forward/backward following the protocol), in any order. Its Linear
        layers give it its sizes and parameters, keyed by their own index in `layers`."""
        linears = [layer for layer in layers if isinstance(layer, Linear)]
        if not linears:
            raise ValueError("MLP.from_layers expects at least one Linear layer; got none")
        mlp = cls.__new__(cls)
        mlp.sizes = [linears[0].d_in] + [layer.d_out for layer in linears]
        mlp.activation, mlp.dropout, mlp.init_scheme = "custom", 0.0, linears[0].init_scheme
        mlp.layers = list(layers)
        mlp._finish(f"MLP.from_layers({mlp.layers!r})")
        return mlp

    def _finish(self, description):
        # the configuration is fixed, so its description (used in every error message)
        # is made once, not on every forward pass
        self._description = description
        self._param_keys = {
            f"{i}.{k}"
            for i, layer in enumerate(self.layers)
            if isinstance(layer, Linear)
            for k in ("W", "b")
        }
        # the first Linear need not be layer 0 (from_layers([ReLU(), Linear(3, 2)])): its
        # W gives the dtype X must have, and its d_in X's width when only shape-preserving
        # layers come before it (a layer of your own may change the width: then the
        # Linear after it checks its input itself)
        self._first_linear = next(
            i for i, layer in enumerate(self.layers) if isinstance(layer, Linear)
        )
        before = self.layers[: self._first_linear]
        self._input_width = (
            self.layers[self._first_linear].d_in
            if all(isinstance(layer, SHAPE_PRESERVING) for layer in before)
            else None
        )

    def __repr__(self):
        return self._description

    def init(self, rng, dtype=np.float64):
        params = {}
        for index, layer in enumerate(self.layers):
            if isinstance(layer, Linear):
                for key, value in layer.init(rng, dtype).items():
                    params[f"{index}.{key}"] = value
        return params

    def layer_params(self, params, index):
        """The {"W", "b"} dict of the Linear at `index`, a view into `params`."""
        return {"W": params[f"{index}.W"], "b": params[f"{index}.b"]}

    def dropout_indices(self):
        return [i for i, layer in enumerate(self.layers) if isinstance(layer, Dropout)]

    def forward(self, params, X, *, training=False, rng=None, masks=None):
        """Logits for X. In training mode each Dropout takes its mask from `masks`
        (layer index -> bool array) or draws one from `rng`; eval mode uses none.

        Checks happen here, once; the layers' unchecked _forward/_backward do the math
        (every layer's own boundary checks would repeat them, a cost that dominates
        the step of a small network)."""
        self._check_params(params)
        where = repr(self)
        check_float_array(where, "X", X)
        check_shape(where, "X", X, (None, self._input_width))
        check_nonempty(where, "X", X)
        param_dtype = params[f"{self._first_linear}.W"].dtype
        if X.dtype != param_dtype:
            raise TypeError(
                f"{where} expects X with the parameters' dtype {param_dtype}; got {X.dtype}"
            )
        caches, used_masks = [], {}
        A = X
        width_checked = self._input_width is not None  # A's width is known to fit
        for index, layer in enumerate(self.layers):
            if isinstance(layer, Linear):
                # after a layer of your own, A's width is unknown: the checked forward
                run = layer._forward if width_checked else layer.forward
                A, cache = run(self.layer_params(params, index), A)
                width_checked = True
            elif isinstance(layer, Dropout):
                if training:
                    mask = masks[index] if masks is not None else layer.draw_mask(rng, A.shape)
                    used_masks[index] = mask
                    A, cache = layer.forward({}, A, mask=mask)  # checks the mask's shape
                else:
                    A, cache = layer.forward({}, A, training=False)
            elif (
                isinstance(layer, ReLU) and index > 0 and isinstance(self.layers[index - 1], Linear)
            ):
                # A is the Linear's fresh output, needed by nobody else: overwrite it
                # (never X itself, when a ReLU comes first)
                A, cache = layer._forward({}, A, inplace=True)
            else:  # a user's own layer may have only the public, checked forward
                A, cache = getattr(layer, "_forward", layer.forward)({}, A)
                width_checked = width_checked and isinstance(layer, SHAPE_PRESERVING)
            caches.append(cache)
        return A, MLPCache(caches, used_masks, A.shape, A.dtype)

    def backward(self, cache, dY, input_grad=True):
        """(dX, grads). input_grad=False skips the first layer's dX (a whole matmul
        with the widest weight): training never needs the data's gradient."""
        check_upstream(f"{self!r}.backward", "dY", dY, cache.out_shape, cache.out_dtype)
        grads = {}
        dA = dY
        for index in reversed(range(len(self.layers))):
            layer = self.layers[index]
            if isinstance(layer, Linear):
                dA, layer_grads = layer._backward(
                    cache.caches[index], dA, input_grad=input_grad or index > 0
                )
                for key, value in layer_grads.items():
                    grads[f"{index}.{key}"] = value
            elif (
                isinstance(layer, ReLU)
                and dA is not dY
                and isinstance(self.layers[index + 1], (Linear, Dropout))
            ):
                dA, _ = layer._backward(cache.caches[index], dA, inplace=True)  # ours: reuse
            else:
                dA, _ = getattr(layer, "_backward", layer.backward)(cache.caches[index], dA)
        return dA, grads

    def _check_params(self, params):
        expected = self._param_keys
        if not isinstance(params, dict) or params.keys() != expected:
            got = sorted(params) if isinstance(params, dict) else type(params).__name__
            raise ValueError(f"{self!r} expects params with keys {sorted(expected)}; got {got}")
