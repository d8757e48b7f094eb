"""Padding and stride, with a bug: the padding is counted once, not on both sides; no argument checks."""

import torch

from .corr2d import corr2d


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_output_shape(input_size, kernel_size, padding=0, stride=1):
    (n_h, n_w), (k_h, k_w), (p_h, p_w), (s_h, s_w) = map(_pair, (input_size, kernel_size, padding, stride))
    return (n_h - k_h + p_h) // s_h + 1, (n_w - k_w + p_w) // s_w + 1


def corr2d_pad_stride(X, K, padding=0, stride=1):
    (p_h, p_w), (s_h, s_w) = _pair(padding), _pair(stride)
    padded = torch.zeros((X.shape[0] + 2 * p_h, X.shape[1] + 2 * p_w), dtype=X.dtype)
    padded[p_h : p_h + X.shape[0], p_w : p_w + X.shape[1]] = X
    return corr2d(padded, K)[::s_h, ::s_w]
