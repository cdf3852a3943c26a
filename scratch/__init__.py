"""A tiny neural network from first principles, in NumPy only.

Every component follows the protocol in `scratch.protocol`; every one has a twin in
`reference.torch` and `reference.jax`, and `parity_tests/` proves they agree.
"""

from scratch.nn.activations import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from scratch.nn.dropout import Dropout
from scratch.nn.linear import Linear
from scratch.nn.losses import MSE, BCEWithLogits, SoftmaxCrossEntropy
from scratch.nn.softmax import LogSoftmax, Softmax

__all__ = [
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "MSE",
    "BCEWithLogits",
    "SoftmaxCrossEntropy",
    "Dropout",
]
