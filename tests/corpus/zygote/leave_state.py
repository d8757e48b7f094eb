# Appended to corr2d.py: leaves every kind of state a reused interpreter or scratch would carry to
# the next exercise, then (in corr2d itself) starts a late daemon, tries to kill the zygote and kills
# its own worker, so the exercise loses its workers (tests/slow/test_zygote.py).
import builtins as _builtins
import ctypes as _ctypes
import os as _os
import random as _random
import signal as _signal
import sys as _sys

import torch as _torch

_builtins.cnnkit_leak = getattr(_builtins, "cnnkit_leak", 0) + 1
_sys.modules["cnnkit_leaked_module"] = _sys
_torch.cnnkit_leak = True
_torch.nn.functional.conv2d = lambda *args, **kwargs: "patched"
_torch.manual_seed(1234)
_random.seed(1234)
for _folder in (".", "/tmp", "/dev/shm"):
    try:
        with open(_os.path.join(_folder, "cnnkit_leak"), "w") as _handle:
            _handle.write("left by corr2d")
    except OSError:
        pass
_ctypes.CDLL(None).shmget(0x2BAD, 4096, 0o1000 | 0o600)  # IPC_CREAT: System V shared memory
_plain_corr2d = corr2d  # noqa: F821  (the reference's, defined above in corr2d.py)


def corr2d(X, K):  # noqa: F811
    if _os.fork() == 0:  # a daemon that would write into the next exercise's scratch later
        _os.setsid()
        import time

        time.sleep(3)
        with open("/tmp/cnnkit_late", "w") as handle:
            handle.write("late")
        _os._exit(0)
    try:
        _os.kill(_os.getppid(), _signal.SIGKILL)  # the zygote: another user, so EPERM
    except OSError:
        pass
    _os.kill(_os.getpid(), _signal.SIGKILL)
    return _plain_corr2d(X, K)
