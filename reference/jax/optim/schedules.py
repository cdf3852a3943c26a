"""Schedule twins on optax schedules: callables from the update count to a learning rate.

    Constant      -> optax.constant_schedule
    StepDecay     -> optax.exponential_decay(transition_steps=step_size, staircase=True)
    WarmupCosine  -> optax.warmup_cosine_decay_schedule; its decay_steps counts the warm-up
                     too, so it is total_steps, and end_value is final_lr

optax evaluates a schedule on its int32 step count, and int32 / int gives float32 even with
JAX_ENABLE_X64=1: an unwrapped optax schedule hands a float64 run a float32 learning rate
(0.05 becomes 0.0500000007, a 1.5e-8 relative error in every step). `in_float64` feeds
the schedule an int64 count so that the value is computed in float64.
"""

import jax.numpy as jnp
import optax


def in_float64(schedule):
    return lambda count: schedule(jnp.asarray(count, dtype=jnp.int64))


class Constant:
    def __init__(self, lr):
        self.lr = lr

    def optax_schedule(self):
        return optax.constant_schedule(self.lr)


class StepDecay:
    def __init__(self, lr, step_size, gamma=0.1):
        self.lr, self.step_size, self.gamma = lr, step_size, gamma

    def optax_schedule(self):
        return in_float64(
            optax.exponential_decay(
                init_value=self.lr,
                transition_steps=self.step_size,
                decay_rate=self.gamma,
                staircase=True,
            )
        )


class WarmupCosine:
    def __init__(self, peak_lr, warmup_steps, total_steps, warmup_start_lr=None, final_lr=None):
        self.peak_lr, self.warmup_steps, self.total_steps = peak_lr, warmup_steps, total_steps
        self.warmup_start_lr = peak_lr / 10 if warmup_start_lr is None else warmup_start_lr
        self.final_lr = peak_lr / 100 if final_lr is None else final_lr

    def optax_schedule(self):
        return in_float64(
            optax.warmup_cosine_decay_schedule(
                init_value=self.warmup_start_lr,
                peak_value=self.peak_lr,
                warmup_steps=self.warmup_steps,
                decay_steps=self.total_steps,
                end_value=self.final_lr,
            )
        )
