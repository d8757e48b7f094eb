"""corr2d assumes a square kernel: it uses k_h for both window dimensions (wrong for 1x2 / 2x1 kernels)."""
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
    k = K.shape[0]
    Y = torch.zeros((X.shape[0] - k + 1, X.shape[1] - k + 1), dtype=torch.result_type(X, K))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + k, j:j + k] * K).sum()
    return Y
