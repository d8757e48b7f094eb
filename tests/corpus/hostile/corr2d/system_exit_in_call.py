"""Raises SystemExit(0) inside corr2d, hoping the grader treats the exit as success.

Expect: score 0 (every check, rule checks included, calls corr2d and gets an exception).
"""
import torch


def corr2d(X, K):
    raise SystemExit(0)
