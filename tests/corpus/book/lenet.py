"""The book's LeNet nn.Sequential (d2l-zh 6.6.1) as lenet(), and its shape-printing loop as shape_trace."""
import torch
from torch import nn


def lenet():
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    return net


def shape_trace(net, input_shape):
    X = torch.rand(size=input_shape, dtype=torch.float32)
    trace = []
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, 'output shape: \t', X.shape)
        trace.append((layer.__class__.__name__, tuple(X.shape)))
    return trace
