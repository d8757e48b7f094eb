"""conv_cost returns a dict subclass whose __eq__ is always True and whose values are wrong; the other functions are correct.

Expect: the conv_cost checks fail (only plain dicts of ints cross the process boundary); the
compose_kernels and corr2d_matmul checks pass (not attacked).
"""
import torch

from .corr2d import check_fits, check_matrix


class Agreeable(dict):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = None


def compose_kernels(K1, K2):
    check_matrix("K1", K1)
    check_matrix("K2", K2)
    (a_h, a_w), (b_h, b_w) = K1.shape, K2.shape
    K = torch.zeros((a_h + b_h - 1, a_w + b_w - 1), dtype=torch.result_type(K1, K2))
    for i in range(b_h):
        for j in range(b_w):
            K[i:i + a_h, j:j + a_w] += K2[i, j] * K1
    return K


def conv_cost(c_i, h, w, c_o, k_h, k_w, padding=0, stride=1):
    return Agreeable(madds=-1, params=-1, output_elems=-1)


def corr2d_matmul(X, K):
    check_matrix("X", X)
    check_matrix("K", K)
    check_fits(X, K)
    k_h, k_w = K.shape
    h_o, w_o = X.shape[0] - k_h + 1, X.shape[1] - k_w + 1
    dtype = torch.result_type(X, K)
    columns = torch.stack([X[i:i + h_o, j:j + w_o].reshape(-1) for i in range(k_h) for j in range(k_w)])
    return torch.matmul(K.reshape(1, -1).to(dtype), columns.to(dtype)).reshape(h_o, w_o)
