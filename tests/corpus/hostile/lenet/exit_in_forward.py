"""lenet() returns an nn.Sequential subclass whose forward calls os._exit(0); shape_trace is correct.

Expect: score 0 for lenet: the first two checks each lose their worker, after which the grader
stops running this exercise's checks (reported as errors), the shape_trace ones included.
"""
import os

import torch
from torch import nn


class Exiting(nn.Sequential):
    def forward(self, X):
        os._exit(0)


def lenet():
    return Exiting(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def shape_trace(net, input_shape):
    first = next(net.parameters(), None)
    dtype = first.dtype if first is not None else torch.get_default_dtype()
    X = torch.rand(size=tuple(input_shape), dtype=dtype)
    trace = []
    with torch.no_grad():
        for layer in net:
            X = layer(X)
            trace.append((layer.__class__.__name__, tuple(X.shape)))
    return trace
