"""pool2d calls the built-in pooling functions through aliases (torch.nn.functional.max_pool2d / avg_pool2d imported under other names; forbidden)."""
import torch
from torch.nn.functional import avg_pool2d as _mean_window
from torch.nn.functional import max_pool2d as _max_window

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
    pool = _max_window if mode == "max" else _mean_window
    return pool(X[None, None], (p_h, p_w), stride=1)[0, 0]
