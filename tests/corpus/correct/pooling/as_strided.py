"""pool2d with torch.as_strided: a (h', w', p_h, p_w) view of the windows, flattened, then max or sum / (p_h * p_w)."""
import torch


def pool2d(X, pool_size, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    if not isinstance(X, torch.Tensor) or X.dim() != 2:
        raise ValueError("X must be a 2-D tensor")
    if isinstance(pool_size, int):
        pool_size = (pool_size, pool_size)
    p_h, p_w = pool_size
    if not (isinstance(p_h, int) and isinstance(p_w, int)) or p_h < 1 or p_w < 1:
        raise ValueError(f"pool_size must be positive ints, got {pool_size!r}")
    n_h, n_w = X.shape
    if p_h > n_h or p_w > n_w:
        raise ValueError(f"window {(p_h, p_w)} is larger than the input {(n_h, n_w)}")
    X = (X if X.is_floating_point() else X.float()).contiguous()
    s_h, s_w = X.stride()
    h_o, w_o = n_h - p_h + 1, n_w - p_w + 1
    windows = torch.as_strided(X, (h_o, w_o, p_h, p_w), (s_h, s_w, s_h, s_w)).reshape(h_o, w_o, p_h * p_w)
    if mode == "max":
        return windows.max(dim=-1).values
    return windows.sum(dim=-1) / (p_h * p_w)
