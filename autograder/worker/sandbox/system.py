"""The system facts every layer of the sandbox needs: the unprivileged user, the tag of worker
processes, the C library, and where the worker's Python lives."""

from __future__ import annotations

import ctypes
import os
import stat
import sys
from pathlib import Path

from ..space import site_directories

#: The unprivileged user and group a worker runs as (``nobody``/``nogroup`` on Debian).
UNPRIVILEGED = 65534
#: Hard ``RLIMIT_RTTIME`` (microseconds) that tags every worker process. It only matters for
#: real-time scheduling, which a worker cannot get; a process can lower it but never raise it.
RTTIME_MARK = 7_777_777

# prctl / capability constants (linux/prctl.h, linux/capability.h, sched.h)
PR_SET_PDEATHSIG = 1
PR_SET_KEEPCAPS = 8
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
CAP_DAC_READ_SEARCH = 2
LINUX_CAPABILITY_VERSION_3 = 0x20080522
CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET = 0x04000000, 0x08000000, 0x40000000

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def python_executable() -> str:
    """The real interpreter binary (a virtual environment's ``bin/python`` is only a link)."""
    return os.path.realpath(sys.executable)


def python_paths() -> list[str]:
    """Folders the worker's interpreter reads: the installation and the site directories."""
    paths = [os.path.realpath(sys.base_prefix)]
    exe_dir = os.path.dirname(python_executable())
    if not any(exe_dir == p or exe_dir.startswith(p + os.sep) for p in paths):
        paths.append(exe_dir)
    for directory in site_directories():
        directory = os.path.realpath(directory)
        if not any(directory == p or directory.startswith(p + os.sep) for p in paths):
            paths.append(directory)
    return paths


def readable_by(path: str, uid: int, gid: int, execute: bool = False) -> bool:
    """Whether ``uid``/``gid`` (no supplementary groups, no capabilities) can reach and read ``path``."""

    def allowed(st: os.stat_result, bits: int) -> bool:  # bits: 4 read, 2 write, 1 execute
        if st.st_uid == uid:
            return (st.st_mode >> 6) & bits == bits
        if st.st_gid == gid:
            return (st.st_mode >> 3) & bits == bits
        return st.st_mode & bits == bits

    real = os.path.realpath(path)
    parts = Path(real).parts
    try:
        for i in range(1, len(parts)):
            if not allowed(os.stat(os.path.join(*parts[:i])), 1):
                return False
        st = os.stat(real)
    except OSError:
        return False
    want = 4 | (1 if execute or stat.S_ISDIR(st.st_mode) else 0)
    return allowed(st, want)
