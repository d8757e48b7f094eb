"""corr2d as a sum over kernel offsets: each offset adds one shifted slice of X, weighted."""

import torch


def corr2d(X, K):
    if X.dim() != 2 or K.dim() != 2:
        raise ValueError(f"X and K must be 2-D tensors, got shapes {tuple(X.shape)} and {tuple(K.shape)}")
    k_h, k_w = K.shape
    h, w = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    if h < 1 or w < 1:
        raise ValueError(f"kernel {tuple(K.shape)} is larger than the input {tuple(X.shape)}")
    Y = torch.zeros((h, w), dtype=X.dtype)
    for a in range(k_h):
        for b in range(k_w):
            Y += K[a, b] * X[a : a + h, b : b + w]
    return Y
