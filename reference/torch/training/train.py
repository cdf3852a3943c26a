"""Training backend twin on torch, for the loop in scratch/training/train.py: an ordinary PyTorch
step on the nn.Sequential twin, with torch.optim driving the module's own parameters.

    model.train(); out = model(X); loss = F.cross_entropy(out, y)
    optimizer.zero_grad(); loss.backward(); optimizer.step()

Dropout replays the plan's masks through the Sequential's _MaskedDropout layers.
"""

import math

import numpy as np
import torch

from reference.torch.nn.losses import MSE, SoftmaxCrossEntropy
from reference.torch.nn.mlp import MLP, to_torch_name


class Backend:
    def __init__(self, mlp, params, optimizer, task="classification"):
        self.twin = MLP(mlp.sizes, mlp.activation, mlp.dropout)
        self.module = self.twin.load(params)
        self.task = task
        self.loss = SoftmaxCrossEntropy() if task == "classification" else MSE()
        self.tensors = {k: self.module.get_parameter(to_torch_name(k)) for k in params}
        self.optimizer = optimizer
        self.state = optimizer.attach(self.tensors)

    def _targets(self, y, like):
        y = torch.from_numpy(np.ascontiguousarray(y))
        return y if self.task == "classification" else y.reshape(-1, 1).to(like.dtype)

    def train_step(self, X, y, masks):
        self.module.train()
        self.twin.set_masks({i: torch.from_numpy(m) for i, m in masks.items()})
        out = self.module(torch.from_numpy(np.ascontiguousarray(X)))
        loss = self.loss.forward(out, self._targets(y, out))
        self.state.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step(self.state)
        return loss.item()

    @torch.no_grad()
    def evaluate(self, X, y):
        self.module.eval()
        out = self.module(torch.from_numpy(np.ascontiguousarray(X)))
        loss = self.loss.forward(out, self._targets(y, out)).item()
        if self.task != "classification":
            return loss, math.nan
        return loss, (out.argmax(dim=1).numpy() == y).mean()

    def get_params(self):
        """numpy copies in scratch's layout (weights transposed back to (in, out))."""
        return {
            k: (t.detach().numpy().T if k.endswith(".W") else t.detach().numpy()).copy()
            for k, t in self.tensors.items()
        }

    @torch.no_grad()
    def set_params(self, params):
        for k, t in self.tensors.items():
            t.copy_(torch.from_numpy(params[k].T.copy() if k.endswith(".W") else params[k]))
