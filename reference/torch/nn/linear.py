"""Linear twin on torch: F.linear. Shapes as in scratch/nn/linear.py.

torch stores a Linear weight as (out, in) and computes X @ weight.T + b; scratch stores
W as (in, out). Passing W.T hands F.linear the layout it expects, the same values.
"""

import torch.nn.functional as F


class Linear:
    def __init__(self, d_in, d_out, init="he"):
        self.d_in, self.d_out, self.init_scheme = d_in, d_out, init

    def forward(self, params, X):
        return F.linear(X, params["W"].T, params["b"])  # (N, M)
