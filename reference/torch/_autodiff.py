"""Run a torch twin forward and get its gradients from torch.autograd.grad.

Inputs and results cross the boundary as NumPy arrays, copied both ways, so a twin can
never alias (or modify) the arrays a test hands to the scratch component.
"""

import numpy as np
import torch


def to_torch(array, requires_grad=False):
    return torch.tensor(np.array(array), requires_grad=requires_grad)


def to_numpy(tensor):
    return tensor.detach().numpy().copy()


def layer_vjp(layer, params, X, dY, **forward_kwargs):
    """Y = layer.forward(params, X); returns (Y, dX, grads) for upstream gradient dY."""
    X_t = to_torch(X, requires_grad=True)
    params_t = {k: to_torch(v, requires_grad=True) for k, v in params.items()}
    Y_t = layer.forward(params_t, X_t, **forward_kwargs)
    wrt = [X_t, *params_t.values()]
    gradients = torch.autograd.grad(Y_t, wrt, grad_outputs=to_torch(dY), allow_unused=True)
    dX = gradients[0]
    grads = {k: g for k, g in zip(params_t, gradients[1:])}
    return to_numpy(Y_t), to_numpy(dX), {k: to_numpy(g) for k, g in grads.items()}


def loss_vjp(loss, Z, target, dL=1.0):
    """L = loss.forward(Z, target); returns (L, dZ) for the upstream scalar dL."""
    Z_t = to_torch(Z, requires_grad=True)
    L_t = loss.forward(Z_t, to_torch(target))
    (dZ,) = torch.autograd.grad(L_t, [Z_t], grad_outputs=torch.tensor(dL, dtype=L_t.dtype))
    return to_numpy(L_t), to_numpy(dZ)
