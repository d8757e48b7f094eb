"""Returns the right values in a torch.Tensor subclass whose comparisons always succeed and whose __reduce_ex__ runs a shell command.

Expect: every check that judges a value fails (only plain torch.Tensor results are accepted, and
the subclass never crosses the process boundary); /tmp/pwned-cnnkit-subclass is never created;
the rule checks no_builtin and speed may pass.
"""
import os

import torch


class Sneaky(torch.Tensor):
    def __eq__(self, other):
        return torch.ones(torch.Size(self.shape), dtype=torch.bool)

    def __reduce_ex__(self, protocol):
        return (os.system, ("touch /tmp/pwned-cnnkit-subclass",))


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.result_type(X, K))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y.as_subclass(Sneaky)
