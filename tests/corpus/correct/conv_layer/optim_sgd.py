"""Conv2D as in the book, and learn_kernel driven by torch.optim.SGD over the kernel (the bias stays 0, as in the book)."""
import torch
from torch import nn

from .corr2d import check_matrix, corr2d


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        if isinstance(kernel_size, int):
            kernel_size = (kernel_size, kernel_size)
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_epochs=10):
    check_matrix("X", X)
    check_matrix("Y", Y)
    layer = Conv2D(kernel_size)
    optimizer = torch.optim.SGD([layer.weight], lr=lr)
    for _ in range(num_epochs):
        Y_hat = layer(X)
        if Y_hat.shape != Y.shape:
            raise ValueError(f"Y must have shape {tuple(Y_hat.shape)}, got {tuple(Y.shape)}")
        optimizer.zero_grad()
        loss = (Y_hat - Y).pow(2).sum()
        loss.backward()
        optimizer.step()
    return layer.weight.detach().clone()
