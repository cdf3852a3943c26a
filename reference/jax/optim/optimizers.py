"""Optimizer twins built from optax transformations.

Mapping (stated here, in code, as PARITY_NOTES asks):
    max_grad_norm      -> optax.clip_by_global_norm first; it divides by the bare norm, so
                          only scratch's clip_eps=0 matches (torch's clip_eps is 1e-6)
    weight_decay (L2)  -> optax.add_decayed_weights before the optimizer, optax.masked when
                          a decay_mask is given (torch adds wd * p to the gradient the same way)
    SGD                -> optax.sgd(momentum, nesterov); optax's trace is torch's buffer.
                          dampening: not expressible in optax
    RMSProp            -> optax.rmsprop(decay=alpha, eps_in_sqrt=False, centered, momentum);
                          optax applies momentum after the lr scale (its trace is lr * torch's
                          buffer), equal only for a constant lr: momentum + schedule is not
                          expressible
    Adam               -> optax.adam (eps_root stays 0); amsgrad: optax.amsgrad takes the max of
                          bias-corrected second moments, torch the max of raw ones: not
                          expressible
    AdamW              -> optax.adamw(weight_decay, mask); both scale the decay by lr
A setting that cannot be expressed raises NotImplementedError with the reason, and the
registry record for it says so: nothing is skipped silently.
"""

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
import optax

from reference.jax._autodiff import require_x64
from reference.jax.optim.schedules import Constant


@dataclass
class _JaxOptimizerState:
    params: dict
    opt_state: object
    transform: object
    step: int = 0


class _OptaxTwin:
    def __init__(self, lr, weight_decay, decay_mask, max_grad_norm, clip_eps):
        if max_grad_norm is not None and clip_eps != 0:
            raise NotImplementedError(
                "optax.clip_by_global_norm divides by the bare norm; "
                f"clip_eps={clip_eps} (torch's 1e-6) cannot be expressed: "
                "use clip_eps=0"
            )
        self.schedule = lr if hasattr(lr, "optax_schedule") else Constant(lr)
        self.weight_decay, self.decay_mask = weight_decay, decay_mask
        self.max_grad_norm = max_grad_norm

    def mask(self, params):
        if self.decay_mask is None:
            return None
        return {k: bool(self.decay_mask(k, np.asarray(v))) for k, v in params.items()}

    def optimizer(self, params):
        """The optax transformation after clipping and L2 decay; subclasses define it."""
        raise NotImplementedError

    def l2_decay(self, params):
        decay = optax.add_decayed_weights(self.weight_decay)
        mask = self.mask(params)
        return decay if mask is None else optax.masked(decay, mask)

    def transform(self, params):
        parts = []
        if self.max_grad_norm is not None:
            parts.append(optax.clip_by_global_norm(self.max_grad_norm))
        if self.weight_decay and not getattr(self, "decoupled", False):
            parts.append(self.l2_decay(params))
        parts.append(self.optimizer(params))
        return optax.chain(*parts)

    def init(self, params):
        require_x64()
        params_j = {k: jnp.asarray(np.array(v)) for k, v in params.items()}
        transform = self.transform(params)
        return _JaxOptimizerState(params_j, transform.init(params_j), transform)

    def update(self, grads, state, params=None):
        grads_j = {k: jnp.asarray(np.array(g)) for k, g in grads.items()}
        updates, state.opt_state = state.transform.update(grads_j, state.opt_state, state.params)
        state.params = optax.apply_updates(state.params, updates)
        state.step += 1
        return {k: np.array(v) for k, v in state.params.items()}, state

    # scratch slot name -> (optax state field, factor to apply); subclasses fill it in
    def slot_fields(self):
        return {}

    def state_arrays(self, state):
        out = {"step": state.step}
        for slot, field in self.slot_fields().items():
            values = optax.tree.get(state.opt_state, field)
            out[slot] = {k: np.array(v) for k, v in values.items()}
        return out


class SGD(_OptaxTwin):
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
        if dampening:
            raise NotImplementedError(
                "optax.sgd has no dampening: its trace always adds the full gradient"
            )
        super().__init__(lr, weight_decay, decay_mask, max_grad_norm, clip_eps)
        self.momentum, self.nesterov = momentum, nesterov

    def optimizer(self, params):
        return optax.sgd(
            self.schedule.optax_schedule(), momentum=self.momentum or None, nesterov=self.nesterov
        )

    def slot_fields(self):
        return {"momentum_buffer": "trace"} if self.momentum else {}


class RMSProp(_OptaxTwin):
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
        if momentum and hasattr(lr, "optax_schedule") and not isinstance(lr, Constant):
            raise NotImplementedError(
                "optax.rmsprop applies momentum after the learning-rate "
                "scale; with a schedule that differs from torch"
            )
        super().__init__(lr, weight_decay, decay_mask, max_grad_norm, clip_eps)
        self.alpha, self.eps, self.momentum, self.centered = alpha, eps, momentum, centered

    def optimizer(self, params):
        return optax.rmsprop(
            self.schedule.optax_schedule(),
            decay=self.alpha,
            eps=self.eps,
            eps_in_sqrt=False,
            centered=self.centered,
            momentum=self.momentum or None,
        )

    def slot_fields(self):
        fields = {"square_avg": "nu"}
        if self.centered:
            fields["grad_avg"] = "mu"
        return fields

    def state_arrays(self, state):
        out = super().state_arrays(state)
        if self.momentum:
            # optax's trace accumulates the update -lr * g / avg (scaled, with its sign);
            # torch's buffer accumulates g / avg: equal up to -lr for a constant lr
            trace = optax.tree.get(state.opt_state, "trace")
            lr = self.schedule.lr  # momentum is only accepted with a constant lr
            out["momentum_buffer"] = {k: np.array(v) / -lr for k, v in trace.items()}
        return out


class Adam(_OptaxTwin):
    decoupled = False

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
        if amsgrad:
            raise NotImplementedError(
                "optax.amsgrad takes the max of bias-corrected second "
                "moments; torch (and scratch) the max of raw ones"
            )
        super().__init__(lr, weight_decay, decay_mask, max_grad_norm, clip_eps)
        self.b1, self.b2 = betas
        self.eps = eps

    def optimizer(self, params):
        return optax.adam(
            self.schedule.optax_schedule(), b1=self.b1, b2=self.b2, eps=self.eps, eps_root=0.0
        )

    def slot_fields(self):
        return {"exp_avg": "mu", "exp_avg_sq": "nu"}


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

    def optimizer(self, params):
        # optax.adamw's default weight_decay is 1e-4, torch's 1e-2: always passed explicitly
        return optax.adamw(
            self.schedule.optax_schedule(),
            b1=self.b1,
            b2=self.b2,
            eps=self.eps,
            eps_root=0.0,
            weight_decay=self.weight_decay,
            mask=self.mask(params),
        )
