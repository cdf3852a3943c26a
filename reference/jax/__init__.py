"""Twins on JAX: same constructors and parameter names as scratch, pure forward functions.

Gradients come from jax.vjp (see `reference.jax._autodiff`), never by hand. Float64
needs JAX_ENABLE_X64=1 in the environment before jax is imported (tox sets it);
`_autodiff` refuses to run without it rather than silently cut float64 to float32.
"""
