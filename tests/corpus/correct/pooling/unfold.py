"""pool2d vectorised with Tensor.unfold: every window as a (h', w', p_h, p_w) view, then amax or mean over the window dims."""
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
    windows = X.unfold(0, p_h, 1).unfold(1, p_w, 1)
    if mode == "max":
        return windows.amax(dim=(-2, -1))
    return windows.mean(dim=(-2, -1))
