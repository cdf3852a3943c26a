"""One record per optimizer setting (and per schedule); they drive the trajectory tests.

A record names the optimizer class (the same in scratch.optim.optimizers,
reference.torch.optim.optimizers and reference.jax.optim.optimizers) and its constructor arguments.
Schedules are written `Sched("StepDecay", lr=...)` and resolved to each backend's own
schedule class. Where a framework cannot express a setting, `unsupported` says so with the
reason, and a test checks that the twin really refuses it: nothing is skipped silently.

Clipping: torch divides by (norm + 1e-6), optax by the bare norm. Scratch has `clip_eps`
for that; a clipped record is compared with torch at clip_eps=1e-6 and with jax at 0.

Tolerances: the "trajectory" row of the one table in reference/backends.py (float64
rtol 1e-10, atol 1e-12 at every step; float32 rtol 1e-5, atol 1e-6 over 20 steps).
"""

from dataclasses import dataclass, field

from reference.backends import backend_module
from scratch.optim.optimizers import skip_vectors

CLIP_EPS = {"torch": 1e-6, "jax": 0.0}


class Sched:
    """A schedule named by class and arguments, built on whichever backend asks."""

    def __init__(self, cls, **kwargs):
        self.cls, self.kwargs = cls, kwargs

    def __repr__(self):
        return f"{self.cls}({', '.join(f'{k}={v}' for k, v in self.kwargs.items())})"

    def build(self, backend):
        module = backend_module(backend, "optim.schedules")
        return getattr(module, self.cls)(**self.kwargs)


@dataclass(frozen=True)
class OptimizerRecord:
    name: str
    cls: str
    kwargs: dict = field(default_factory=dict)
    unsupported: dict = field(default_factory=dict)  # backend -> reason

    def build(self, backend, compared_with=None):
        """The optimizer on `backend`; scratch is built to match `compared_with`'s clipping."""
        kwargs = {
            k: (v.build(backend) if isinstance(v, Sched) else v) for k, v in self.kwargs.items()
        }
        if "max_grad_norm" in kwargs:
            kwargs["clip_eps"] = CLIP_EPS[compared_with or backend]
        module = backend_module(backend, "optim.optimizers")
        return getattr(module, self.cls)(**kwargs)


COSINE = Sched(
    "WarmupCosine",
    peak_lr=0.02,
    warmup_steps=10,
    total_steps=200,
    warmup_start_lr=0.002,
    final_lr=0.001,
)
STEP = Sched("StepDecay", lr=0.05, step_size=25, gamma=0.5)
# RMSProp divides by sqrt(E[g^2]): once gradients shrink it rescales rounding noise into
# full-size steps, and trajectories of *any* two implementations separate (torch vs jax
# by 3e-4 of the parameter scale after 100 MLP steps at lr 0.01; see
# test_rmsprop_sensitive_regime_is_dynamics_not_scratch). Its records therefore use a
# learning rate small enough to stay in the well-conditioned regime for 200 steps, and
# the centered variant alpha=0.99, which keeps E[g^2] - E[g]^2 away from cancellation.
RMSPROP_COSINE = Sched(
    "WarmupCosine",
    peak_lr=0.002,
    warmup_steps=10,
    total_steps=200,
    warmup_start_lr=0.0002,
    final_lr=0.0001,
)

OPTIMIZER_RECORDS = [
    OptimizerRecord("sgd", "SGD", {"lr": 0.05}),
    OptimizerRecord("sgd_momentum", "SGD", {"lr": 0.02, "momentum": 0.9}),
    OptimizerRecord("sgd_nesterov", "SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True}),
    OptimizerRecord(
        "sgd_dampening",
        "SGD",
        {"lr": 0.02, "momentum": 0.9, "dampening": 0.3},
        unsupported={"jax": "optax.sgd has no dampening"},
    ),
    OptimizerRecord(
        "sgd_momentum_l2_masked",
        "SGD",
        {"lr": 0.02, "momentum": 0.9, "weight_decay": 0.05, "decay_mask": skip_vectors},
    ),
    OptimizerRecord(
        "sgd_step_decay_clipped", "SGD", {"lr": STEP, "momentum": 0.5, "max_grad_norm": 1.0}
    ),
    OptimizerRecord("rmsprop", "RMSProp", {"lr": 0.002}),
    OptimizerRecord(
        "rmsprop_centered_momentum_l2",
        "RMSProp",
        {"lr": 0.002, "alpha": 0.99, "centered": True, "momentum": 0.5, "weight_decay": 0.01},
    ),
    OptimizerRecord("rmsprop_cosine", "RMSProp", {"lr": RMSPROP_COSINE, "alpha": 0.9}),
    OptimizerRecord(
        "rmsprop_momentum_cosine",
        "RMSProp",
        {"lr": RMSPROP_COSINE, "momentum": 0.5},
        unsupported={"jax": "optax.rmsprop applies momentum after the lr scale"},
    ),
    OptimizerRecord("adam", "Adam", {"lr": 0.01}),
    OptimizerRecord(
        "adam_l2_masked",
        "Adam",
        {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.05, "decay_mask": skip_vectors},
    ),
    # beta1 < 0.5 takes the other branch of torch.lerp's rounding (see scratch _lerp_);
    # beta2 stays 0.999: with 0.9 the run becomes as sensitive as RMSProp at large lr
    OptimizerRecord("adam_low_beta1", "Adam", {"lr": 0.005, "betas": (0.3, 0.999)}),
    # max_grad_norm 4: the random gradients (norm ~3.9) are clipped about half the time
    OptimizerRecord("adam_cosine_clipped", "Adam", {"lr": COSINE, "max_grad_norm": 4.0}),
    OptimizerRecord(
        "adam_amsgrad",
        "Adam",
        {"lr": 0.01, "amsgrad": True},
        unsupported={"jax": "optax.amsgrad maxes bias-corrected second moments"},
    ),
    OptimizerRecord("adamw", "AdamW", {"lr": 0.01, "weight_decay": 0.05}),
    OptimizerRecord(
        "adamw_masked_step_decay",
        "AdamW",
        {"lr": STEP, "weight_decay": 0.1, "decay_mask": skip_vectors, "eps": 1e-6},
    ),
    OptimizerRecord(
        "adamw_amsgrad",
        "AdamW",
        {"lr": 0.01, "amsgrad": True},
        unsupported={"jax": "optax.amsgrad maxes bias-corrected second moments"},
    ),
]

SCHEDULE_RECORDS = [Sched("Constant", lr=0.1), STEP, COSINE, RMSPROP_COSINE]
