"""2-D cross-correlation (d2l 6.2.1)."""

import torch


def check_matrix(name: str, T: torch.Tensor) -> None:
    """Raise ValueError unless ``T`` is a 2-D tensor."""
    if not isinstance(T, torch.Tensor) or T.dim() != 2:
        got = f"shape {tuple(T.shape)}" if isinstance(T, torch.Tensor) else type(T).__name__
        raise ValueError(f"{name} must be a 2-D tensor (height, width), got {got}")


def check_fits(X: torch.Tensor, K: torch.Tensor) -> None:
    """Raise ValueError when the kernel does not fit inside the input."""
    if K.shape[-2] > X.shape[-2] or K.shape[-1] > X.shape[-1]:
        raise ValueError(f"kernel {tuple(K.shape[-2:])} is larger than the input {tuple(X.shape[-2:])}")


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Compute the 2-D cross-correlation of X (n_h, n_w) with K (k_h, k_w)."""
    check_matrix("X", X)
    check_matrix("K", K)
    check_fits(X, K)
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.result_type(X, K))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y
