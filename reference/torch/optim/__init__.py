"""Twins of scratch/optim/: the optimizers and schedules driving torch.optim."""
