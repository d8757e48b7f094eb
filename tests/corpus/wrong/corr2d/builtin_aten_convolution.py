"""corr2d calls the ATen operator torch.ops.aten.convolution directly (forbidden)."""
import torch


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
    out = torch.ops.aten.convolution(X.to(dtype)[None, None], K.to(dtype)[None, None], None,
                                     [1, 1], [0, 0], [1, 1], False, [0, 0], 1)
    return out[0, 0]
