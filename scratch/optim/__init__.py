"""Optimizers (SGD, momentum, Nesterov, RMSProp, Adam, AdamW) and learning-rate schedules,
with optax's interface and torch.optim's arithmetic.

May import: NumPy, the standard library and scratch.protocol.
"""
