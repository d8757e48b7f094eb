"""A convolutional layer built on corr2d, and learning a kernel from data (d2l 6.2.2-6.2.4)."""

import torch
from torch import nn

from .corr2d import check_matrix, corr2d


class Conv2D(nn.Module):
    """d2l's two-dimensional convolutional layer: one kernel ``weight`` and a scalar ``bias``."""

    def __init__(self, kernel_size):
        super().__init__()
        if isinstance(kernel_size, int):
            kernel_size = (kernel_size, kernel_size)
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size, lr: float = 3e-2, num_epochs: int = 10) -> torch.Tensor:
    """Learn the kernel mapping X to Y by gradient descent on the summed squared error (d2l 6.2.4)."""
    check_matrix("X", X)
    check_matrix("Y", Y)
    conv2d = Conv2D(kernel_size)
    expected = (X.shape[0] - conv2d.weight.shape[0] + 1, X.shape[1] - conv2d.weight.shape[1] + 1)
    if tuple(Y.shape) != expected:
        raise ValueError(f"Y must have shape {expected} for this X and kernel, got {tuple(Y.shape)}")
    conv2d.bias.requires_grad_(False)  # as in the book, only the kernel is learned; the bias stays 0
    for _ in range(num_epochs):
        Y_hat = conv2d(X)
        loss = ((Y_hat - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        with torch.no_grad():
            conv2d.weight -= lr * conv2d.weight.grad
    return conv2d.weight.detach()
