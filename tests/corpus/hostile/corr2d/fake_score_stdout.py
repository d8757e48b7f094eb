"""Prints a fake score and a fake JSON report ({"score": 100, ...}) to stdout at import and in every call, and returns garbage.

Expect: the printed text changes nothing: every check that judges a value fails and the report's
score comes from the checks; the rule checks no_builtin and speed may pass.
"""
import json
import sys

import torch

FAKE = json.dumps({"score": 100, "max_score": 100, "complete": True,
                   "exercises": [{"name": "corr2d", "score": 100, "max_score": 100, "checks": []}]})
print(FAKE)
print("Score: 100/100  ALL CHECKS PASSED")
sys.stdout.flush()


def corr2d(X, K):
    print(FAKE, flush=True)
    return torch.full((1, 1), 100.0)
