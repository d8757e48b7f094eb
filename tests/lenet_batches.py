"""Small training data shared by the tests of the reference and of fastloop: seeded random batches
of Fashion-MNIST's shape, and a LeNet initialised as the book does."""

from __future__ import annotations

import torch
from torch import nn

from solutions.lenet import lenet
from solutions.training import init_weights


def batches(device: str, count: int = 6, size: int = 64, last: int = 24) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Seeded random batches of Fashion-MNIST's shape; the last one is smaller, as in an epoch."""
    generator = torch.Generator().manual_seed(0)
    sizes = [size] * (count - 1) + [last]
    return [
        (
            torch.rand(n, 1, 28, 28, generator=generator).to(device),
            torch.randint(0, 10, (n,), generator=generator).to(device),
        )
        for n in sizes
    ]


def fresh_net(device: str) -> nn.Module:
    torch.manual_seed(0)
    net = lenet()
    net.apply(init_weights)
    return net.to(device)
