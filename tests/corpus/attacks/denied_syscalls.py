"""Tries, inside corr2d, one system call of each family the filter denies, with arguments an
unprivileged process could use without the filter (or that would fail differently without it).

Expect: every one fails with EPERM (clone3: ENOSYS); the message lists what each returned."""
import ctypes
import errno
import socket

MARKER = "__MARKER__"
libc = ctypes.CDLL(None, use_errno=True)
# x86_64 numbers
CALLS = {
    "ptrace(TRACEME)": (101, 0, 0, 0, 0),
    "process_vm_readv": (310, 1, 0, 0, 0, 0, 0),
    "unshare(CLONE_NEWUSER)": (272, 0x10000000),
    "setns": (308, -1, 0),
    "mount": (165, 0, 0, 0, 0, 0),
    "pivot_root": (155, 0, 0),
    "keyctl(GET_KEYRING_ID)": (250, 0, -3, 0),
    "add_key": (248, 0, 0, 0, 0, -2),
    "bpf": (321, 9999, 0, 0),
    "perf_event_open": (298, 0, 0, -1, -1, 0),
    "userfaultfd": (323, 0xFFFF),
    "io_uring_setup": (425, 0, 0),
    "kexec_load": (246, 0, 0, 0, 0xFFFFFFFF),
    "init_module": (175, 0, 0, 0),
    "swapon": (167, 0, 0),
    "clone3": (435, 0, 0),
}


def attempt(numbers):
    ctypes.set_errno(0)
    result = libc.syscall(*[ctypes.c_long(n) for n in numbers])
    return "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))


def sockets():
    out = {}
    for name, args in {"AF_PACKET": (17, socket.SOCK_RAW, 0), "raw AF_INET": (2, socket.SOCK_RAW, 1),
                       "AF_VSOCK": (40, socket.SOCK_STREAM, 0), "AF_ALG": (38, socket.SOCK_SEQPACKET, 0)}.items():
        try:
            socket.socket(*args).close()
            out[name] = "ok"
        except OSError as exc:
            out[name] = errno.errorcode.get(exc.errno, str(exc.errno))
    return out


def corr2d(X, K):
    results = {name: attempt(numbers) for name, numbers in CALLS.items()}
    results.update(sockets())
    allowed = [name for name, got in results.items() if got != ("ENOSYS" if name == "clone3" else "EPERM")]
    if allowed:
        print(f"ESCAPED: not denied: {allowed}")
    raise NotImplementedError(f"system calls: {results}")
