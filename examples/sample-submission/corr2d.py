"""corr2d as a sum over kernel offsets: each offset adds one shifted slice of X, weighted."""
import torch


def corr2d(X, K):
    k_h, k_w = K.shape
    h, w = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    Y = torch.zeros((h, w), dtype=X.dtype)
    for a in range(k_h):
        for b in range(k_w):
            Y += K[a, b] * X[a:a + h, b:b + w]
    return Y
