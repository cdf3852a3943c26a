"""Perceptron twin on torch: SGD (lr 1, batch 1) on max(0, -y (w . x + b)).

The criterion's gradient is -y x on a mistake. At a tie (y f = 0, e.g. the first example,
when w = 0) Rosenblatt updates, so the criterion is written `where(margin <= 0, -margin, 0)`,
whose autograd gradient at 0 takes the mistake branch (F.relu(-margin) would give 0 there).
"""

import torch


class Perceptron:
    def __init__(self, max_epochs=100):
        self.max_epochs = max_epochs

    def fit(self, X, y):
        X, y = torch.tensor(X), torch.tensor(y.astype(X.dtype))
        w = torch.zeros(X.shape[1], dtype=X.dtype, requires_grad=True)
        b = torch.zeros((), dtype=X.dtype, requires_grad=True)
        optimizer = torch.optim.SGD([w, b], lr=1.0)
        mistakes, history = 0, []
        for epoch in range(1, self.max_epochs + 1):
            mistakes_this_epoch = 0
            for x_n, y_n in zip(X, y):
                margin = y_n * (x_n @ w + b)
                criterion = torch.where(margin <= 0, -margin, torch.zeros_like(margin))
                optimizer.zero_grad()
                criterion.backward()
                optimizer.step()  # a zero gradient (no mistake) leaves w and b as they are
                if margin.item() <= 0:
                    mistakes_this_epoch += 1
                    history.append((w.detach().numpy().copy(), b.item()))
            mistakes += mistakes_this_epoch
            if mistakes_this_epoch == 0:
                return w.detach().numpy(), b.item(), mistakes, epoch, True, history
        return w.detach().numpy(), b.item(), mistakes, self.max_epochs, False, history
