"""Schedule twins on torch.optim.lr_scheduler.

torch drives a schedule by mutating the optimizer's lr: the optimizer is built with the
schedule's first value and `scheduler(optimizer)` returns the torch scheduler whose
`step()` follows each optimizer step. The lr for update t is then param_groups' "lr".
"""

from torch.optim import lr_scheduler


class Constant:
    def __init__(self, lr):
        self.lr = lr
        self.initial_lr = lr

    def scheduler(self, optimizer):
        return None


class StepDecay:
    def __init__(self, lr, step_size, gamma=0.1):
        self.initial_lr, self.step_size, self.gamma = lr, step_size, gamma

    def scheduler(self, optimizer):
        return lr_scheduler.StepLR(optimizer, step_size=self.step_size, gamma=self.gamma)


class WarmupCosine:
    def __init__(self, peak_lr, warmup_steps, total_steps, warmup_start_lr=None, final_lr=None):
        self.peak_lr, self.warmup_steps, self.total_steps = peak_lr, warmup_steps, total_steps
        self.warmup_start_lr = peak_lr / 10 if warmup_start_lr is None else warmup_start_lr
        self.final_lr = peak_lr / 100 if final_lr is None else final_lr
        self.initial_lr = peak_lr  # LinearLR scales this by start_factor at construction

    def scheduler(self, optimizer):
        warmup = lr_scheduler.LinearLR(
            optimizer,
            start_factor=self.warmup_start_lr / self.peak_lr,
            end_factor=1.0,
            total_iters=self.warmup_steps,
        )
        cosine = lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=self.total_steps - self.warmup_steps, eta_min=self.final_lr
        )
        return lr_scheduler.SequentialLR(
            optimizer, [warmup, cosine], milestones=[self.warmup_steps]
        )
