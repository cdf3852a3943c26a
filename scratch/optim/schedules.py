"""Learning-rate schedules: the learning rate used for update number t (t = 0, 1, ...).

Every optimizer accepts one in place of a constant `lr`; it calls `schedule(t)` once per
update, and raises if the value is not > 0.

    Constant(lr)                                       lr
    StepDecay(lr, step_size, gamma)                    lr * gamma ** (t // step_size)
    WarmupCosine(peak_lr, warmup_steps, total_steps,   linear from warmup_start_lr to peak_lr
                 warmup_start_lr, final_lr)            over warmup_steps, then a half cosine
                                                       down to final_lr at total_steps
Twins: torch.optim.lr_scheduler (StepLR; LinearLR then CosineAnnealingLR in SequentialLR)
and optax (exponential_decay with staircase=True; warmup_cosine_decay_schedule).
"""

import math

from scratch.protocol import check_positive_int, check_real


class Schedule:
    """Base class: a schedule is a callable from the update index t to a learning rate."""

    def __call__(self, t):
        raise NotImplementedError


class Constant(Schedule):
    def __init__(self, lr):
        self.lr = check_real("Constant", "lr", lr, low=0.0, low_open=True)

    def __repr__(self):
        return f"Constant({self.lr})"

    def __call__(self, t):
        return self.lr


class StepDecay(Schedule):
    def __init__(self, lr, step_size, gamma=0.1):
        self.lr = check_real("StepDecay", "lr", lr, low=0.0, low_open=True)
        self.step_size = check_positive_int("StepDecay", "step_size", step_size)
        self.gamma = check_real("StepDecay", "gamma", gamma, low=0.0, high=1.0, low_open=True)

    def __repr__(self):
        return f"StepDecay(lr={self.lr}, step_size={self.step_size}, gamma={self.gamma})"

    def __call__(self, t):
        return self.lr * self.gamma ** (t // self.step_size)


class WarmupCosine(Schedule):
    def __init__(self, peak_lr, warmup_steps, total_steps, warmup_start_lr=None, final_lr=None):
        where = "WarmupCosine"
        self.peak_lr = check_real(where, "peak_lr", peak_lr, low=0.0, low_open=True)
        self.warmup_steps = check_positive_int(where, "warmup_steps", warmup_steps)
        self.total_steps = check_positive_int(where, "total_steps", total_steps)
        if self.total_steps <= self.warmup_steps:
            raise ValueError(
                f"{where} expects total_steps > warmup_steps ({warmup_steps}); got {total_steps}"
            )
        # both ends must stay > 0: every learning rate a schedule yields must be positive
        self.warmup_start_lr = check_real(
            where,
            "warmup_start_lr",
            peak_lr / 10 if warmup_start_lr is None else warmup_start_lr,
            low=0.0,
            high=self.peak_lr,
            low_open=True,
        )
        self.final_lr = check_real(
            where,
            "final_lr",
            peak_lr / 100 if final_lr is None else final_lr,
            low=0.0,
            high=self.peak_lr,
            low_open=True,
        )

    def __repr__(self):
        return (
            f"WarmupCosine(peak_lr={self.peak_lr}, warmup_steps={self.warmup_steps}, "
            f"total_steps={self.total_steps}, warmup_start_lr={self.warmup_start_lr}, "
            f"final_lr={self.final_lr})"
        )

    def __call__(self, t):
        if t < self.warmup_steps:
            return (
                self.warmup_start_lr + (self.peak_lr - self.warmup_start_lr) * t / self.warmup_steps
            )
        progress = min(t - self.warmup_steps, self.total_steps - self.warmup_steps)
        progress /= self.total_steps - self.warmup_steps  # in [0, 1]
        return self.final_lr + (self.peak_lr - self.final_lr) * 0.5 * (
            1 + math.cos(math.pi * progress)
        )
