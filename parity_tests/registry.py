"""One declarative record per component; every generic test is driven from RECORDS.

As PyTorch's OpInfo: a record says where the component lives (its file stem, the same in
scratch/, reference/torch/ and reference/jax/), how to build it, and yields

  - `samples(rng, dtype)`: named SampleInputs over several shapes (the default one,
    batch 1, width 1, both; 1-d predictions for losses that take them), each with its
    constructor arguments, inputs, forward keyword arguments and a random upstream
    gradient;
  - `error_inputs()`: ErrorInputs, each a bad call with the exception type and a fragment
    of the message it must raise (written in parity_tests/error_inputs.py).

What differs between kinds of component (a layer's forward(params, X) and backward(cache,
dY) against a loss's forward(Z, target) and backward(cache, dL); dropout's mask, which
must be read back from the twin) is written here, once, in the record's methods
`call_forward`, `call_backward`, `run`, `run_twin`, `against_twin` and `gradcheck`:
the generic tests only iterate records and samples.

A record never imports a framework: twins are looked up by name through the backend map
(reference/backends.py), only when a test asks for them. Tolerances live in the one
table there too.
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from parity_tests import error_inputs
from reference.backends import autodiff, backend_module
from scratch.tools.gradcheck import check_layer, check_loss


def away_from_zero(rng, shape, margin=1e-3):
    """Standard normal samples with |x| >= margin: keeps inputs off ReLU-like kinks,
    where the one-sided derivative conventions differ and differences are meaningless."""
    X = rng.standard_normal(shape)
    X[np.abs(X) < margin] = margin
    return X


class SampleInput(NamedTuple):
    name: str  # e.g. "N4_D5", "N1_D1"
    kwargs: dict  # constructor arguments for this sample's shape
    inputs: dict  # {"params": ..., "X": ...} for a layer, {"Z": ..., "target": ...} for a loss
    forward_kwargs: dict  # e.g. {"mask": ...} or {"training": False} for dropout
    upstream: object  # dY (an array of the output's shape) or dL (a scalar, not 1)
    seed: int  # for twins that draw their own randomness (dropout)

    def arrays(self):
        """Every array handed to the component, by name (params spread out)."""
        out = {k: v for k, v in self.inputs.items() if isinstance(v, np.ndarray)}
        out.update({f"params[{k!r}]": v for k, v in self.inputs.get("params", {}).items()})
        out.update({k: v for k, v in self.forward_kwargs.items() if isinstance(v, np.ndarray)})
        if isinstance(self.upstream, np.ndarray):
            out["upstream"] = self.upstream
        return out


class ErrorInput(NamedTuple):
    description: str  # test id, e.g. "wrong_width"
    call: Callable  # no arguments; must raise
    error: type  # ValueError or TypeError
    message: str  # a fragment the message must contain (matched literally)


def _stage(name):
    return "forward" if name in ("Y", "L") else "gradient"


# (name, batch N, input width D or None for the record's own, output width M or None)
SHAPES = [
    ("default", 4, None, None),
    ("N1", 1, None, None),
    ("D1", 3, 1, None),
    ("N1_D1_M1", 1, 1, 1),
]


@dataclass(frozen=True)
class Record:
    name: str  # test id, e.g. "gelu_tanh"
    stem: str  # module path in scratch/, reference/torch/, reference/jax/
    cls: str  # class name, the same in all three
    kwargs: dict = field(default_factory=dict)
    width: int = 5  # input width of the default sample
    # for components whose widths are fixed at construction (Linear, MLP): the kwargs for
    # input width D and output width M (None: keep the record's own); None otherwise
    resized: Callable[[dict, int, int | None], dict] | None = None
    make_input: Callable = away_from_zero
    shapes: tuple = tuple(SHAPES)
    # the extreme-input test scales a unit input by up to 1e4: losses/activations only
    extreme_inputs: bool = True
    errors: Callable[[], list] | None = None  # a function in parity_tests/error_inputs.py

    # -- building --------------------------------------------------------------------
    def build(self, backend="numpy", kwargs=None):
        kwargs = self.kwargs if kwargs is None else kwargs
        return getattr(backend_module(backend, self.stem), self.cls)(**kwargs)

    def twin(self, backend, kwargs=None):
        """The twin component on backend "torch" or "jax"."""
        return self.build(backend, kwargs)

    def kwargs_for(self, D, M=None):
        return self.kwargs if self.resized is None else self.resized(self.kwargs, D, M)

    # -- samples ---------------------------------------------------------------------
    def samples(self, rng, dtype):
        """Named SampleInputs over this record's shapes, in `dtype`."""
        for name, N, D, M in self.shapes:
            yield self.sample_at(rng, dtype, N, D or self.width, M, name=name)

    def sample_at(self, rng, dtype, N, D, M=None, name=None):
        raise NotImplementedError

    def error_inputs(self):
        return list(self.errors()) if self.errors else []

    # -- running ---------------------------------------------------------------------
    def run(self, sample, component=None):
        """Forward then backward on scratch: every output by name ("Y", "dX", "dW", ...)."""
        component = component or self.build(kwargs=sample.kwargs)
        out, cache = self.call_forward(component, sample)
        return {self.output_name: out, **self.call_backward(component, cache, sample)}

    def against_twin(self, backend, sample):
        """[(name, ours, theirs, stage)] for the output and every gradient."""
        ours, theirs = self.run(sample), self.run_twin(backend, sample)
        assert sorted(ours) == sorted(theirs), f"outputs {sorted(ours)} != twin's {sorted(theirs)}"
        return [(name, ours[name], theirs[name], _stage(name)) for name in ours]


