"""MLP twin: a real torch.nn.Sequential of nn.Linear, activation modules and dropout.

Parameter names map onto the module's state_dict: scratch "0.W" (in, out) is torch
"0.weight" (out, in), so W is transposed on the way in and out; "0.b" is "0.bias".
`forward(params, X)` runs the Sequential through torch.func.functional_call with those
tensors, so autograd differentiates with respect to exactly the values given.

Dropout: `_MaskedDropout` is nn.Dropout that can be handed its keep-mask, so a torch run
can replay the masks of a scratch run (with no mask it is F.dropout).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": lambda: nn.GELU(approximate="none"),
}


class _MaskedDropout(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.p = p
        self.mask = None  # a bool tensor to replay, or None to draw as nn.Dropout does

    def forward(self, X):
        if not self.training or self.p == 0:
            return X
        if self.mask is None:
            return F.dropout(X, self.p, training=True)
        return X * self.mask / (1 - self.p)


def to_torch_name(name):
    index, key = name.split(".")
    return f"{index}.{'weight' if key == 'W' else 'bias'}"


class MLP:
    def __init__(self, sizes, activation="relu", dropout=0.0, init=None):
        self.sizes, self.activation, self.dropout = list(sizes), activation, dropout
        layers = []
        for i, (d_in, d_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:])):
            layers.append(nn.Linear(d_in, d_out, dtype=torch.float64))
            if i < len(self.sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
                if dropout:
                    layers.append(_MaskedDropout(dropout))
        self.module = nn.Sequential(*layers)

    def torch_params(self, params):
        """scratch-layout tensors -> the Sequential's own names and layout (W transposed)."""
        return {to_torch_name(k): (v.T if k.endswith(".W") else v) for k, v in params.items()}

    def load(self, params):
        """Copy scratch-layout numpy parameters into the module (for ordinary training)."""
        with torch.no_grad():
            for name, value in self.torch_params(params).items():
                target = self.module.get_parameter(name)
                target.data = torch.tensor(value.copy())
        return self.module

    def set_masks(self, masks):
        for index, layer in enumerate(self.module):
            if isinstance(layer, _MaskedDropout):
                layer.mask = None if masks is None else masks[index]

    def forward(self, params, X, *, training=False, masks=None):
        self.module.train(training)
        self.set_masks(masks)
        return functional_call(self.module, self.torch_params(params), (X,))
