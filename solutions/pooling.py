"""Maximum and average pooling (d2l 6.5)."""

import torch

from .corr2d import check_fits, check_matrix
from .padding_stride import to_pair


def pool2d(X: torch.Tensor, pool_size, mode: str = "max") -> torch.Tensor:
    """Slide a (p_h, p_w) window over the 2-D X with stride 1 and take its max or mean."""
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    check_matrix("X", X)
    p_h, p_w = to_pair("pool_size", pool_size, 1)
    check_fits(X, torch.empty(p_h, p_w))
    if not X.is_floating_point():
        X = X.float()
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i : i + p_h, j : j + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y
