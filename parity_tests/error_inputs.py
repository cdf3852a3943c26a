"""Bad input, per component: each function yields the ErrorInputs of one component class
(a registry record points at it), each a call that must raise the given exception with a
message naming the argument, what was expected and what was given. Driven by the one
generic test in parity_tests/numpy_only/test_errors.py.

Error inputs belong to a class, not to a record: GELU's exact and tanh records share one
function, attached to one of them.
"""

import numpy as np

from scratch.nn.activations import ELU, GELU, LeakyReLU, ReLU
from scratch.nn.dropout import Dropout
from scratch.nn.linear import Linear
from scratch.nn.losses import MSE, BCEWithLogits, SoftmaxCrossEntropy
from scratch.nn.softmax import Softmax


def _case(description, call, error, message):
    from parity_tests.registry import ErrorInput  # the registry imports this module

    return ErrorInput(description, call, error, message)


def linear():
    layer = Linear(784, 128)
    params = layer.init(np.random.default_rng(0))
    # one case per mistake in X: (what is wrong, the X given, exception, message)
    bad_X = [
        (
            "wrong_width",
            np.zeros((32, 785)),
            ValueError,
            "Linear(784, 128, init='he') expects X of shape (N, 784); got (32, 785)",
        ),
        ("wrong_rank", np.zeros(784), ValueError, "expects X of shape (N, 784); got (784,)"),
        ("empty_batch", np.zeros((0, 784)), ValueError, "non-empty batch in X; got shape (0, 784)"),
        (
            "integer_input",
            np.zeros((2, 784), dtype=np.int64),
            TypeError,
            "expects X with dtype float32 or float64; got int64",
        ),
        ("list_input", [[0.0] * 784], TypeError, "expects X as a numpy array; got list"),
        (
            "mixed_dtypes",
            np.zeros((2, 784), dtype=np.float32),
            TypeError,
            "expects X with the parameters' dtype float64; got float32",
        ),
    ]
    for description, X, error, message in bad_X:
        yield _case(description, lambda X=X: layer.forward(params, X), error, message)
    yield _case(
        "wrong_parameter_shape",
        lambda: layer.forward(dict(params, W=params["W"].T), np.zeros((2, 784))),
        ValueError,
        "params['W'] of shape (784, 128); got (128, 784)",
    )
    yield _case(
        "missing_parameter",
        lambda: layer.forward({"W": params["W"]}, np.zeros((2, 784))),
        ValueError,
        "params with keys ['W', 'b']; got ['W']",
    )
    for bad in [0, -3, 2.5, True]:
        yield _case(
            f"bad_size_{bad!r}",
            lambda bad=bad: Linear(bad, 3),
            ValueError,
            f"Linear expects d_in as a positive integer; got {bad!r}",
        )
    yield _case(
        "unknown_init",
        lambda: Linear(3, 4, init="glorot"),
        ValueError,
        "Linear expects init to be one of ['he', 'xavier']; got 'glorot'",
    )
    yield _case(
        "init_needs_a_generator",
        lambda: Linear(3, 4).init(42),
        TypeError,
        "rng as a numpy.random.Generator; got int",
    )
    _, cache = layer.forward(params, np.zeros((32, 784)))
    yield _case(
        "upstream_gradient_of_wrong_shape",
        lambda: layer.backward(cache, np.zeros((32, 127))),
        ValueError,
        "expects dY of shape (32, 128) (the forward output's shape); got (32, 127)",
    )


def relu():
    _, cache = ReLU().forward({}, np.ones((4, 3)))
    yield _case(
        "upstream_gradient_of_wrong_shape",
        lambda: ReLU().backward(cache, np.ones((3, 4))),
        ValueError,
        "ReLU().backward expects dY of shape (4, 3)",
    )
    yield _case(
        "upstream_gradient_of_other_dtype",
        lambda: ReLU().backward(cache, np.ones((4, 3), dtype=np.float32)),
        TypeError,
        "dtype float64 (the forward output's); got float32",
    )


def leaky_relu():
    yield _case(
        "negative_slope",
        lambda: LeakyReLU(slope=-0.1),
        ValueError,
        "LeakyReLU expects slope in [0.0, inf]; got -0.1",
    )


