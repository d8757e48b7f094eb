"""Fills the worker's writable space inside corr2d: 60 MiB files into its working directory and
into /tmp until a write fails.

Expect: the capped scratch (256 MiB for home and /tmp together) stops it; the grader's disk keeps
its free space; nothing is left after the worker."""
import os

MARKER = "__MARKER__"
CHUNK = b"x" * (60 << 20)
LIMIT = 4 << 30


def corr2d(X, K):
    written, index = 0, 0
    try:
        while written < LIMIT:
            for folder in (os.getcwd(), "/tmp"):
                with open(os.path.join(folder, f"fill-{MARKER}-{index}"), "wb") as handle:
                    handle.write(CHUNK)
                written += len(CHUNK)
                index += 1
    except OSError:
        pass
    if written > 256 << 20:
        print(f"ESCAPED: wrote {written >> 20} MiB")
    raise NotImplementedError(f"wrote {written >> 20} MiB before the scratch was full")
