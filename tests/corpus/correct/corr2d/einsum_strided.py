"""corr2d with torch.as_strided (a view of every window) contracted with K by torch.einsum."""
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
    X = X.to(dtype).contiguous()
    k_h, k_w = K.shape
    h_o, w_o = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    s_h, s_w = X.stride()
    windows = torch.as_strided(X, (h_o, w_o, k_h, k_w), (s_h, s_w, s_h, s_w))
    return torch.einsum("ijab,ab->ij", windows, K.to(dtype))
