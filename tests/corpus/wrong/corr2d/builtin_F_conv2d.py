"""corr2d calls the built-in torch.nn.functional.conv2d (forbidden)."""
import torch
from torch.nn import functional as F


def check_matrix(name: str, T: torch.Tensor) -> None:
    if not isinstance(T, torch.Tensor) or T.dim() != 2:
        raise ValueError(f"{name} must be a 2-D tensor")


def check_fits(X: torch.Tensor, K: torch.Tensor) -> None:
    if K.shape[-2] > X.shape[-2] or K.shape[-1] > X.shape[-1]:
        raise ValueError("kernel larger than input")


def corr2d(X, K):
    check_matrix("X", X)
    check_matrix("K", K)
    check_fits(X, K)
    dtype = torch.result_type(X, K)
    return F.conv2d(X.to(dtype)[None, None], K.to(dtype)[None, None])[0, 0]
