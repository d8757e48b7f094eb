"""Writes a fake report straight to file descriptors 1 and 2 (bypassing sys.stdout) and returns garbage.

Expect: as fake_score_stdout: the bytes land in the captured output only; value checks fail,
the rule checks no_builtin and speed may pass.
"""
import json
import os

import torch

FAKE = (json.dumps({"score": 14, "max_score": 14, "complete": True, "exercises": []}) + "\n").encode()


def corr2d(X, K):
    for fd in (1, 2):
        try:
            os.write(fd, FAKE)
        except OSError:
            pass
    return torch.ones(1)
