"""Gradient descent variants with an optax-like interface, following torch.optim's rules.

    opt = Adam(lr=1e-3)
    state = opt.init(params)                        # {"step": 0, "exp_avg": {...}, ...}
    params, state = opt.update(grads, state, params)

`params` and `grads` are flat dicts name -> array with the same keys and shapes; state
buffers carry torch.optim's names (momentum_buffer, exp_avg, exp_avg_sq, ...), one array
per parameter. `update` returns new arrays and never modifies its arguments, unless asked with
`inplace=True` (then params and state are updated where they are, as torch.optim does).

Every optimizer also takes, in the same way:
    lr             a positive float or a schedule (scratch.optim.schedules), called with the
                   update index t = 0, 1, ...
    weight_decay   L2 added to the gradient, g + wd * p (torch's `weight_decay`); AdamW
                   decays the weights instead, p * (1 - lr * wd)
    decay_mask     which parameters are decayed: None (all, as torch) or a callable
                   (name, array) -> bool; `skip_vectors` exempts biases and other 1-d arrays
    max_grad_norm  clip the gradients, all together, to this global L2 norm first, as
                   torch.nn.utils.clip_grad_norm_: g * min(1, max_norm / (norm + clip_eps))
                   with clip_eps = 1e-6 (optax.clip_by_global_norm has clip_eps = 0)

Per parameter, with g the gradient after clipping and decay, t the 1-based step:
    SGD      buf = g (t = 1) else momentum buf + (1 - dampening) g
             p -= lr (g + momentum buf if nesterov else buf)      (p -= lr g without momentum)
    RMSProp  sq = alpha sq + (1 - alpha) g^2;  avg = sqrt(sq) + eps
             centered: ga = alpha ga + (1 - alpha) g; avg = sqrt(sq - ga^2) + eps
             momentum: buf = momentum buf + g / avg; p -= lr buf   else p -= lr g / avg
    Adam     m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  amsgrad: v_max = max(v_max, v)
             p -= lr / (1 - b1^t) * m / (sqrt(v or v_max) / sqrt(1 - b2^t) + eps)
    AdamW    p *= 1 - lr wd, then the Adam step without L2
"""

import math

import numpy as np

from scratch.optim.schedules import Constant, Schedule
from scratch.protocol import FLOAT_DTYPES as FLOAT_TYPES
from scratch.protocol import check_real


def skip_vectors(name, array):
    """A decay mask that decays matrices only, not biases or other 1-d parameters."""
    return array.ndim > 1


def global_norm(grads):
    """sqrt of the sum of squares of every gradient entry, all parameters together."""
    return float(np.sqrt(sum(float(np.sum(g * g)) for g in grads.values())))


def clip_by_global_norm(grads, max_norm, eps=1e-6):
    """Scale all gradients by min(1, max_norm / (norm + eps)), as clip_grad_norm_ does."""
    norm = global_norm(grads)
    if norm + eps <= max_norm:
        return grads  # within the limit (all-zero gradients included): unchanged
    scale = max_norm / (norm + eps)
    return {name: g * g.dtype.type(scale) for name, g in grads.items()}


# Every update rule here is elementwise, and NumPy runs each operation of a rule
# (buf *= m, buf += g, p -= lr * buf) as its own pass over memory, where torch fuses some.
# A 784 x 1024 float32 weight is 3 MiB, 12 MiB with its gradient and Adam's two buffers:
# too big for a core's L2 cache, so each pass over the whole array reads slower memory.
# Applying the rule to one block of rows at a time keeps the block's parameter, gradient
# and buffers in L2 between passes. The arithmetic is the same, element for element.
# (SGD momentum on that weight, in the benchmark's large training step: 1.2 -> 0.8 ms, on
# the Intel VM this project first ran on.) On the AMD VM it runs on now (1 MiB L2, 32 MiB
# L3) blocks do not pay for speed: that update alone took 378 us in blocks against 286 us
# whole, and whole training steps ran the same or up to 4% faster without blocks (paired).
# They stay for memory: a rule's temporaries (lr * buf, Adam's g * g) are one block, not
# one parameter, which keeps the step's peak at the ledger's (1.61x it without blocks at
# the test's 784-256-10 size, parity_tests/numpy_only/test_ledger.py).
BLOCK_BYTES = 128 * 1024  # per array: four arrays of a block fit well within L2


