"""Channels with torch.einsum: windows of every channel (unfold) contracted with K over (c_i, k_h, k_w); the 1x1 case is one einsum 'oc,cp->op'."""
import torch

from .corr2d import corr2d  # noqa: F401  (kept: the exercise builds on corr2d)


def _check(X, K, kernel_dims):
    if X.dim() != 3:
        raise ValueError(f"X must be 3-D (c_i, h, w), got shape {tuple(X.shape)}")
    if K.dim() != kernel_dims or K.shape[-3] != X.shape[0]:
        raise ValueError(f"K has the wrong shape {tuple(K.shape)} for X of shape {tuple(X.shape)}")
    if K.shape[-2] > X.shape[-2] or K.shape[-1] > X.shape[-1]:
        raise ValueError("kernel larger than the input")


def _windows(X, k_h, k_w):
    return X.unfold(1, k_h, 1).unfold(2, k_w, 1)  # (c_i, h', w', k_h, k_w)


def corr2d_multi_in(X, K):
    _check(X, K, 3)
    dtype = torch.result_type(X, K)
    return torch.einsum("cijab,cab->ij", _windows(X.to(dtype), *K.shape[-2:]), K.to(dtype))


def corr2d_multi_in_out(X, K):
    _check(X, K, 4)
    dtype = torch.result_type(X, K)
    return torch.einsum("cijab,ocab->oij", _windows(X.to(dtype), *K.shape[-2:]), K.to(dtype))


def corr2d_multi_in_out_1x1(X, K):
    _check(X, K, 4)
    if tuple(K.shape[2:]) != (1, 1):
        raise ValueError(f"K must be a 1x1 kernel (c_o, c_i, 1, 1), got shape {tuple(K.shape)}")
    dtype = torch.result_type(X, K)
    c_i, h, w = X.shape
    Y = torch.einsum("oc,cp->op", K.to(dtype).reshape(K.shape[0], c_i), X.to(dtype).reshape(c_i, h * w))
    return Y.reshape(K.shape[0], h, w)
