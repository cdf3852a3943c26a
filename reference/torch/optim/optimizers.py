"""Optimizer twins that drive torch.optim, with torch.optim.lr_scheduler and
torch.nn.utils.clip_grad_norm_.

Mapping (stated here, in code, as PARITY_NOTES asks):
    scratch SGD(momentum, dampening, nesterov, weight_decay)  -> torch.optim.SGD, same names
    scratch RMSProp(alpha, eps, momentum, centered)           -> torch.optim.RMSprop
    scratch Adam(betas, eps, weight_decay, amsgrad)           -> torch.optim.Adam (L2)
    scratch AdamW(..., weight_decay)                          -> torch.optim.AdamW (decoupled)
    decay_mask                                                -> two param groups, one with
                                                                 weight_decay=0
    max_grad_norm                                             -> clip_grad_norm_ before step
State buffers already carry torch's names, so `state_arrays` reads optimizer.state as is.

The twin keeps its own torch tensors: `update` sets their .grad, calls step(), and
returns copies of the new values. The `params` argument is accepted for the protocol.
"""

from dataclasses import dataclass

import numpy as np
import torch

from reference.torch.optim.schedules import Constant


@dataclass
class _TorchOptimizerState:
    tensors: dict  # name -> torch parameter tensor (updated in place by torch)
    optimizer: torch.optim.Optimizer
    scheduler: object  # an LRScheduler or None
    step: int = 0


class _TorchTwin:
    torch_class = None  # the torch.optim class this twin drives
    slots = ()

    def __init__(
        self,
        lr,
        weight_decay=0.0,
        decay_mask=None,
        max_grad_norm=None,
        clip_eps=1e-6,
        **hyperparameters,
    ):
        if max_grad_norm is not None and clip_eps != 1e-6:
            raise NotImplementedError(
                "torch.nn.utils.clip_grad_norm_ adds 1e-6 to the norm; "
                f"clip_eps={clip_eps} cannot be expressed"
            )
        self.schedule = lr if hasattr(lr, "scheduler") else Constant(lr)
        self.weight_decay, self.decay_mask = weight_decay, decay_mask
        self.max_grad_norm = max_grad_norm
        self.hyperparameters = hyperparameters

    def init(self, params):
        return self.attach({k: torch.tensor(np.array(v)) for k, v in params.items()})

    def attach(self, tensors):
        """Drive existing tensors (a module's parameters, say), keyed by scratch names.
        The decay mask sees each tensor's values as numpy (torch layout)."""
        decays = {
            k: self.decay_mask is None or self.decay_mask(k, t.detach().numpy())
            for k, t in tensors.items()
        }
        groups = [
            {
                "params": [tensors[k] for k in tensors if decays[k]],
                "weight_decay": self.weight_decay,
            },
            {"params": [tensors[k] for k in tensors if not decays[k]], "weight_decay": 0.0},
        ]
        groups = [g for g in groups if g["params"]]
        optimizer = self.torch_class(groups, lr=self.schedule.initial_lr, **self.hyperparameters)
        return _TorchOptimizerState(tensors, optimizer, self.schedule.scheduler(optimizer))

    def update(self, grads, state, params=None):
        for name, tensor in state.tensors.items():
            tensor.grad = torch.tensor(np.array(grads[name]))
        return self.step(state), state

    def step(self, state):
        """One update from the gradients already in each tensor's .grad (after
        loss.backward()); returns the new values as numpy copies."""
        if self.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(list(state.tensors.values()), self.max_grad_norm)
        state.optimizer.step()
        if state.scheduler is not None:
            state.scheduler.step()
        state.step += 1
        return {k: t.detach().numpy().copy() for k, t in state.tensors.items()}

    def state_arrays(self, state):
        """{"step": int, slot: {name: array}} in scratch's layout."""
        out = {"step": state.step}
        for name, tensor in state.tensors.items():
            for slot, value in state.optimizer.state[tensor].items():
                if slot != "step":
                    out.setdefault(slot, {})[name] = value.detach().numpy().copy()
        return out


class SGD(_TorchTwin):
    torch_class = torch.optim.SGD

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
        super().__init__(
            lr,
            weight_decay,
            decay_mask,
            max_grad_norm,
            clip_eps,
            momentum=momentum,
            dampening=dampening,
            nesterov=nesterov,
        )


class RMSProp(_TorchTwin):
    torch_class = torch.optim.RMSprop

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
        super().__init__(
            lr,
            weight_decay,
            decay_mask,
            max_grad_norm,
            clip_eps,
            alpha=alpha,
            eps=eps,
            momentum=momentum,
            centered=centered,
        )


class Adam(_TorchTwin):
    torch_class = torch.optim.Adam

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
        super().__init__(
            lr,
            weight_decay,
            decay_mask,
            max_grad_norm,
            clip_eps,
            betas=tuple(betas),
            eps=eps,
            amsgrad=amsgrad,
        )


class AdamW(_TorchTwin):
    torch_class = torch.optim.AdamW

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
        super().__init__(
            lr,
            weight_decay,
            decay_mask,
            max_grad_norm,
            clip_eps,
            betas=tuple(betas),
            eps=eps,
            amsgrad=amsgrad,
        )
