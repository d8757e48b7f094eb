"""conv_output_shape and corr2d_pad_stride written plainly: no type hints, no docstrings, short error messages."""
import torch
from torch.nn import functional as F

from .corr2d import check_fits, check_matrix, corr2d


def to_pair(name, value, minimum):
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and v >= minimum for v in pair):
        raise ValueError(f"{name} must be an int or an (h, w) pair of ints >= {minimum}, got {value!r}")
    return pair


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    (n_h, n_w) = to_pair("input_size", input_size, 1)
    (k_h, k_w) = to_pair("kernel_size", kernel_size, 1)
    (p_h, p_w) = to_pair("padding", padding, 0)
    (s_h, s_w) = to_pair("stride", stride, 1)
    if k_h > n_h + 2 * p_h or k_w > n_w + 2 * p_w:
        raise ValueError("kernel larger than the padded input")
    return (n_h - k_h + 2 * p_h) // s_h + 1, (n_w - k_w + 2 * p_w) // s_w + 1


def corr2d_pad_stride(X, K, padding=0, stride=1):
    check_matrix("X", X)
    check_matrix("K", K)
    p_h, p_w = to_pair("padding", padding, 0)
    s_h, s_w = to_pair("stride", stride, 1)
    X = F.pad(X, (p_w, p_w, p_h, p_h))
    check_fits(X, K)
    return corr2d(X, K)[::s_h, ::s_w]
