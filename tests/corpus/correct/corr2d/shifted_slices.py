"""corr2d as a sum over kernel offsets: for each (a, b), K[a, b] times the input slice shifted by (a, b)."""
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
    k_h, k_w = K.shape
    h_o, w_o = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    Y = torch.zeros((h_o, w_o), dtype=torch.result_type(X, K))
    for a in range(k_h):
        for b in range(k_w):
            Y = Y + K[a, b] * X[a:a + h_o, b:b + w_o]
    return Y
