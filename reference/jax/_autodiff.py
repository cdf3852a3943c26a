"""Run a JAX twin forward and get its gradients from jax.vjp.

Results come back as NumPy arrays (copies). Float64 input needs x64 mode, which must be
on before any array exists; without it JAX would silently compute in float32.
"""

import jax
import jax.numpy as jnp
import numpy as np


def require_x64():
    if not jax.config.jax_enable_x64:
        raise RuntimeError(
            "JAX is in float32-only mode: set JAX_ENABLE_X64=1 in the "
            "environment before importing jax (tox.ini does)"
        )


def to_jax(array):
    require_x64()
    return jnp.asarray(np.array(array))


def to_numpy(array):
    return np.array(array)


def layer_vjp(layer, params, X, dY, **forward_kwargs):
    """Y = layer.forward(params, X); returns (Y, dX, grads) for upstream gradient dY."""
    params_j = {k: to_jax(v) for k, v in params.items()}
    Y, pullback = jax.vjp(lambda p, x: layer.forward(p, x, **forward_kwargs), params_j, to_jax(X))
    grads, dX = pullback(to_jax(dY).astype(Y.dtype))
    return to_numpy(Y), to_numpy(dX), {k: to_numpy(g) for k, g in grads.items()}


def loss_vjp(loss, Z, target, dL=1.0):
    """L = loss.forward(Z, target); returns (L, dZ) for the upstream scalar dL."""
    target_j = to_jax(target)
    L, pullback = jax.vjp(lambda z: loss.forward(z, target_j), to_jax(Z))
    (dZ,) = pullback(jnp.asarray(dL, dtype=L.dtype))
    return to_numpy(L), to_numpy(dZ)
