"""Ends the worker with status 0 while the module is imported.

Expect: every check fails; the report is complete."""
import os

os._exit(0)


def corr2d(X, K):
    raise NotImplementedError("unreachable")
