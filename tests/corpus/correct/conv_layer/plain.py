"""Conv2D and learn_kernel written plainly: no type hints, no docstrings, short error messages."""
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
    conv2d = Conv2D(kernel_size)
    conv2d.bias.requires_grad_(False)
    for _ in range(num_epochs):
        Y_hat = conv2d(X)
        if Y_hat.shape != Y.shape:
            raise ValueError(f"Y must have shape {tuple(Y_hat.shape)}, got {tuple(Y.shape)}")
        loss = ((Y_hat - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv2d.weight -= lr * conv2d.weight.grad
    return conv2d.weight.detach()
