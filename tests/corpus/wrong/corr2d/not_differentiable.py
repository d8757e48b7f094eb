"""corr2d builds its output from Python floats (.item()), so autograd cannot reach X or K."""
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
    rows = []
    for i in range(X.shape[0] - h + 1):
        rows.append([(X[i:i + h, j:j + w] * K).sum().item() for j in range(X.shape[1] - w + 1)])
    return torch.tensor(rows, dtype=torch.result_type(X, K)).reshape(X.shape[0] - h + 1, X.shape[1] - w + 1)
