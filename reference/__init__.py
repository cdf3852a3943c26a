"""Twins of every scratch component, on PyTorch autograd (`reference.torch`) and JAX
autograd (`reference.jax`), plus the cross-framework tools.

The subpackages are named after the frameworks they wrap. With absolute imports (the
only kind used here) `import torch` inside them still means the real PyTorch; never run a
file from inside `reference/` as a script, where the folder would shadow the framework.
"""
