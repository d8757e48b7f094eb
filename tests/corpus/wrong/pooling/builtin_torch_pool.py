"""pool2d calls torch.max_pool2d and torch._C._nn.avg_pool2d directly (built-in pooling; forbidden)."""
import torch

from .corr2d import check_fits, check_matrix
from .padding_stride import to_pair


def pool2d(X, pool_size, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    check_matrix("X", X)
    p_h, p_w = to_pair("pool_size", pool_size, 1)
    check_fits(X, torch.empty(p_h, p_w))
    if not X.is_floating_point():
        X = X.float()
    if mode == "max":
        return torch.max_pool2d(X[None], (p_h, p_w), 1)[0]
    return torch._C._nn.avg_pool2d(X[None], (p_h, p_w), 1)[0]
