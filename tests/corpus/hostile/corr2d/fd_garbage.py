"""Writes raw garbage bytes to every open file descriptor from 3 up (3..20 and any other listed in /proc/self/fd) inside corr2d, to corrupt the grader's channel.

Expect: score 0: the grader sees a malformed reply, kills the worker, replaces it, and after two
lost workers reports the remaining checks as errors; the report stays complete.
"""
import os

import torch

GARBAGE = b"\xff\xfe garbage \x00" * 16


def descriptors():
    """3..20, and every other open descriptor above 2 (the grader may hand out high numbers)."""
    found = set(range(3, 21))
    try:
        found.update(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:
        found.update(range(21, 256))
    return sorted(fd for fd in found if fd > 2)


def corr2d(X, K):
    for fd in descriptors():
        try:
            os.write(fd, GARBAGE)
        except OSError:
            pass
    return torch.zeros(1)
