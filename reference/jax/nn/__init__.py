"""Twins of scratch/nn/: the same classes on jax autograd."""
