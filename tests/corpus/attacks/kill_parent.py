"""Kills its parent process and the parent's process group with SIGKILL, then pid 1 of its PID
namespace, then its own process group.

Expect: the grader survives (the parent is bubblewrap's init, or a process of another user); the
worker dies; the report is complete and every check fails."""
import os
import signal


def corr2d(X, K):
    parent = os.getppid()
    for action in (lambda: os.kill(parent, signal.SIGKILL), lambda: os.killpg(os.getpgid(parent), signal.SIGKILL),
                   lambda: os.kill(1, signal.SIGKILL)):
        try:
            action()
        except OSError:
            pass
    os.killpg(os.getpgrp(), signal.SIGKILL)
    raise NotImplementedError("still alive")
