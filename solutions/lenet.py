"""LeNet-5 and its layer-by-layer shape trace (d2l 6.6.1)."""

import torch
from torch import nn


def lenet() -> nn.Sequential:
    """d2l's LeNet: two sigmoid conv blocks with average pooling, then three dense layers."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        nn.Sigmoid(),
        nn.Linear(84, 10),
    )


def shape_trace(net: nn.Sequential, input_shape) -> list[tuple[str, tuple[int, ...]]]:
    """Feed a random input through each top-level layer and record (class name, output shape)."""
    first = next(net.parameters(), None)
    dtype = first.dtype if first is not None else torch.get_default_dtype()
    device = first.device if first is not None else None
    X = torch.rand(size=tuple(input_shape), dtype=dtype, device=device)
    trace = []
    was_training = net.training
    net.eval()  # a trace must not change the network (e.g. BatchNorm's running statistics)
    with torch.no_grad():
        for layer in net:
            X = layer(X)
            trace.append((layer.__class__.__name__, tuple(X.shape)))
    net.train(was_training)
    return trace
