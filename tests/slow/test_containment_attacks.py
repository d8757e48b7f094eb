"""Attacks on what surrounds the worker: the system-call filter call by call, symbolic links that
point a submission at the reference solutions or at a secret file, and student ids made to be
interpreted by a terminal or a spreadsheet. (The attacks graded through the CLI one by one are in
``test_sandbox.py``.)"""

from __future__ import annotations

import csv
import ctypes
import errno
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.worker.sandbox import syscalls
from autograder.worker.sandbox.system import libc

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "datasets"
NAMESPACES = 0x00020000 | 0x40000000 | 0x08000000 | 0x04000000  # mount, network, IPC, UTS
CLONE_NEWUSER, CLONE_FS, TIOCSTI = 0x10000000, 0x00000200, 0x5412
MISSING = b"/nonexistent-cnnkit-filter-test"
#: call -> arguments that, without the filter, fail harmlessly (or succeed harmlessly) for root in
#: namespaces of its own, and never with EPERM where the kernel allows the call at all.
PROBES: dict[str, tuple] = {
    "ptrace": (0x4206, 2**31 - 2, 0, 0),  # PTRACE_SEIZE of no process: ESRCH
    "process_vm_readv": ("self", 0, 0, 0, 0, 0),
    "pidfd_getfd": (-1, 0, 0),
    "mount": (0, MISSING, 0, 0, 0),
    "umount2": (MISSING, 0),
    "pivot_root": (MISSING, MISSING),
    "chroot": (MISSING,),
    "move_mount": (-1, b"", -1, b"", 0),
    "open_tree": (-1, MISSING, 0),
    "fsopen": (0, 0),
    "fsconfig": (-1, 0, 0, 0, 0),
    "fsmount": (-1, 0, 0),
    "fspick": (-1, MISSING, 0),
    "mount_setattr": (-1, MISSING, 0, 0, 0),
    "unshare": (0,),
    "setns": (-1, 0),
    "keyctl": (0, -3, 0),  # KEYCTL_GET_KEYRING_ID of the session keyring
    "add_key": (0, 0, 0, 0, -2),
    "request_key": (0, 0, 0, 0),
    "bpf": (9999, 0, 0),
    "perf_event_open": (0, 0, -1, -1, 0),
    "userfaultfd": (0xFFFF,),
    "io_uring_setup": (0, 0),
    "io_uring_enter": (-1, 0, 0, 0, 0, 0),
    "io_uring_register": (-1, 0, 0, 0),
    "init_module": (0, 0, 0),
    "finit_module": (-1, b"", 0),
    "delete_module": (0, 0),
    "kexec_load": (0, 0, 0, 0xFFFF0000),  # invalid flags
    "kexec_file_load": (-1, -1, 0, 0, 0xFFFF0000),
    "reboot": (0, 0, 0, 0),  # no magic: EINVAL
    "swapon": (0, 0),
    "swapoff": (0,),
    "acct": (1,),  # a bad address: EFAULT
    "syslog": (10, 0, 0),  # SYSLOG_ACTION_SIZE_BUFFER
    "quotactl": (0, 0, 0, 0),
    "iopl": (99,),
    "ioperm": (0, 0, 0),
    "open_by_handle_at": (-1, 0, 0),
    "name_to_handle_at": (-1, 0, 0, 0, 0),
    "mq_open": (b"cnnkit-no-such-queue", 0, 0, 0),  # ENOENT
    "mq_unlink": (b"cnnkit-no-such-queue",),
    "mq_timedsend": (-1, 0, 0, 0, 0),  # EBADF
    "mq_timedreceive": (-1, 0, 0, 0, 0),
    "mq_notify": (-1, 0),
    "mq_getsetattr": (-1, 0, 0),
    "clone": (CLONE_NEWUSER | CLONE_FS, 0, 0, 0, 0),  # an invalid combination: EINVAL
    "clone3": (0, 0),
    "ioctl": (-1, TIOCSTI, 0),
}
SOCKETS = {
    "socket(AF_PACKET)": (17, socket.SOCK_RAW, 0),
    "socket(AF_INET, SOCK_RAW)": (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    "socket(AF_INET6, SOCK_RAW)": (socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
    "socket(99)": (99, socket.SOCK_STREAM, 0),
}


def _call(name: str, args: tuple) -> str:
    import pyseccomp

    lib = ctypes.CDLL(None, use_errno=True)
    number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)
    values = [
        ctypes.c_long(os.getpid()) if a == "self" else ctypes.c_char_p(a) if isinstance(a, bytes) else ctypes.c_long(a)
        for a in args
    ]
    ctypes.set_errno(0)
    if lib.syscall(ctypes.c_long(number), *values) < 0:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return "ok"


def _socket(args: tuple) -> str:
    try:
        socket.socket(*args).close()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))


def _probe_all() -> dict[str, str]:
    results = {name: _call(name, args) for name, args in PROBES.items()}
    results.update({name: _socket(args) for name, args in SOCKETS.items()})
    return results