@dataclass(frozen=True)
class LayerRecord(Record):
    """forward(params, X) -> (Y, cache); backward(cache, dY) -> (dX, grads)."""

    output_name = "Y"

    def params(self, rng, dtype, kwargs=None):
        """Random parameters (biases included, so forward depends on every entry)."""
        shapes = {k: v.shape for k, v in self.build(kwargs=kwargs).init(rng).items()}
        return {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}

    def sample_at(self, rng, dtype, N, D, M=None, name=None):
        kwargs = self.kwargs_for(D, M)
        X = self.make_input(rng, (N, D)).astype(dtype)
        params = self.params(rng, dtype, kwargs)
        forward_kwargs = self.forward_kwargs_for(rng, X)
        out = self.build(kwargs=kwargs).forward(params, X, **forward_kwargs)[0]
        dY = rng.standard_normal(out.shape).astype(dtype)  # random upstream, never ones
        return SampleInput(
            name or f"N{N}_D{D}",
            kwargs,
            {"params": params, "X": X},
            forward_kwargs,
            dY,
            int(rng.integers(2**31)),
        )

    def forward_kwargs_for(self, rng, X):
        return {}

    def main_input(self, sample):
        return sample.inputs["X"]

    def with_input(self, sample, X):
        """The same sample on another input of the same shape."""
        return sample._replace(inputs=dict(sample.inputs, X=X))

    def call_forward(self, component, sample):
        return component.forward(
            sample.inputs["params"], sample.inputs["X"], **sample.forward_kwargs
        )

    def call_backward(self, component, cache, sample):
        dX, grads = component.backward(cache, sample.upstream)
        assert sorted(grads) == sorted(sample.inputs["params"]), (
            f"{self.name}: grads keys {sorted(grads)} != params keys"
        )
        return {"dX": dX, **{f"d{k}": g for k, g in grads.items()}}

    def run_twin(self, backend, sample, **twin_kwargs):
        Y, dX, grads = autodiff(backend).layer_vjp(
            self.twin(backend, sample.kwargs),
            sample.inputs["params"],
            sample.inputs["X"],
            sample.upstream,
            **twin_kwargs,
        )
        return {"Y": Y, "dX": dX, **{f"d{k}": g for k, g in grads.items()}}

    def gradcheck(self, sample, tolerance):
        return check_layer(
            self.build(kwargs=sample.kwargs),
            sample.inputs["params"],
            sample.inputs["X"],
            sample.upstream,
            tolerance=tolerance,
            forward_kwargs=sample.forward_kwargs,
        )


