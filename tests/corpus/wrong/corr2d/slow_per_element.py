"""corr2d is correct but scans the whole input for every output element (O(n^4) Python loops, ~50x the reference)."""
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
    h, w = K.shape
    n_h, n_w = X.shape
    Y = torch.zeros((n_h - h + 1, n_w - w + 1), dtype=torch.result_type(X, K))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            total = 0
            for p in range(n_h):
                for q in range(n_w):
                    if p - i in range(h) and q - j in range(w):
                        total = total + X[p][q] * K[p - i][q - j]
            Y[i][j] = total
    return Y