@pytest.mark.skipif(os.geteuid() != 0, reason="the unfiltered calls are compared as root")
def test_the_filter_denies_each_call_that_works_without_it():
    """For each denied call: what it gives root without the filter (in namespaces of its own, with
    arguments that cannot change the machine), and what it gives with the filter loaded: EPERM
    (clone3: ENOSYS) where it was something else before. Architecture: x86_64 syscall numbers come
    from libseccomp."""
    load = syscalls.loader(syscalls.program())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read)
            assert libc().unshare(NAMESPACES) == 0
            before = _probe_all()
            load()
            after = _probe_all()
            os.write(write, json.dumps({"before": before, "after": after}).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as handle:
        data = json.loads(handle.read() or "{}")
    os.waitpid(pid, 0)
    assert data, "the probing child failed"
    expected = {name: ("ENOSYS" if name == "clone3" else "EPERM") for name in data["after"]}
    assert data["after"] == expected
    undistinguished = sorted(name for name in expected if data["before"][name] == expected[name])
    # only where this kernel forbids the call to root as well (kexec disabled, io_uring disabled)
    assert set(undistinguished) <= {"kexec_load", "kexec_file_load", "io_uring_setup", "iopl", "ioperm"}, data


def test_pytorch_trains_under_the_filter():
    """The filter denies nothing PyTorch needs on a CPU: threads, a forward and backward pass, an
    optimizer step, in a process with the filter loaded (as every worker has it). The whole
    reference grading with training runs under it in ``test_training.py``."""
    code = (
        "import sys; sys.path[:0] = sys.argv[1:]\n"
        "from autograder.worker.sandbox import syscalls\n"
        "syscalls.loader(syscalls.program())()\n"
        "import torch\n"
        "torch.set_num_threads(2)\n"
        "net = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.Flatten(),"
        " torch.nn.Linear(6 * 28 * 28, 10))\n"
        "opt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
        "x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))\n"
        "for _ in range(3):\n"
        "    opt.zero_grad(); loss = torch.nn.functional.cross_entropy(net(x), y); loss.backward(); opt.step()\n"
        "print('seccomp', open('/proc/self/status').read().split('Seccomp:')[1].split()[0], 'loss', float(loss))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("seccomp 2 loss ")


# --------------------------------------------------------------------------- links and ids


def grader(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if (SHARED_DATA / "FashionMNIST").is_dir():
        env["CNN_KIT_DATA"] = str(SHARED_DATA)
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def linked(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("links")
    (base / "repo").mkdir()
    (base / "repo" / "exercises").symlink_to(ROOT / "solutions")
    (base / "modules").mkdir()
    for module in (ROOT / "solutions").glob("*.py"):
        shutil.copyfile(module, base / "modules" / module.name)
    (base / "modules" / "corr2d.py").unlink()
    (base / "modules" / "corr2d.py").symlink_to(ROOT / "solutions" / "corr2d.py")
    (base / "secret.txt").write_text("def corr2d(X, K):\n    return 'INSTRUCTOR-SECRET'\n")
    shutil.copytree(base / "modules", base / "secret", symlinks=True)
    (base / "secret" / "corr2d.py").unlink()
    (base / "secret" / "corr2d.py").symlink_to(base / "secret.txt")
    return base


def test_a_repository_whose_exercises_link_to_the_solutions_is_refused(linked):
    done = grader("grade", str(linked / "repo"), "--only", "corr2d")
    assert done.returncode == 2 and "is a symbolic link" in done.stderr and "14/14" not in done.stdout


@pytest.mark.parametrize("case", ["modules", "secret"])
def test_a_linked_module_scores_nothing_and_shows_nothing(linked, case, tmp_path):
    out = tmp_path / "report.json"
    done = grader("grade", str(linked / case), "--only", "corr2d", "--json", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["complete"] and report["exercises"][0]["score"] == 0
    assert all(c["reason"] == "import_error" for c in report["exercises"][0]["checks"])
    assert "symbolic link" in report["exercises"][0]["checks"][0]["message"]
    assert "INSTRUCTOR-SECRET" not in out.read_text() + done.stdout


def test_batch_student_ids_and_links_are_inert(linked, tmp_path):
    """A class with a student whose id is a spreadsheet formula, one whose id is an escape sequence,
    and one whose folder is a link to the solutions: every row is written, the formula is not a
    formula, no escape reaches the terminal, and the link scores nothing."""
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    stub = ROOT / "exercises" / "corr2d.py"
    for sid in ('=HYPERLINK("example.invalid","claim")', "\x1b[2Jmallory"):
        (submissions / sid).mkdir()
        shutil.copyfile(stub, submissions / sid / "corr2d.py")
    (submissions / "linked").symlink_to(ROOT / "solutions")
    out = tmp_path / "results"
    done = grader("grade-all", str(submissions), "--out", str(out), "--only", "corr2d")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "\x1b" not in done.stdout + done.stderr
    rows = {row["student_id"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert set(rows) == {'\'=HYPERLINK("example.invalid","claim")', "\\x1b[2Jmallory", "linked"}
    assert rows["linked"]["total"] == "0" and "symbolic link" in rows["linked"]["status"]
    feedback = (out / "linked" / "feedback.md").read_text()
    assert "symbolic link" in feedback
