"""Twins of scratch/nn/: the same classes on torch autograd."""
