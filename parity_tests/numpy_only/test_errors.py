"""Bad input: one test per mistake, asserting that the message names the argument, what
was expected and what was given."""

import re

import numpy as np
import pytest

from scratch import (GELU, MSE, BCEWithLogits, Dropout, LeakyReLU, Linear, ReLU,
                     Softmax, SoftmaxCrossEntropy)

rng = np.random.default_rng(0)


@pytest.fixture
def linear():
    layer = Linear(784, 128)
    return layer, layer.init(np.random.default_rng(0))


# one case per mistake in X: (what is wrong, the X given, exception, message it must contain)
BAD_X = [
    ("wrong_width", np.zeros((32, 785)), ValueError,
     "Linear(784, 128, init='he') expects X of shape (N, 784); got (32, 785)"),
    ("wrong_rank", np.zeros(784), ValueError, "expects X of shape (N, 784); got (784,)"),
    ("empty_batch", np.zeros((0, 784)), ValueError, "non-empty batch in X; got shape (0, 784)"),
    ("integer_input", np.zeros((2, 784), dtype=np.int64), TypeError,
     "expects X with dtype float32 or float64; got int64"),
    ("list_input", [[0.0] * 784], TypeError, "expects X as a numpy array; got list"),
    ("mixed_dtypes", np.zeros((2, 784), dtype=np.float32), TypeError,
     "expects X with the parameters' dtype float64; got float32"),
]


@pytest.mark.parametrize("X, error, message", [case[1:] for case in BAD_X],
                         ids=[case[0] for case in BAD_X])
def test_linear_rejects_bad_X(linear, X, error, message):
    layer, params = linear
    with pytest.raises(error, match=re.escape(message)):
        layer.forward(params, X)


def test_linear_wrong_parameter_shape(linear):
    layer, params = linear
    params = dict(params, W=params["W"].T)
    with pytest.raises(ValueError, match=re.escape("params['W'] of shape (784, 128); got (128, 784)")):
        layer.forward(params, np.zeros((2, 784)))


def test_linear_missing_parameter(linear):
    layer, params = linear
    with pytest.raises(ValueError, match=re.escape("params with keys ['W', 'b']; got ['W']")):
        layer.forward({"W": params["W"]}, np.zeros((2, 784)))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_linear_bad_sizes(bad):
    with pytest.raises(ValueError, match=f"Linear expects d_in as a positive integer; got {bad!r}"):
        Linear(bad, 3)


def test_linear_unknown_init():
    with pytest.raises(ValueError, match=re.escape("Linear expects init to be one of ['he', 'xavier']; got 'glorot'")):
        Linear(3, 4, init="glorot")


def test_linear_init_needs_a_generator():
    with pytest.raises(TypeError, match="rng as a numpy.random.Generator; got int"):
        Linear(3, 4).init(42)


def test_upstream_gradient_of_wrong_shape(linear):
    layer, params = linear
    _, cache = layer.forward(params, np.zeros((32, 784)))
    with pytest.raises(ValueError, match=re.escape(
            "expects dY of shape (32, 128) (the forward output's shape); got (32, 127)")):
        layer.backward(cache, np.zeros((32, 127)))


def test_upstream_gradient_of_wrong_shape_activation():
    _, cache = ReLU().forward({}, np.ones((4, 3)))
    with pytest.raises(ValueError, match=re.escape("ReLU().backward expects dY of shape (4, 3)")):
        ReLU().backward(cache, np.ones((3, 4)))


def test_upstream_gradient_of_other_dtype():
    _, cache = ReLU().forward({}, np.ones((4, 3)))
    with pytest.raises(TypeError, match="dtype float64 \\(the forward output's\\); got float32"):
        ReLU().backward(cache, np.ones((4, 3), dtype=np.float32))


def test_cross_entropy_label_count_differs_from_batch():
    with pytest.raises(ValueError, match=re.escape("expects labels y of shape (4,), one per row of Z; got (3,)")):
        SoftmaxCrossEntropy().forward(np.zeros((4, 10)), np.array([1, 2, 3]))


@pytest.mark.parametrize("label", [-1, 10])
def test_cross_entropy_label_out_of_range(label):
    y = np.array([0, 1, label, 2])
    with pytest.raises(ValueError, match=re.escape(f"labels y in [0, 10) for 10 classes; got 1 out of range, e.g. {label}")):
        SoftmaxCrossEntropy().forward(np.zeros((4, 10)), y)


def test_cross_entropy_float_labels():
    with pytest.raises(TypeError, match="integer class labels y .*got dtype float64"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_cross_entropy_logits_of_wrong_rank():
    with pytest.raises(ValueError, match=re.escape("logits Z of shape (N, C) with N, C > 0; got (6,)")):
        SoftmaxCrossEntropy().forward(np.zeros(6), np.array([0]))


@pytest.mark.parametrize("eps", [-0.1, 1.5])
def test_cross_entropy_bad_label_smoothing(eps):
    with pytest.raises(ValueError, match=re.escape(f"label_smoothing in [0.0, 1.0]; got {eps}")):
        SoftmaxCrossEntropy(label_smoothing=eps)


def test_bce_targets_outside_unit_interval():
    with pytest.raises(ValueError, match="expects targets T in \\[0, 1\\]; got values from -0.5 to 2.0"):
        BCEWithLogits().forward(np.zeros(3), np.array([-0.5, 1.0, 2.0]))


def test_bce_target_shape():
    with pytest.raises(ValueError, match=re.escape("expects T of the same shape as Z (4, 1); got (4,)")):
        BCEWithLogits().forward(np.zeros((4, 1)), np.zeros(4))


def test_mse_nan_targets():
    with pytest.raises(ValueError, match="expects finite T; got NaN or inf at 1 position"):
        MSE().forward(np.zeros(3), np.array([0.0, np.nan, 1.0]))


def test_loss_upstream_must_be_scalar():
    _, cache = MSE().forward(np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match=re.escape("expects dL as a scalar (the loss is a scalar); got shape (3,)")):
        MSE().backward(cache, np.ones(3))


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_probability_outside_range(p):
    with pytest.raises(ValueError, match=re.escape(f"Dropout expects p in [0.0, 1.0); got {p}")):
        Dropout(p)


def test_dropout_needs_mask_or_rng_in_training():
    with pytest.raises(ValueError, match="exactly one of mask= .* or rng= .*; got neither"):
        Dropout(0.5).forward({}, np.ones((2, 2)))


def test_dropout_mask_of_wrong_shape():
    with pytest.raises(ValueError, match=re.escape("mask of X's shape (2, 2); got (2, 3)")):
        Dropout(0.5).forward({}, np.ones((2, 2)), mask=np.ones((2, 3), dtype=bool))


def test_dropout_mask_not_boolean():
    with pytest.raises(TypeError, match="mask as a numpy bool array; got float64"):
        Dropout(0.5).forward({}, np.ones((2, 2)), mask=np.ones((2, 2)))


def test_gelu_unknown_approximation():
    with pytest.raises(ValueError, match=re.escape("GELU expects approximate to be one of ['none', 'tanh']; got 'erf'")):
        GELU(approximate="erf")


def test_leaky_relu_negative_slope():
    with pytest.raises(ValueError, match=re.escape("LeakyReLU expects slope in [0.0, inf]; got -0.1")):
        LeakyReLU(slope=-0.1)


def test_softmax_of_a_scalar():
    with pytest.raises(ValueError, match="non-empty last \\(class\\) axis; got \\(\\)"):
        Softmax().forward({}, np.array(1.0))
