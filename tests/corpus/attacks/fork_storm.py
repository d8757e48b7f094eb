"""A fork storm inside corr2d: forks until the kernel refuses, every child sleeping.

Expect: the worker's cgroup (and RLIMIT_NPROC) stop it at the configured number of processes (64
in the test); the message says how many it got; every process is gone after the worker."""
import os
import time

MARKER = "__MARKER__"


def corr2d(X, K):
    count = 0
    try:
        while count < 10_000:
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            count += 1
    except OSError:
        pass
    if count >= 64:
        print(f"ESCAPED: forked {count} processes")
    raise NotImplementedError(f"forked {count} processes before the kernel refused")
