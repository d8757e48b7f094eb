"""The system-call filter: seccomp BPF, built by libseccomp (through ``pyseccomp``), that denies what
a grading worker never needs. bubblewrap loads it (``--seccomp FD``) right before it starts the
worker; without bubblewrap the worker's ``preexec_fn`` loads it. Denied calls fail with ``EPERM``
(``clone3`` with ``ENOSYS``, so the C library falls back to ``clone``, whose namespace flags are
checked); calls of another architecture's ABI kill the process (libseccomp's default).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import socket
import tempfile

from .system import PR_SET_NO_NEW_PRIVS, check, libc

#: family -> the system calls denied outright.
DENIED: dict[str, tuple[str, ...]] = {
    "tracing and reading other processes": ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd"),
    "mounting and changing the root": (
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "move_mount",
        "open_tree",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
    ),
    "new or other namespaces": ("unshare", "setns"),
    "kernel keyrings": ("keyctl", "add_key", "request_key"),
    "BPF and performance counters": ("bpf", "perf_event_open"),
    "userfaultfd": ("userfaultfd",),
    "io_uring": ("io_uring_setup", "io_uring_enter", "io_uring_register"),
    "kernel modules and kexec": (
        "init_module",
        "finit_module",
        "delete_module",
        "kexec_load",
        "kexec_file_load",
    ),
    "the machine's administration": ("reboot", "swapon", "swapoff", "acct", "syslog", "quotactl", "iopl", "ioperm"),
    "file handles": ("open_by_handle_at", "name_to_handle_at"),
    # they outlive their worker in its IPC namespace, which the workers a zygote forks share
    "POSIX message queues": ("mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr"),
}
#: The socket families a worker may open; raw sockets of these are denied too.
ALLOWED_FAMILIES = (socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK)
#: Families tried above the kernel's highest (AF_MAX is 46 on Linux 6.x): all denied.
FAMILY_LIMIT = 64
#: ``clone``/``unshare`` flags that make namespaces (sched.h).
NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
    "CLONE_NEWTIME": 0x00000080,
}
#: Terminal ioctls that type into or reprogram a terminal (asm-generic/ioctls.h).
TIOCSTI, TIOCLINUX = 0x5412, 0x541C
SOCK_TYPE_MASK, SOCK_PACKET = 0xF, 10
# prctl / seccomp (linux/prctl.h, linux/seccomp.h)
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


def _build():
    import pyseccomp as seccomp

    deny = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for names in DENIED.values():
        for name in names:
            if seccomp.resolve_syscall(seccomp.Arch.NATIVE, name) >= 0:  # e.g. no iopl on arm64
                rules.add_rule(deny, name)
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for flag in NAMESPACE_FLAGS.values():
        rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    for family in range(FAMILY_LIMIT):
        if family not in ALLOWED_FAMILIES:
            rules.add_rule(deny, "socket", seccomp.Arg(0, seccomp.EQ, family))
            rules.add_rule(deny, "socketpair", seccomp.Arg(0, seccomp.EQ, family))
    rules.add_rule(deny, "socket", seccomp.Arg(0, seccomp.GE, FAMILY_LIMIT))
    for family in (socket.AF_INET, socket.AF_INET6):
        for kind in (socket.SOCK_RAW, SOCK_PACKET):
            mask = seccomp.Arg(1, seccomp.MASKED_EQ, SOCK_TYPE_MASK, kind)
            rules.add_rule(deny, "socket", seccomp.Arg(0, seccomp.EQ, family), mask)
    for request in (TIOCSTI, TIOCLINUX):
        rules.add_rule(deny, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, request))
    return rules


def _export(method: str) -> bytes:
    with tempfile.TemporaryFile() as handle:
        getattr(_build(), method)(handle)
        handle.seek(0)
        return handle.read()


@functools.lru_cache(maxsize=1)
def program() -> bytes:
    """The filter as BPF instructions (``struct sock_filter[]``), built once per process."""
    return _export("export_bpf")


def readable_program() -> str:
    """The filter in libseccomp's pseudo-code, for people and tests."""
    return _export("export_pfc").decode()


@functools.lru_cache(maxsize=1)
def filter_problem() -> str | None:
    """Why the filter cannot be built here (None: it can)."""
    try:
        program()
    except (ImportError, RuntimeError, OSError) as exc:  # pyseccomp raises RuntimeError without libseccomp
        return f"libseccomp is not usable ({exc}); install libseccomp2 and the pyseccomp package"
    return None


def program_fd() -> int:
    """A file descriptor from which bubblewrap reads the filter (``--seccomp FD``); the caller closes it."""
    fd = os.memfd_create("cnnkit-seccomp", os.MFD_CLOEXEC)
    os.write(fd, program())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def loader(bpf: bytes):
    """A function that loads ``bpf`` into the calling process (with ``no_new_privs``, which an
    unprivileged process needs for it). Everything is prepared here: it runs in a ``preexec_fn``."""
    buffer = ctypes.create_string_buffer(bpf, len(bpf))
    prog = _Program(len(bpf) // 8, ctypes.addressof(buffer))
    lib = libc()

    def load() -> None:
        check(lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        check(lib.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0), "prctl(SECCOMP)")

    load.keep = (buffer, prog)  # alive as long as the function
    return load
