"""Gradable exercises of d2l 6.2 and 6.4: composing kernels, the cost of a convolution, im2col."""

import torch

from .corr2d import check_fits, check_matrix
from .padding_stride import conv_output_shape


def compose_kernels(K1: torch.Tensor, K2: torch.Tensor) -> torch.Tensor:
    """The single kernel K with corr2d(corr2d(X, K1), K2) == corr2d(X, K): the full convolution of K1 and K2."""
    check_matrix("K1", K1)
    check_matrix("K2", K2)
    (a_h, a_w), (b_h, b_w) = K1.shape, K2.shape
    K = torch.zeros((a_h + b_h - 1, a_w + b_w - 1), dtype=torch.result_type(K1, K2))
    for i in range(b_h):
        for j in range(b_w):
            K[i : i + a_h, j : j + a_w] += K2[i, j] * K1
    return K


def conv_cost(c_i: int, h: int, w: int, c_o: int, k_h: int, k_w: int, padding=0, stride=1) -> dict:
    """Multiply-adds, parameters (weights + one bias per output channel) and output size of a conv layer."""
    h_o, w_o = conv_output_shape((h, w), (k_h, k_w), padding, stride)
    return {
        "madds": c_o * c_i * k_h * k_w * h_o * w_o,
        "params": c_o * c_i * k_h * k_w + c_o,
        "output_elems": c_o * h_o * w_o,
    }


def corr2d_matmul(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """corr2d as one matrix product: each kernel offset becomes a row of shifted inputs (im2col)."""
    check_matrix("X", X)
    check_matrix("K", K)
    check_fits(X, K)
    k_h, k_w = K.shape
    h_o, w_o = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    dtype = torch.result_type(X, K)
    columns = torch.stack([X[i : i + h_o, j : j + w_o].reshape(-1) for i in range(k_h) for j in range(k_w)])
    return torch.matmul(K.reshape(1, -1).to(dtype), columns.to(dtype)).reshape(h_o, w_o)