def row_blocks(array):
    """Slices of the leading axis that cover `array` (ndim >= 1) in blocks of whole rows,
    about BLOCK_BYTES each (at least one row)."""
    rows = max(1, BLOCK_BYTES * len(array) // max(array.nbytes, 1))
    return [slice(start, start + rows) for start in range(0, len(array), rows)]


class Optimizer:
    """Shared machinery: validation, schedules, clipping, decay masks, the state layout.

    A subclass names its per-parameter buffers in `slots` and implements `_step_one`, the
    update of a single parameter; everything else is common to all optimizers.
    """

    slots = ()

    def __init__(self, lr, weight_decay=0.0, decay_mask=None, max_grad_norm=None, clip_eps=1e-6):
        name = type(self).__name__
        if isinstance(lr, Schedule) or callable(lr):
            self.schedule = lr
        else:
            self.schedule = Constant(check_real(name, "lr", lr, low=0.0, low_open=True))
        self.weight_decay = check_real(name, "weight_decay", weight_decay, low=0.0)
        if decay_mask is not None and not callable(decay_mask):
            raise TypeError(
                f"{name} expects decay_mask as None or a callable (name, array) "
                f"-> bool; got {type(decay_mask).__name__}"
            )
        self.decay_mask = decay_mask
        self.max_grad_norm = (
            None
            if max_grad_norm is None
            else check_real(name, "max_grad_norm", max_grad_norm, low=0.0, low_open=True)
        )
        self.clip_eps = check_real(name, "clip_eps", clip_eps, low=0.0)

    def init(self, params):
        self._check_params(params)
        state = {"step": 0}
        for slot in self.active_slots():
            state[slot] = {name: np.zeros_like(p) for name, p in params.items()}
        return state

    def active_slots(self):
        return self.slots

    def learning_rate(self, t):
        lr = self.schedule(t)
        if not (isinstance(lr, (int, float, np.floating)) and np.isfinite(lr) and lr > 0):
            raise ValueError(
                f"{type(self).__name__}: the learning-rate schedule {self.schedule!r} "
                f"yielded lr={lr!r} at update {t}; expected a finite value > 0"
            )
        return float(lr)

    def decays(self, name, p):
        return self.weight_decay > 0 and (self.decay_mask is None or self.decay_mask(name, p))

    def update(self, grads, state, params, inplace=False):
        """New (params, state). With inplace=True the given params and state buffers are
        updated in place and returned (the training loop does this: it owns them)."""
        self._check_params(params)
        self._check_grads(grads, params)
        t = state["step"] + 1  # 1-based, as the bias corrections count
        lr = self.learning_rate(state["step"])
        if self.max_grad_norm is not None:
            grads = clip_by_global_norm(grads, self.max_grad_norm, self.clip_eps)
        if not inplace:  # the update below writes in place: work on copies
            params = {name: p.copy() for name, p in params.items()}
            state = {
                slot: (
                    {k: v.copy() for k, v in value.items()} if isinstance(value, dict) else value
                )
                for slot, value in state.items()
            }
        for name, p in params.items():
            g, buffers = grads[name], {slot: state[slot][name] for slot in self.active_slots()}
            wd = self.weight_decay if self.decays(name, p) else 0.0
            if p.nbytes <= BLOCK_BYTES:
                self._step_one(p, g, buffers, lr, wd, t)
            else:  # the same rule, on one cache-sized block of rows at a time
                for rows in row_blocks(p):
                    self._step_one(
                        p[rows],
                        g[rows],
                        {slot: buffer[rows] for slot, buffer in buffers.items()},
                        lr,
                        wd,
                        t,
                    )
        state["step"] = t
        return params, state

    def _step_one(self, p, g, buffers, lr, wd, t):
        """Update parameter p and its buffers in place (as torch.optim's mul_/add_ do);
        g is never written to, it belongs to the caller. The rule must be elementwise:
        update() hands it row blocks of a large parameter (views), one after another."""
        raise NotImplementedError

    # -- boundary checks ----------------------------------------------------------------
    def _check_params(self, params):
        if not isinstance(params, dict) or not params:
            raise TypeError(
                f"{type(self).__name__} expects params as a non-empty dict name -> "
                f"array; got {params!r:.80}"
            )
        for key, p in params.items():
            if not (isinstance(p, np.ndarray) and p.dtype.type in FLOAT_TYPES):
                got = p.dtype if isinstance(p, np.ndarray) else type(p).__name__
                raise TypeError(
                    f"{type(self).__name__} expects params[{key!r}] as a float32 "
                    f"or float64 array; got {got}"
                )

    def _check_grads(self, grads, params):
        name = type(self).__name__
        if not isinstance(grads, dict) or grads.keys() != params.keys():
            got = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
            raise ValueError(
                f"{name} expects grads with the parameters' keys {sorted(params)}; got {got}"
            )
        for key, g in grads.items():
            p = params[key]
            if not isinstance(g, np.ndarray) or g.shape != p.shape:
                got = g.shape if isinstance(g, np.ndarray) else type(g).__name__
                raise ValueError(
                    f"{name} expects grads[{key!r}] of shape {p.shape} (the parameter's); got {got}"
                )
            if g.dtype != p.dtype:
                raise TypeError(
                    f"{name} expects grads[{key!r}] with dtype "
                    f"{p.dtype} (the parameter's); got {g.dtype}"
                )


def _lerp_(start, end, weight):
    """start <- start + weight (end - start), in place: a running average moving toward
    `end`. Rounded as torch.lerp_ does (from the nearer end), so that trajectories agree
    to the last bits."""
    if weight < 0.5:
        step = end - start  # one temporary, scaled in place: the same bits as
        step *= weight  # weight * (end - start), one array fewer alive
        start += step
    else:
        start[...] = end - (end - start) * (1 - weight)


def _check_beta(where, name, value):
    return check_real(where, name, value, low=0.0, high=1.0, high_open=True)


class SGD(Optimizer):
    def __init__(
        self,
        lr,
        momentum=0.0,
        dampening=0.0,
        nesterov=False,
        weight_decay=0.0,
        decay_mask=None,
        max_grad_norm=None,
        clip_eps=1e-6,
    ):
        super().__init__(lr, weight_decay, decay_mask, max_grad_norm, clip_eps)
        self.momentum = check_real("SGD", "momentum", momentum, low=0.0)
        self.dampening = check_real("SGD", "dampening", dampening, low=0.0, high=1.0)
        if nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError(
                f"SGD with nesterov=True expects momentum > 0 and dampening = 0; "
                f"got momentum={momentum}, dampening={dampening}"
            )
        self.nesterov = bool(nesterov)

    def active_slots(self):
        return ("momentum_buffer",) if self.momentum else ()

    def _step_one(self, p, g, buffers, lr, wd, t):
        if wd:
            g = g + wd * p  # L2: the decay term's gradient joins the loss's
        if not self.momentum:
            p -= lr * g
            return
        buf = buffers["momentum_buffer"]
        if t == 1:
            buf[...] = g  # torch starts the buffer at the first gradient, undamped
        else:
            buf *= self.momentum
            buf += (1 - self.dampening) * g if self.dampening else g
        if self.nesterov:
            p -= lr * (g + self.momentum * buf)
        else:
            p -= lr * buf


class RMSProp(Optimizer):
    def __init__(
        self,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        momentum=0.0,
        centered=False,
        weight_decay=0.0,
        decay_mask=None,
        max_grad_norm=None,
        clip_eps=1e-6,
    ):
        super().__init__(lr, weight_decay, decay_mask, max_grad_norm, clip_eps)
        self.alpha = _check_beta("RMSProp", "alpha", alpha)
        self.eps = check_real("RMSProp", "eps", eps, low=0.0, low_open=True)
        self.momentum = check_real("RMSProp", "momentum", momentum, low=0.0)
        self.centered = bool(centered)

    def active_slots(self):
        return (
            ("square_avg",)
            + (("grad_avg",) if self.centered else ())
            + (("momentum_buffer",) if self.momentum else ())
        )

    def _step_one(self, p, g, buffers, lr, wd, t):
        if wd:
            g = g + wd * p
        square_avg = buffers["square_avg"]
        square_avg *= self.alpha
        square_avg += (1 - self.alpha) * g * g
        if self.centered:
            # the running mean moves a fraction (1 - alpha) of the way toward g
            grad_avg = buffers["grad_avg"]
            _lerp_(grad_avg, g, 1 - self.alpha)
            # variance instead of the raw second moment: E[g^2] - E[g]^2
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += self.eps
        if self.momentum:
            buf = buffers["momentum_buffer"]
            buf *= self.momentum
            buf += g / avg
            p -= lr * buf
        else:
            p -= lr * (g / avg)


class Adam(Optimizer):
    decoupled = False  # AdamW sets True: decay the weights, not the gradient

    def __init__(
        self,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        amsgrad=False,
        decay_mask=None,
        max_grad_norm=None,
        clip_eps=1e-6,
    ):
        super().__init__(lr, weight_decay, decay_mask, max_grad_norm, clip_eps)
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name} expects betas as a pair (beta1, beta2); got {betas!r}")
        self.beta1 = _check_beta(name, "betas[0]", betas[0])
        self.beta2 = _check_beta(name, "betas[1]", betas[1])
        self.eps = check_real(name, "eps", eps, low=0.0, low_open=True)
        self.amsgrad = bool(amsgrad)

    def active_slots(self):
        return ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if self.amsgrad else ())

    def _step_one(self, p, g, buffers, lr, wd, t):
        if wd and self.decoupled:
            p *= 1 - lr * wd  # AdamW: shrink the weights, scaled by lr as torch does
        elif wd:
            g = g + wd * p  # Adam: L2 on the gradient, then through the moments
        m, v = buffers["exp_avg"], buffers["exp_avg_sq"]
        _lerp_(m, g, 1 - self.beta1)  # m = b1 m + (1 - b1) g
        v *= self.beta2
        g2 = g * (1 - self.beta2)  # ((1 - b2) g) g, rounded in torch's addcmul order,
        g2 *= g  # with one temporary where (1 - b2) * g * g makes two
        v += g2
        del g2  # freed now, not at return: it would coexist with denom below
        if self.amsgrad:
            np.maximum(buffers["max_exp_avg_sq"], v, out=buffers["max_exp_avg_sq"])
            v = buffers["max_exp_avg_sq"]  # the max of raw moments, as torch
        bias_correction1 = 1 - self.beta1**t
        bias_correction2 = 1 - self.beta2**t
        # m_hat / (sqrt(v_hat) + eps), written as torch orders it
        denom = np.sqrt(v)
        denom /= math.sqrt(bias_correction2)  # a python float keeps float32 float32
        denom += self.eps
        step_size = lr / bias_correction1
        np.divide(m, denom, out=denom)  # m / denom, written over denom (no new array)
        denom *= step_size
        p -= denom


class AdamW(Adam):
    decoupled = True

    def __init__(
        self,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=1e-2,
        amsgrad=False,
        decay_mask=None,
        max_grad_norm=None,
        clip_eps=1e-6,
    ):
        super().__init__(lr, betas, eps, weight_decay, amsgrad, decay_mask, max_grad_norm, clip_eps)
