"""Forks six children inside corr2d; each allocates (and touches) 500 MiB, under the per-process
limit, and waits; together they ask for 3 GiB.

Expect: the worker's cgroup (its memory cap, 1.5 GiB in the test) stops them: the kernel kills the
worker, the check fails with "memory limit of 1.5 GiB exceeded", the host never lends 3 GiB."""
import os
import time

MARKER = "__MARKER__"
CHILDREN, CHUNK = 6, 500 << 20


def corr2d(X, K):
    pids = []
    for _ in range(CHILDREN):
        pid = os.fork()
        if pid == 0:
            try:
                held = bytearray(CHUNK)  # zero-filled: the pages are touched
                time.sleep(20)
                del held
            finally:
                os._exit(0)
        pids.append(pid)
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    if all(status == 0 for status in statuses):
        print(f"ESCAPED: {CHILDREN} children held {CHILDREN * CHUNK >> 20} MiB together")
    raise NotImplementedError(f"children ended with {statuses}")
