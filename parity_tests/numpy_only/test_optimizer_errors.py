"""Optimizer and schedule mistakes: each raises naming the argument, the expected and the
given value (torch.optim raises for the same mistakes, e.g. "Invalid learning rate: -0.1")."""

import re

import numpy as np
import pytest

from scratch.optim.optimizers import SGD, Adam, AdamW, RMSProp
from scratch.optim.schedules import StepDecay, WarmupCosine

PARAMS = {"W": np.ones((2, 3)), "b": np.zeros(3)}
GRADS = {"W": np.ones((2, 3)), "b": np.ones(3)}


@pytest.mark.parametrize("cls", [SGD, RMSProp, Adam, AdamW])
@pytest.mark.parametrize("lr", [0, -0.1])
def test_learning_rate_must_be_positive(cls, lr):
    with pytest.raises(
        ValueError, match=re.escape(f"{cls.__name__} expects lr in (0.0, inf]; got {lr}")
    ):
        cls(lr=lr)


def test_schedule_yielding_a_non_positive_rate_is_caught_at_that_update():
    opt = SGD(lr=lambda t: 0.1 if t < 2 else 0.0)
    params, state = PARAMS, opt.init(PARAMS)
    for _ in range(2):
        params, state = opt.update(GRADS, state, params)
    with pytest.raises(ValueError, match="yielded lr=0.0 at update 2; expected a finite value > 0"):
        opt.update(GRADS, state, params)


def test_momentum_must_be_non_negative():
    with pytest.raises(ValueError, match=re.escape("SGD expects momentum in [0.0, inf]; got -0.9")):
        SGD(lr=0.1, momentum=-0.9)


def test_nesterov_needs_momentum():
    with pytest.raises(
        ValueError, match="nesterov=True expects momentum > 0 and dampening = 0; got momentum=0"
    ):
        SGD(lr=0.1, nesterov=True)


@pytest.mark.parametrize("betas, which, bad", [((1.0, 0.999), 0, 1.0), ((0.9, -0.1), 1, -0.1)])
def test_betas_must_lie_in_unit_interval(betas, which, bad):
    with pytest.raises(
        ValueError, match=re.escape(f"Adam expects betas[{which}] in [0.0, 1.0); got {bad}")
    ):
        Adam(betas=betas)


def test_betas_must_be_a_pair():
    with pytest.raises(
        ValueError, match=re.escape("AdamW expects betas as a pair (beta1, beta2); got 0.9")
    ):
        AdamW(betas=0.9)


@pytest.mark.parametrize("cls", [Adam, RMSProp])
def test_eps_must_be_positive(cls):
    with pytest.raises(
        ValueError, match=re.escape(f"{cls.__name__} expects eps in (0.0, inf]; got 0")
    ):
        cls(eps=0)


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW])
def test_weight_decay_must_be_non_negative(cls):
    with pytest.raises(
        ValueError, match=re.escape(f"{cls.__name__} expects weight_decay in [0.0, inf]; got -0.01")
    ):
        cls(lr=0.1, weight_decay=-0.01)


def test_alpha_outside_unit_interval():
    with pytest.raises(ValueError, match=re.escape("RMSProp expects alpha in [0.0, 1.0); got 1.5")):
        RMSProp(alpha=1.5)


def test_gradient_keys_must_match_parameters():
    opt = Adam()
    with pytest.raises(
        ValueError, match=re.escape("expects grads with the parameters' keys ['W', 'b']; got ['W']")
    ):
        opt.update({"W": GRADS["W"]}, opt.init(PARAMS), PARAMS)


def test_gradient_shapes_must_match_parameters():
    opt = Adam()
    with pytest.raises(
        ValueError,
        match=re.escape("expects grads['W'] of shape (2, 3) (the parameter's); got (3, 2)"),
    ):
        opt.update({"W": np.ones((3, 2)), "b": GRADS["b"]}, opt.init(PARAMS), PARAMS)


def test_gradient_dtype_must_match_parameters():
    opt = SGD(lr=0.1)
    with pytest.raises(
        TypeError,
        match=re.escape("expects grads['b'] with dtype float64 (the parameter's); got float32"),
    ):
        opt.update({"W": GRADS["W"], "b": np.ones(3, dtype=np.float32)}, opt.init(PARAMS), PARAMS)


def test_max_grad_norm_must_be_positive():
    with pytest.raises(
        ValueError, match=re.escape("SGD expects max_grad_norm in (0.0, inf]; got 0")
    ):
        SGD(lr=0.1, max_grad_norm=0)


def test_step_decay_gamma_range():
    with pytest.raises(
        ValueError, match=re.escape("StepDecay expects gamma in (0.0, 1.0]; got 1.5")
    ):
        StepDecay(0.1, 10, gamma=1.5)


def test_cosine_needs_more_steps_than_warmup():
    with pytest.raises(
        ValueError, match="WarmupCosine expects total_steps > warmup_steps \\(10\\); got 10"
    ):
        WarmupCosine(0.1, warmup_steps=10, total_steps=10)


def test_update_leaves_arguments_untouched():
    opt = AdamW(lr=0.1, max_grad_norm=0.5)
    params = {k: v.copy() for k, v in PARAMS.items()}
    grads = {k: v.copy() for k, v in GRADS.items()}
    state = opt.init(params)
    before = {k: v.copy() for k, v in state["exp_avg"].items()}
    opt.update(grads, state, params)
    for k in PARAMS:
        np.testing.assert_array_equal(params[k], PARAMS[k])
        np.testing.assert_array_equal(grads[k], GRADS[k])
        np.testing.assert_array_equal(state["exp_avg"][k], before[k])
    assert state["step"] == 0
