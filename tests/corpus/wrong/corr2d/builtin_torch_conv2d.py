"""corr2d calls the built-in torch.conv2d under another name (forbidden)."""
import torch


def check_matrix(name: str, T: torch.Tensor) -> None:
    if not isinstance(T, torch.Tensor) or T.dim() != 2:
        raise ValueError(f"{name} must be a 2-D tensor")


def check_fits(X: torch.Tensor, K: torch.Tensor) -> None:
    if K.shape[-2] > X.shape[-2] or K.shape[-1] > X.shape[-1]:
        raise ValueError("kernel larger than input")


_sliding = getattr(torch, "conv" + "2d")


def corr2d(X, K):
    check_matrix("X", X)
    check_matrix("K", K)
    check_fits(X, K)
    dtype = torch.result_type(X, K)
    return _sliding(X.to(dtype).reshape(1, 1, *X.shape), K.to(dtype).reshape(1, 1, *K.shape)).reshape(
        X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