def elu():
    yield _case(
        "negative_alpha",
        lambda: ELU(alpha=-1.0),
        ValueError,
        "ELU expects alpha in [0.0, inf]; got -1.0",
    )
    yield _case(
        "integer_input",
        lambda: ELU().forward({}, np.zeros((2, 3), dtype=np.int64)),
        TypeError,
        "ELU(alpha=1.0) expects X with dtype float32 or float64; got int64",
    )


def gelu():
    yield _case(
        "unknown_approximation",
        lambda: GELU(approximate="erf"),
        ValueError,
        "GELU expects approximate to be one of ['none', 'tanh']; got 'erf'",
    )


def softmax():
    yield _case(
        "scalar_input",
        lambda: Softmax().forward({}, np.array(1.0)),
        ValueError,
        "non-empty last (class) axis; got ()",
    )


def softmax_cross_entropy():
    ce = SoftmaxCrossEntropy()
    yield _case(
        "label_count_differs_from_batch",
        lambda: ce.forward(np.zeros((4, 10)), np.array([1, 2, 3])),
        ValueError,
        "expects labels y of shape (4,), one per row of Z; got (3,)",
    )
    for label in [-1, 10]:
        yield _case(
            f"label_out_of_range_{label}",
            lambda label=label: ce.forward(np.zeros((4, 10)), np.array([0, 1, label, 2])),
            ValueError,
            f"labels y in [0, 10) for 10 classes; got 1 out of range, e.g. {label}",
        )
    yield _case(
        "float_labels",
        lambda: ce.forward(np.zeros((2, 3)), np.array([0.0, 1.0])),
        TypeError,
        "got dtype float64",
    )
    yield _case(
        "logits_of_wrong_rank",
        lambda: ce.forward(np.zeros(6), np.array([0])),
        ValueError,
        "logits Z of shape (N, C) with N, C > 0; got (6,)",
    )
    for eps in [-0.1, 1.5]:
        yield _case(
            f"bad_label_smoothing_{eps}",
            lambda eps=eps: SoftmaxCrossEntropy(label_smoothing=eps),
            ValueError,
            f"label_smoothing in [0.0, 1.0]; got {eps}",
        )


def bce_with_logits():
    bce = BCEWithLogits()
    yield _case(
        "targets_outside_unit_interval",
        lambda: bce.forward(np.zeros(3), np.array([-0.5, 1.0, 2.0])),
        ValueError,
        "expects targets T in [0, 1]; got values from -0.5 to 2.0",
    )
    yield _case(
        "target_shape",
        lambda: bce.forward(np.zeros((4, 1)), np.zeros(4)),
        ValueError,
        "expects T of the same shape as Z (4, 1); got (4,)",
    )


def mse():
    yield _case(
        "nan_targets",
        lambda: MSE().forward(np.zeros(3), np.array([0.0, np.nan, 1.0])),
        ValueError,
        "expects finite T; got NaN or inf at 1 position",
    )
    _, cache = MSE().forward(np.zeros(3), np.ones(3))
    yield _case(
        "upstream_must_be_scalar",
        lambda: MSE().backward(cache, np.ones(3)),
        ValueError,
        "expects dL as a scalar (the loss is a scalar); got shape (3,)",
    )


def dropout():
    for p in [-0.1, 1.0, 1.5]:
        yield _case(
            f"probability_outside_range_{p}",
            lambda p=p: Dropout(p),
            ValueError,
            f"Dropout expects p in [0.0, 1.0); got {p}",
        )
    yield _case(
        "needs_mask_or_rng_in_training",
        lambda: Dropout(0.5).forward({}, np.ones((2, 2))),
        ValueError,
        "or rng= (a numpy Generator); got neither",
    )
    yield _case(
        "mask_of_wrong_shape",
        lambda: Dropout(0.5).forward({}, np.ones((2, 2)), mask=np.ones((2, 3), dtype=bool)),
        ValueError,
        "mask of X's shape (2, 2); got (2, 3)",
    )
    yield _case(
        "mask_not_boolean",
        lambda: Dropout(0.5).forward({}, np.ones((2, 2)), mask=np.ones((2, 2))),
        TypeError,
        "mask as a numpy bool array; got float64",
    )