@dataclass(frozen=True)
class LossRecord(Record):
    """forward(Z, target) -> (L, cache); backward(cache, dL) -> dZ."""

    make_target: Callable = None  # (rng, shape, dtype) -> float targets T or integer labels y
    one_d: bool = False  # also takes predictions of shape (N,)
    output_name = "L"

    def samples(self, rng, dtype):
        yield from super().samples(rng, dtype)
        if self.one_d:
            yield self._sample(rng, dtype, (4,), "1d")

    def sample_at(self, rng, dtype, N, D, M=None, name=None):
        shape = (N,) if self.one_d and M == 1 else (N, D)  # 1-d predictions are common
        return self._sample(rng, dtype, shape, name or f"N{N}_D{D}")

    def _sample(self, rng, dtype, shape, name):
        Z = self.make_input(rng, shape).astype(dtype)
        target = self.make_target(rng, shape, dtype)
        dL = float(rng.uniform(0.5, 2.0))  # a random upstream scalar, not 1
        return SampleInput(
            name, self.kwargs, {"Z": Z, "target": target}, {}, dL, int(rng.integers(2**31))
        )

    def main_input(self, sample):
        return sample.inputs["Z"]

    def with_input(self, sample, Z):
        return sample._replace(inputs=dict(sample.inputs, Z=Z))

    def call_forward(self, component, sample):
        return component.forward(sample.inputs["Z"], sample.inputs["target"])

    def call_backward(self, component, cache, sample):
        return {"dZ": component.backward(cache, sample.upstream)}

    def run_twin(self, backend, sample):
        L, dZ = autodiff(backend).loss_vjp(
            self.twin(backend, sample.kwargs),
            sample.inputs["Z"],
            sample.inputs["target"],
            sample.upstream,
        )
        return {"L": L, "dZ": dZ}

    def gradcheck(self, sample, tolerance):
        return check_loss(
            self.build(kwargs=sample.kwargs),
            sample.inputs["Z"],
            sample.inputs["target"],
            dL=sample.upstream,
            tolerance=tolerance,
        )


@dataclass(frozen=True)
class DropoutRecord(LayerRecord):
    """Training-mode samples carry an explicit keep-mask (scratch's gradient check and
    the no-modification tests use it); an eval-mode sample is the identity. Masks cannot
    be matched across RNGs, so against a twin the twin runs first, its mask is read back
    as Y != 0 (the input has no zeros) and handed to scratch."""

    shapes: tuple = (
        ("default", 64, None, None),
        ("N1", 1, None, None),
        ("D1", 64, 1, None),
        ("eval", 4, None, None),
    )

    def forward_kwargs_for(self, rng, X):
        return {"mask": rng.random(X.shape) >= self.kwargs["p"]}

    def samples(self, rng, dtype):
        for sample in super().samples(rng, dtype):
            yield (
                sample._replace(forward_kwargs={"training": False})
                if sample.name == "eval"
                else sample
            )

    def against_twin(self, backend, sample):
        if sample.forward_kwargs.get("training", True) is False:
            return super().against_twin(backend, sample)  # the identity on both sides
        twin_kwargs = {}
        if backend == "torch":
            import torch

            torch.manual_seed(sample.seed)
        else:
            import jax

            twin_kwargs = {"key": jax.random.key(sample.seed)}
        theirs = self.run_twin(backend, sample, **twin_kwargs)
        mask = theirs["Y"] != 0
        if mask.size >= 16:  # a mask of a handful of units may keep all of them
            assert 0 < mask.mean() < 1, "the twin's mask should drop some units and keep others"
        ours = self.run(sample._replace(forward_kwargs={"mask": mask}))
        return [(name, ours[name], theirs[name], _stage(name)) for name in ("Y", "dX")]

    def run_twin(self, backend, sample, **twin_kwargs):
        if sample.forward_kwargs.get("training", True) is False:
            twin_kwargs["training"] = False
        return super().run_twin(backend, sample, **twin_kwargs)


