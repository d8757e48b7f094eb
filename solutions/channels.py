"""Multiple input and output channels, and the 1x1 convolution (d2l 6.4)."""

import torch

from .corr2d import corr2d


def check_channels(X: torch.Tensor, K: torch.Tensor, kernel_dims: int) -> None:
    """Raise ValueError unless X is (c_i, h, w) and K has ``kernel_dims`` dims with c_i input channels."""
    if X.dim() != 3:
        raise ValueError(f"X must be 3-D (c_i, h, w), got shape {tuple(X.shape)}")
    if K.dim() != kernel_dims or K.shape[-3] != X.shape[0]:
        expected = "(c_i, k_h, k_w)" if kernel_dims == 3 else "(c_o, c_i, k_h, k_w)"
        raise ValueError(f"K must be {expected} with c_i={X.shape[0]}, got shape {tuple(K.shape)}")


def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlate each input channel with its kernel slice and add up the results."""
    check_channels(X, K, 3)
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """One multi-input cross-correlation per output channel, stacked along dimension 0."""
    check_channels(X, K, 4)
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution as one matrix product: (c_o, c_i) @ (c_i, h*w)."""
    check_channels(X, K, 4)
    if K.shape[2:] != (1, 1):
        raise ValueError(f"K must be a 1x1 kernel (c_o, c_i, 1, 1), got shape {tuple(K.shape)}")
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))
