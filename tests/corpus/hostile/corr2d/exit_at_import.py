"""Calls os._exit(0) while the module is imported, to end the worker with a 'success' status.

Expect: every corr2d check fails or errors (score 0); the report stays complete.
"""
import os

import torch

os._exit(0)


def corr2d(X, K):
    return torch.zeros(1)
