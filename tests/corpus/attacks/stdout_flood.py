"""Writes 300 MB to stdout and stderr (through sys.stdout and straight to fd 1) in the first call.

Expect: the grader keeps only the first bytes of the output (the rest is dropped, not stored), the
report stays small and complete; every check fails."""
import os
import sys

CHUNK = b"flood " * (1 << 17)  # 768 KiB
_done = []


def corr2d(X, K):
    if not _done:
        _done.append(True)
        written = 0
        while written < 300_000_000:
            os.write(1, CHUNK)
            sys.stdout.write(CHUNK.decode())
            sys.stderr.write("e")
            written += 2 * len(CHUNK)
        sys.stdout.flush()
    raise NotImplementedError("flooded")
