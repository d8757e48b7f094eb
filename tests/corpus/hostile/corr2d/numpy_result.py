"""Returns the right values as a numpy array instead of a torch.Tensor.

Expect: every check that judges a value fails (a torch.Tensor is required); the rule checks
no_builtin and speed may pass.
"""
import torch


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.result_type(X, K))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y.numpy()
