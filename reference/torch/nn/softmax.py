"""Softmax twins on torch.nn.functional, over the last axis."""

import torch.nn.functional as F


class Softmax:
    def forward(self, params, X):
        return F.softmax(X, dim=-1)


class LogSoftmax:
    def forward(self, params, X):
        return F.log_softmax(X, dim=-1)