def _regression_target(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _probability_target(rng, shape, dtype):
    return rng.uniform(0, 1, shape).astype(dtype)


def _class_labels(rng, shape, dtype):
    return rng.integers(0, shape[-1], size=shape[0]).astype(np.int64)


def _linear_resized(kwargs, D, M):
    return dict(kwargs, d_in=D, d_out=M or kwargs["d_out"])


def _mlp_resized(kwargs, D, M):
    sizes = kwargs["sizes"]
    return dict(kwargs, sizes=[D, *sizes[1:-1], M or sizes[-1]])


RECORDS = [
    LayerRecord(
        "linear",
        "nn.linear",
        "Linear",
        {"d_in": 5, "d_out": 3},
        resized=_linear_resized,
        extreme_inputs=False,
        errors=error_inputs.linear,
    ),
    LayerRecord("relu", "nn.activations", "ReLU", errors=error_inputs.relu),
    LayerRecord(
        "leaky_relu", "nn.activations", "LeakyReLU", {"slope": 0.1}, errors=error_inputs.leaky_relu
    ),
    LayerRecord("elu", "nn.activations", "ELU", {"alpha": 0.7}, errors=error_inputs.elu),
    LayerRecord("sigmoid", "nn.activations", "Sigmoid"),
    LayerRecord("tanh", "nn.activations", "Tanh"),
    LayerRecord(
        "gelu_exact", "nn.activations", "GELU", {"approximate": "none"}, errors=error_inputs.gelu
    ),
    LayerRecord("gelu_tanh", "nn.activations", "GELU", {"approximate": "tanh"}),
    LayerRecord("softmax", "nn.softmax", "Softmax", errors=error_inputs.softmax),
    LayerRecord("log_softmax", "nn.softmax", "LogSoftmax"),
    LossRecord(
        "mse",
        "nn.losses",
        "MSE",
        make_target=_regression_target,
        one_d=True,
        errors=error_inputs.mse,
    ),
    LossRecord(
        "bce_with_logits",
        "nn.losses",
        "BCEWithLogits",
        make_target=_probability_target,
        one_d=True,
        errors=error_inputs.bce_with_logits,
    ),
    LossRecord(
        "softmax_cross_entropy",
        "nn.losses",
        "SoftmaxCrossEntropy",
        make_target=_class_labels,
        errors=error_inputs.softmax_cross_entropy,
    ),
    LossRecord(
        "softmax_cross_entropy_smoothed",
        "nn.losses",
        "SoftmaxCrossEntropy",
        {"label_smoothing": 0.1},
        make_target=_class_labels,
    ),
    DropoutRecord(
        "dropout",
        "nn.dropout",
        "Dropout",
        {"p": 0.3},
        width=32,
        extreme_inputs=False,
        errors=error_inputs.dropout,
    ),
    # the composition: eval mode here; dropout masks replayed in test_mlp.py
    LayerRecord(
        "mlp_tanh",
        "nn.mlp",
        "MLP",
        {"sizes": [5, 7, 6, 3], "activation": "tanh"},
        resized=_mlp_resized,
        extreme_inputs=False,
    ),
    LayerRecord(
        "mlp_relu_dropout",
        "nn.mlp",
        "MLP",
        {"sizes": [5, 8, 4], "activation": "relu", "dropout": 0.25},
        resized=_mlp_resized,
        extreme_inputs=False,
    ),
    LayerRecord(
        "mlp_gelu",
        "nn.mlp",
        "MLP",
        {"sizes": [5, 6, 2], "activation": "gelu"},
        resized=_mlp_resized,
        extreme_inputs=False,
    ),
]

BY_NAME = {r.name: r for r in RECORDS}


def seed_for(*parts):
    """A seed fixed by the test's identity (record, backend, dtype), independent of order."""
    return zlib.crc32("/".join(parts).encode())


# components whose parity is a whole training trajectory (parity_tests/test_perceptron.py)
LEARNER_RECORDS = [("nn.perceptron", "Perceptron"), ("training.train", "Backend")]
