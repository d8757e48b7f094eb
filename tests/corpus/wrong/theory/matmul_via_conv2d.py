"""corr2d_matmul calls the built-in F.conv2d instead of one matrix product (forbidden)."""
import torch
from torch.nn import functional as F

from .corr2d import check_fits, check_matrix
from .padding_stride import conv_output_shape


def compose_kernels(K1, K2):
    check_matrix("K1", K1)
    check_matrix("K2", K2)
    (a_h, a_w), (b_h, b_w) = K1.shape, K2.shape
    K = torch.zeros((a_h + b_h - 1, a_w + b_w - 1), dtype=torch.result_type(K1, K2))
    for i in range(b_h):
        for j in range(b_w):
            K[i:i + a_h, j:j + a_w] += K2[i, j] * K1
    return K


def conv_cost(c_i, h, w, c_o, k_h, k_w, padding=0, stride=1):
    h_o, w_o = conv_output_shape((h, w), (k_h, k_w), padding, stride)
    return {"madds": c_o * c_i * k_h * k_w * h_o * w_o, "params": c_o * c_i * k_h * k_w + c_o,
            "output_elems": c_o * h_o * w_o}


def corr2d_matmul(X, K):
    check_matrix("X", X)
    check_matrix("K", K)
    check_fits(X, K)
    dtype = torch.result_type(X, K)
    return F.conv2d(X.to(dtype)[None, None], K.to(dtype)[None, None])[0, 0]
