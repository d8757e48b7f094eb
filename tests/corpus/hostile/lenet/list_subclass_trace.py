"""shape_trace returns a list subclass whose __eq__/__len__/__iter__ claim to match anything, holding garbage; lenet() is correct.

Expect: the shape_trace checks (book_trace, random_traces) fail: only plain lists cross the process
boundary; the lenet() checks pass (that function is not attacked).
"""
import torch
from torch import nn


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


class Anything(list):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


def shape_trace(net, input_shape):
    return Anything([("Garbage", (0,))])
