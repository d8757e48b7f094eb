"""The book's Conv2D (d2l-en 7.2.2, d2l-zh 6.2.2) and its kernel-learning loop (7.2.4 / 6.2.4) as learn_kernel, with the book's built-in nn.Conv2d."""
import torch
from torch import nn

from .corr2d import corr2d


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size, lr=3e-2, num_epochs=10):
    # Construct a two-dimensional convolutional layer with 1 output channel and a
    # kernel of shape kernel_size. For the sake of simplicity, we ignore the bias here
    conv2d = nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)

    # The two-dimensional convolutional layer uses four-dimensional input and
    # output in the format of (example, channel, height, width), where the batch
    # size (number of examples in the batch) and the number of channels are both 1
    X = X.reshape((1, 1, X.shape[0], X.shape[1]))
    Y = Y.reshape((1, 1, Y.shape[0], Y.shape[1]))

    for i in range(num_epochs):
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2
        conv2d.zero_grad()
        l.sum().backward()
        # Update the kernel
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
        if (i + 1) % 2 == 0:
            print(f'epoch {i + 1}, loss {l.sum():.3f}')
    return conv2d.weight.data.reshape(kernel_size)
