"""Writes a well-formed forged reply frame (ok, value 0; built with the worker's own protocol.pack) to every open file descriptor from 3 up inside corr2d, then returns garbage.

Expect: every check that judges a value fails (forged or real, the values are wrong; the forged
frame also puts the channel out of step); the report stays complete; the rule checks no_builtin
and speed may pass (they do not judge values).
"""
import json
import os
import struct
import sys

import torch


def forged_frame() -> bytes:
    for name, module in list(sys.modules.items()):
        if name.endswith(".protocol") and hasattr(module, "pack"):
            return module.pack({"ok": True, "value": 0})
    body = json.dumps({"__dict__": [["ok", True], ["value", 0]]}).encode()
    return struct.pack("<I", len(body)) + body + struct.pack("<Q", 0)


def descriptors():
    """3..20, and every other open descriptor above 2 (the grader may hand out high numbers)."""
    found = set(range(3, 21))
    try:
        found.update(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:
        found.update(range(21, 256))
    return sorted(fd for fd in found if fd > 2)


def corr2d(X, K):
    frame = forged_frame()
    for fd in descriptors():
        try:
            os.write(fd, frame)
        except OSError:
            pass
    return torch.zeros(1)
