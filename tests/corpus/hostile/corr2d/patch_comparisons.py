"""Monkeypatches torch.allclose, torch.isclose, torch.equal and torch.Tensor.__eq__ to say 'equal', then returns garbage.

Expect: every check that judges a value fails (the comparisons run in the parent, not here);
the rule checks no_builtin and speed only judge how the result is computed, so they may pass.
"""
import torch

torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.isclose = lambda a, b, *args, **kwargs: torch.ones_like(torch.as_tensor(a), dtype=torch.bool)
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
torch.Tensor.__ne__ = lambda self, other: torch.zeros_like(self, dtype=torch.bool)


def corr2d(X, K):
    return torch.zeros(1)
