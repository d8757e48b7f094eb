"""The zygote: imports torch once inside the sandbox, then forks one fresh worker per request.

It runs no student code: it loads what every worker loads before student code (``server.prepare``),
makes itself undumpable (a worker cannot trace it or read its memory through ``/proc``) and then
only answers ``fork`` requests. For each, the grader passes three descriptors over the control
socket (the worker's request and reply pipes and its output pipe). The forked worker closes the
zygote's channels, takes its own, drops to the unprivileged user, empties the scratch, System V
IPC and ``/dev/shm`` that the previous worker of this zygote may have left, reseeds the random
generators as a fresh interpreter would, and serves. The grader moves it into a cgroup of its own
before its first request, so no student code runs before that.

Started by root in bubblewrap, the zygote keeps uid 0 (with ``CAP_SETUID`` and ``CAP_SETGID`` only)
so that the workers, uid 65534, cannot signal it; it never becomes the unprivileged user itself.
"""

from __future__ import annotations

import ctypes
import os
import random
import signal
import socket
import subprocess
import sys

from . import privileges, server
from .protocol import read_frame, write_frame

PR_SET_DUMPABLE = 4
IPC_RMID = 0
#: Writable places the next worker must find empty, besides its home.
SHARED_FOLDERS = ("/tmp", "/dev/shm")
#: ``/proc/sysvipc`` file -> the C function that removes one of its objects.
SYSV_OBJECTS = {"shm": "shmctl", "sem": "semctl", "msg": "msgctl"}


def mount_points() -> list[str]:
    """Where something is mounted in this sandbox (``/proc/self/mountinfo``)."""
    with open("/proc/self/mountinfo") as handle:
        return [line.split()[4].replace("\\040", " ") for line in handle]


def empty(folder: str, mounts: list[str]) -> None:
    """Remove everything in ``folder`` (owned by this user), however deep or unreadable, except the
    folders that hold the sandbox's own mounts (bubblewrap made them, read-only for this user)."""
    try:
        entries = [entry.path for entry in os.scandir(folder)]
    except FileNotFoundError:
        return
    entries = [path for path in entries if not any(m == path or m.startswith(path + "/") for m in mounts)]
    if not entries:
        return
    folders = [path for path in entries if os.path.isdir(path) and not os.path.islink(path)]
    if folders:  # a folder left without permissions cannot be emptied before it is opened up
        subprocess.run(["chmod", "-R", "u+rwx", "--", *folders], check=False, stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", "--one-file-system", "--", *entries], check=True)


def remove_sysv_ipc() -> None:
    """Remove the System V shared memory, semaphores and message queues left in this IPC namespace."""
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, function in SYSV_OBJECTS.items():
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                ids = [int(line.split()[1]) for line in table.read().splitlines()[1:] if line.split()]
        except OSError:
            continue
        for ident in ids:
            args = (ident, 0, IPC_RMID) if function == "semctl" else (ident, IPC_RMID, None)
            if getattr(libc, function)(*args) != 0:
                raise OSError(ctypes.get_errno(), f"{function}({ident}, IPC_RMID)")


def reseed() -> None:
    """The random generators as a fresh interpreter has them: Python's, NumPy's and PyTorch's seeded
    from the system's entropy (each forked worker would otherwise draw the zygote's numbers)."""
    import torch

    random.seed()
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    torch.seed()


def become_worker(descriptors: list[int], uid: int | None, nproc: int | None, home: str, package_root: str) -> None:
    """In the forked child: take its own pipes, drop privileges, start from a clean scratch, serve."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    request_fd, reply_fd, output_fd = descriptors
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.close(output_fd)
    privileges.drop(uid, nproc)
    mounts = mount_points()
    for folder in (home, *SHARED_FOLDERS):
        empty(folder, mounts)
    remove_sysv_ipc()
    os.chdir(home)
    reseed()
    server.serve(request_fd, reply_fd, package_root)


def main() -> None:
    """Entry point: ``zygote.py READ_FD WRITE_FD PACKAGE_ROOT CONTROL_FD``."""
    request_fd, reply_fd, package_root, control_fd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    uid, nproc = privileges.take_from_environment()
    server.prepare()
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
    control = socket.socket(fileno=control_fd)
    home = os.getcwd()
    write_frame(reply_fd, {"ready": True, "pid": os.getpid()})
    while True:
        try:
            request = read_frame(request_fd)
        except EOFError:
            return
        if request.get("op") != "fork":
            write_frame(reply_fd, {"id": request.get("id"), "ok": False, "error": "unknown request"})
            continue
        _, descriptors, _, _ = socket.recv_fds(control, 16, 3)
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                os.close(request_fd)
                os.close(reply_fd)
                control.close()
                become_worker(descriptors, uid, nproc, home, package_root)
                status = 0
            finally:
                os._exit(status)
        for fd in descriptors:
            os.close(fd)
        write_frame(reply_fd, {"id": request.get("id"), "ok": True, "pid": pid})
