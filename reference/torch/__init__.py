"""Twins on PyTorch: same constructors and parameter names as scratch, forward only.

Gradients come from torch.autograd (see `reference.torch._autodiff`), never by hand.
"""
