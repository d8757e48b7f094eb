"""Multiple input and output channels written plainly: no type hints, no docstrings, short error messages."""
import torch

from .corr2d import corr2d


def check_channels(X, K, kernel_dims):
    if X.dim() != 3:
        raise ValueError(f"X must be 3-D (c_i, h, w), got shape {tuple(X.shape)}")
    if K.dim() != kernel_dims or K.shape[-3] != X.shape[0]:
        raise ValueError(f"K has the wrong shape {tuple(K.shape)}")


def corr2d_multi_in(X, K):
    check_channels(X, K, 3)
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    check_channels(X, K, 4)
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    check_channels(X, K, 4)
    if K.shape[2:] != (1, 1):
        raise ValueError("K must be a 1x1 kernel")
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = torch.matmul(K.reshape((c_o, c_i)), X.reshape((c_i, h * w)))
    return Y.reshape((c_o, h, w))
