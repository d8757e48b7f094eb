"""corr2d vectorised with Tensor.unfold: all windows as a (h', w', k_h, k_w) view, multiplied by K and summed."""
import torch


def check_matrix(name: str, T: torch.Tensor) -> None:
    """Raise ValueError unless T is a 2-D tensor."""
    if not isinstance(T, torch.Tensor) or T.dim() != 2:
        raise ValueError(f"{name} must be a 2-D tensor")


def check_fits(X: torch.Tensor, K: torch.Tensor) -> None:
    """Raise ValueError when the kernel does not fit inside the input."""
    if K.shape[-2] > X.shape[-2] or K.shape[-1] > X.shape[-1]:
        raise ValueError("kernel larger than input")


def corr2d(X, K):
    check_matrix("X", X)
    check_matrix("K", K)
    check_fits(X, K)
    dtype = torch.result_type(X, K)
    k_h, k_w = K.shape
    windows = X.to(dtype).unfold(0, k_h, 1).unfold(1, k_w, 1)  # (h', w', k_h, k_w)
    return (windows * K.to(dtype)).sum(dim=(-2, -1))
