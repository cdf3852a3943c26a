"""One declarative record per component; every generic test is driven from RECORDS.

A record says where the component lives (its file stem, the same in scratch/,
reference/torch/ and reference/jax/), how to build it, how to make sample inputs and
which tolerances apply. It never imports a framework: twins are looked up by name
(`twin(record, "torch")`) only by the tests that need them.

Tolerances live in the one table in reference/backends.py.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from reference.backends import backend_module


def away_from_zero(rng, shape, margin=1e-3):
    """Standard normal samples with |x| >= margin: keeps inputs off ReLU-like kinks,
    where the one-sided derivative conventions differ and differences are meaningless."""
    X = rng.standard_normal(shape)
    X[np.abs(X) < margin] = margin
    return X


@dataclass(frozen=True)
class Record:
    name: str                     # test id, e.g. "gelu_tanh"
    stem: str                     # module stem in scratch/, reference/torch/, reference/jax/
    cls: str                      # class name, the same in all three
    kind: str                     # "layer", "loss" or "dropout"
    kwargs: dict = field(default_factory=dict)
    # shape of the sample input X (layers) or Z (losses), for a batch of N
    input_shape: Callable[[int], tuple] = lambda N: (N, 5)
    make_input: Callable = away_from_zero
    # losses only: the target for a given input shape (float T or integer labels y)
    make_target: Optional[Callable] = None
    # the extreme-input test scales a unit input by up to 1e4: losses/activations only
    extreme_inputs: bool = True

    def build(self, backend="numpy"):
        return getattr(backend_module(backend, self.stem), self.cls)(**self.kwargs)

    def params(self, rng, dtype):
        """Random parameters (biases included, so forward depends on every entry)."""
        if self.kind != "layer":
            return {}
        shapes = {k: v.shape for k, v in self.build().init(rng).items()}  # {} if none
        return {k: rng.standard_normal(s).astype(dtype) for k, s in shapes.items()}

    def sample(self, rng, dtype, N=4, shape=None):
        """(X or Z, target or None) for this component, in `dtype`."""
        shape = shape or self.input_shape(N)
        X = self.make_input(rng, shape).astype(dtype)
        target = self.make_target(rng, shape, dtype) if self.make_target else None
        return X, target


def twin(record, backend):
    """The twin component of `record` on backend "torch" or "jax"."""
    return record.build(backend)


def _regression_target(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def _probability_target(rng, shape, dtype):
    return rng.uniform(0, 1, shape).astype(dtype)


def _class_labels(rng, shape, dtype):
    return rng.integers(0, shape[-1], size=shape[0]).astype(np.int64)


RECORDS = [
    Record("linear", "nn.linear", "Linear", "layer", {"d_in": 5, "d_out": 3},
           extreme_inputs=False),
    Record("relu", "nn.activations", "ReLU", "layer"),
    Record("leaky_relu", "nn.activations", "LeakyReLU", "layer", {"slope": 0.1}),
    Record("sigmoid", "nn.activations", "Sigmoid", "layer"),
    Record("tanh", "nn.activations", "Tanh", "layer"),
    Record("gelu_exact", "nn.activations", "GELU", "layer", {"approximate": "none"}),
    Record("gelu_tanh", "nn.activations", "GELU", "layer", {"approximate": "tanh"}),
    Record("softmax", "nn.softmax", "Softmax", "layer"),
    Record("log_softmax", "nn.softmax", "LogSoftmax", "layer"),
    Record("mse", "nn.losses", "MSE", "loss", make_target=_regression_target),
    Record("bce_with_logits", "nn.losses", "BCEWithLogits", "loss",
           make_target=_probability_target),
    Record("softmax_cross_entropy", "nn.losses", "SoftmaxCrossEntropy", "loss",
           make_target=_class_labels),
    Record("softmax_cross_entropy_smoothed", "nn.losses", "SoftmaxCrossEntropy", "loss",
           {"label_smoothing": 0.1}, make_target=_class_labels),
    Record("dropout", "nn.dropout", "Dropout", "dropout", {"p": 0.3}, extreme_inputs=False),
    # the composition: eval mode here; dropout masks replayed in test_mlp.py
    Record("mlp_tanh", "nn.mlp", "MLP", "layer", {"sizes": [5, 7, 6, 3], "activation": "tanh"},
           extreme_inputs=False),
    Record("mlp_relu_dropout", "nn.mlp", "MLP", "layer",
           {"sizes": [5, 8, 4], "activation": "relu", "dropout": 0.25}, extreme_inputs=False),
    Record("mlp_gelu", "nn.mlp", "MLP", "layer", {"sizes": [5, 6, 2], "activation": "gelu"},
           extreme_inputs=False),
]

BY_NAME = {r.name: r for r in RECORDS}

# components whose parity is a whole training trajectory (parity_tests/test_perceptron.py)
LEARNER_RECORDS = [("nn.perceptron", "Perceptron"), ("training.train", "Backend")]
