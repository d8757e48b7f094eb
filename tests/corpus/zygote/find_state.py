# Prepended to pooling.py: finds, before anything of the submission runs in this worker, what
# leave_state.py leaves; pool2d then refuses to answer if anything was found.
import builtins as _builtins
import ctypes as _ctypes
import os as _os
import sys as _sys
import time as _time

import torch as _torch

_time.sleep(3.5)  # long enough for leave_state's late daemon to have written, had it survived
LEAKS = [
    name
    for name, found in {
        "a global of builtins": hasattr(_builtins, "cnnkit_leak"),
        "a module in sys.modules": "cnnkit_leaked_module" in _sys.modules,
        "an attribute set on torch": hasattr(_torch, "cnnkit_leak"),
        "a patched torch function": _torch.nn.functional.conv2d(_torch.ones(1, 1, 1, 1), _torch.ones(1, 1, 1, 1))
        == "patched",
        "torch's seed": _torch.initial_seed() == 1234,
        "a file in the home": _os.path.exists("cnnkit_leak"),
        "a file in /tmp": _os.path.exists("/tmp/cnnkit_leak") or _os.path.exists("/tmp/cnnkit_late"),
        "a file in /dev/shm": _os.path.exists("/dev/shm/cnnkit_leak"),
        "System V shared memory": _ctypes.CDLL(None).shmget(0x2BAD, 0, 0) != -1,
    }.items()
    if found
]
print("state found:", LEAKS, file=_sys.stderr)  # stderr: line-buffered, kept when the worker is killed
