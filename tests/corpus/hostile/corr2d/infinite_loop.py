"""corr2d never returns (an endless loop), to hang the grader.

Expect: score 0; each call hits the worker's call timeout (the test uses call_timeout=3 s),
after two lost workers the remaining checks are reported as errors; the report stays complete.
"""
import torch


def corr2d(X, K):
    while True:
        pass
