"""compose_kernels as a full convolution computed by F.conv2d (padding k2 - 1, flipped K2; built-ins are allowed here); the rest as the reference."""
import torch
from torch.nn import functional as F

from .corr2d import check_fits, check_matrix
from .padding_stride import conv_output_shape


def compose_kernels(K1, K2):
    check_matrix("K1", K1)
    check_matrix("K2", K2)
    dtype = torch.result_type(K1, K2)
    b_h, b_w = K2.shape
    full = F.conv2d(K1.to(dtype)[None, None], K2.to(dtype).flip(0, 1)[None, None], padding=(b_h - 1, b_w - 1))
    return full[0, 0]


def conv_cost(c_i, h, w, c_o, k_h, k_w, padding=0, stride=1):
    h_o, w_o = conv_output_shape((h, w), (k_h, k_w), padding, stride)
    return {"madds": c_o * c_i * k_h * k_w * h_o * w_o, "params": c_o * (c_i * k_h * k_w + 1),
            "output_elems": c_o * h_o * w_o}


def corr2d_matmul(X, K):
    check_matrix("X", X)
    check_matrix("K", K)
    check_fits(X, K)
    k_h, k_w = K.shape
    h_o, w_o = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    dtype = torch.result_type(X, K)
    columns = torch.stack([X[i:i + h_o, j:j + w_o].reshape(-1) for i in range(k_h) for j in range(k_w)])
    return torch.matmul(K.reshape(1, -1).to(dtype), columns.to(dtype)).reshape(h_o, w_o)
