"""Padding and stride (d2l 6.3)."""

from numbers import Integral

import torch
from torch.nn import functional as F

from .corr2d import check_fits, check_matrix, corr2d


def to_pair(name: str, value, minimum: int) -> tuple[int, int]:
    """Turn an int or an (h, w) pair into a pair of ints, each at least ``minimum``."""
    pair = (value, value) if isinstance(value, Integral) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, Integral) and not isinstance(v, bool) and v >= minimum for v in pair):
        raise ValueError(f"{name} must be an int or an (h, w) pair of ints >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def conv_output_shape(input_size, kernel_size, padding=0, stride=1) -> tuple[int, int]:
    """Output (h, w) of a convolution: floor((n - k + 2p) / s) + 1 per dimension."""
    (n_h, n_w) = to_pair("input_size", input_size, 1)
    (k_h, k_w) = to_pair("kernel_size", kernel_size, 1)
    (p_h, p_w) = to_pair("padding", padding, 0)
    (s_h, s_w) = to_pair("stride", stride, 1)
    if k_h > n_h + 2 * p_h or k_w > n_w + 2 * p_w:
        raise ValueError(f"kernel {(k_h, k_w)} is larger than the padded input {(n_h + 2 * p_h, n_w + 2 * p_w)}")
    return (n_h - k_h + 2 * p_h) // s_h + 1, (n_w - k_w + 2 * p_w) // s_w + 1


def corr2d_pad_stride(X: torch.Tensor, K: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    """Zero-pad X on every side, then cross-correlate with K, keeping every stride-th output."""
    check_matrix("X", X)
    check_matrix("K", K)
    p_h, p_w = to_pair("padding", padding, 0)
    s_h, s_w = to_pair("stride", stride, 1)
    X = F.pad(X, (p_w, p_w, p_h, p_h))
    check_fits(X, K)
    return corr2d(X, K)[::s_h, ::s_w]
