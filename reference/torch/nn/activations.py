"""Activation twins on torch.nn.functional. Shapes as in scratch/nn/activations.py."""

import torch
import torch.nn.functional as F


class ReLU:
    def forward(self, params, X):
        return F.relu(X)


class LeakyReLU:
    def __init__(self, slope=0.01):
        self.slope = slope

    def forward(self, params, X):
        return F.leaky_relu(X, negative_slope=self.slope)


class ELU:
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, params, X):
        return F.elu(X, alpha=self.alpha)


class Sigmoid:
    def forward(self, params, X):
        return torch.sigmoid(X)


class Tanh:
    def forward(self, params, X):
        return torch.tanh(X)


class GELU:
    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, params, X):
        # torch's default is the exact erf form; pass it explicitly anyway
        return F.gelu(X, approximate=self.approximate)
