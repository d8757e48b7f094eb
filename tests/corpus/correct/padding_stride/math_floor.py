"""conv_output_shape with math.floor on a true division; corr2d_pad_stride pads by copying into a zero tensor and picks strided windows by index."""
import math

import torch

from .corr2d import check_fits, check_matrix, corr2d


def _pair(name, value, minimum):
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an int or a pair of ints")
    if isinstance(value, int):
        value = (value, value)
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}") from None
    for v in (a, b):
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise ValueError(f"{name} must hold ints >= {minimum}, got {value!r}")
    return a, b


to_pair = _pair  # the name the other modules of the package import


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    n = _pair("input_size", input_size, 1)
    k = _pair("kernel_size", kernel_size, 1)
    p = _pair("padding", padding, 0)
    s = _pair("stride", stride, 1)
    out = []
    for n_d, k_d, p_d, s_d in zip(n, k, p, s):
        if k_d > n_d + 2 * p_d:
            raise ValueError(f"kernel size {k_d} exceeds the padded input {n_d + 2 * p_d}")
        out.append(math.floor((n_d + 2 * p_d - k_d) / s_d) + 1)
    return tuple(out)


def corr2d_pad_stride(X, K, padding=0, stride=1):
    check_matrix("X", X)
    check_matrix("K", K)
    p_h, p_w = _pair("padding", padding, 0)
    s_h, s_w = _pair("stride", stride, 1)
    n_h, n_w = X.shape
    padded = torch.zeros((n_h + 2 * p_h, n_w + 2 * p_w), dtype=X.dtype)
    padded[p_h:p_h + n_h, p_w:p_w + n_w] = X
    check_fits(padded, K)
    k_h, k_w = K.shape
    h_o, w_o = conv_output_shape((n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w))
    rows = []
    for i in range(h_o):
        band = padded[i * s_h:i * s_h + k_h]
        rows.append(corr2d(band, K)[0, ::s_w])
    return torch.stack(rows)
