"""How a worker is isolated: bubblewrap, an unprivileged user, resource limits, and the reaping of
processes that try to outlive their worker.

Layers, outermost first (see ``docs/sandbox.md``):

1. **bubblewrap** (``bwrap``), used automatically when it is installed and works (probed once per
   process): own mount, PID, network, IPC, UTS (and cgroup) namespaces; a read-only view of
   ``/usr``, the libraries, a few ``/etc`` files, the Python installation and the site-packages the
   worker needs; the worker's ``runtime/`` and ``pkg/`` read-only, its ``home/`` read-write, a
   private ``/tmp``; the Fashion-MNIST *training* files only; ``--die-with-parent``,
   ``--new-session``. Nothing else of the machine (the repository, ``solutions/``, ``tests/``, the
   grader, the instructor's home) exists inside.
   A grader running as root starts bwrap without a user namespace and the worker drops to uid/gid
   65534 itself before any student code runs (``CNN_KIT_UID``, see ``client.BOOT``): a user
   namespace would map the worker to root outside, where the kernel never enforces
   ``RLIMIT_NPROC``. A grader running as another user gets ``--unshare-all --uid 65534``.
2. **An unprivileged user** without bubblewrap: a root grader drops the worker to ``nobody`` in
   ``preexec`` (``setgroups([])``, ``setgid``, ``setuid``, ``no_new_privs``) and gives it its own
   network, IPC and UTS namespaces. Where the Python installation is not readable by ``nobody``
   (e.g. under ``/root``), the worker keeps one capability, ``CAP_DAC_READ_SEARCH`` (read any file,
   write none), and the report header says so.
3. **Resource limits** always (``client.resource_limits``): data memory, CPU seconds, file size,
   open files, no core files; ``RLIMIT_NPROC`` wherever the worker is unprivileged.
4. **Reaping**: the grader is a child subreaper, so a worker's descendants that escape its process
   group (``setsid``, double fork) are re-parented to the grader instead of init; after each worker
   is killed they are found (by a hard resource limit that only worker processes carry and that they
   can lower but never raise) and killed. Inside bubblewrap the PID namespace already does this.
"""
from __future__ import annotations

import ctypes
import errno
import functools
import glob
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:  # pragma: no cover
    from .client import WorkerConfig, WorkerSpace

#: The unprivileged user and group a worker runs as (``nobody``/``nogroup`` on Debian).
UNPRIVILEGED = 65534
#: Hard ``RLIMIT_RTTIME`` (microseconds) that tags every worker process. It only matters for
#: real-time scheduling, which a worker cannot get; a process can lower it but never raise it.
RTTIME_MARK = 7_777_777
#: Top-level system folders made visible read-only (symbolic links are recreated as links).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: The few files of /etc the dynamic linker and the C library want.
ETC_PATHS = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
             "/etc/localtime", "/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf")
#: Packages of this project masked (by an empty folder) if they are installed in a site directory.
HIDDEN_PACKAGES = ("solutions", "autograder", "tests", "exercises", "cnnkit")
#: Where Debian's dataset-fashion-mnist puts the files (inside /usr, so it is masked).
DEBIAN_DATA_DIR = "/usr/share/datasets/fashion-mnist"
#: The Fashion-MNIST files the worker may see, and those it must not (the test split).
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

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

Launch = tuple[list[str], "Callable[[], None] | None", Callable[[], None]]


@dataclass(frozen=True)
class Plan:
    """What isolation a worker started with a given configuration gets (decided once per process)."""

    bwrap: str | None = None      # bubblewrap is used (its path)
    userns: bool = False          # bubblewrap with a user namespace (grader not root)
    drop: bool = False            # the worker runs as UNPRIVILEGED
    read_all: bool = False        # without bubblewrap: keeps CAP_DAC_READ_SEARCH (Python not readable)
    netns: bool = False           # without bubblewrap: own network/IPC/UTS namespaces
    nproc: bool = False           # RLIMIT_NPROC is set and enforced by the kernel
    custom: bool = False          # a custom launcher from WorkerConfig.launcher
    unreadable: str = ""          # with read_all: a path the worker needs that nobody cannot read
    why_not: str = ""             # why bubblewrap is not used


# ----------------------------------------------------------------------------- helpers

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def python_executable() -> str:
    """The real interpreter binary (a virtual environment's ``bin/python`` is only a link)."""
    return os.path.realpath(sys.executable)


def python_paths() -> list[str]:
    """Folders the worker's interpreter reads: the installation and the site directories."""
    from .client import site_directories

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


def _system_binds() -> list[str]:
    args: list[str] = []
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC_PATHS:
        if os.path.lexists(path):
            args += ["--ro-bind", path, path]
    return args


def _namespace_args(userns: bool) -> list[str]:
    if userns:
        return ["--unshare-all", "--uid", str(UNPRIVILEGED), "--gid", str(UNPRIVILEGED),
                "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    # root: no user namespace (it would map the worker to root outside); the worker drops to
    # UNPRIVILEGED itself, for which it keeps exactly CAP_SETUID and CAP_SETGID until then.
    return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]


class _Mounts(list):
    """bwrap arguments; the folders above a mount point are created first with mode 0755 (bwrap
    would copy the modes of the source's parents, e.g. /root's 0700, and lock the worker out)."""

    def __init__(self, args=()):
        super().__init__(args)
        self.made = {"/", "/tmp"}
        self.mounted = {"/proc", "/dev", *SYSTEM_PATHS}  # what lies below these exists already

    def parents(self, target: str) -> None:
        parts = Path(target).parts
        for i in range(2, len(parts)):
            folder = os.path.join(*parts[:i])
            if folder in self.mounted or any(folder.startswith(m + os.sep) for m in self.mounted):
                return
            if folder not in self.made:
                self.made.add(folder)
                self += ["--perms", "0755", "--dir", folder]

    def bind(self, source: str, target: str, writable: bool = False) -> None:
        self.parents(target)
        self += ["--bind" if writable else "--ro-bind", source, target]
        self.mounted.add(target)


def _base_args(userns: bool, tmp_bytes: int = 64 << 20) -> _Mounts:
    args = _Mounts(_namespace_args(userns))
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    args += _system_binds()
    for path in python_paths():
        if not any(path == top or path.startswith(top + os.sep) for top in SYSTEM_PATHS if os.path.isdir(top)):
            args.bind(path, path)
    return args


# ----------------------------------------------------------------------------- probing


@functools.lru_cache(maxsize=None)
def bubblewrap_problem(userns: bool) -> str | None:
    """Run a trivial Python inside the sandbox once; ``None`` if it works, else why not."""
    path = shutil.which("bwrap")
    if path is None:
        return "bwrap is not installed"
    command = [path, *_base_args(userns), "--remount-ro", "/", "--", python_executable(), "-I", "-S", "-c",
               "print('ok')"]
    try:
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
                              start_new_session=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap does not start ({type(exc).__name__}: {exc})"
    if done.returncode != 0 or done.stdout.strip() != b"ok":
        message = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        return f"bwrap does not work here ({message[:200]})"
    return None


@functools.lru_cache(maxsize=None)
def _own_network_works() -> bool:
    """Whether a root grader can give a worker its own network/IPC/UTS namespaces."""
    code = (f"import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare({CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS}) != 0)")
    try:
        return subprocess.run([python_executable(), "-I", "-S", "-c", code], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=None)
def _plan(mode: str, custom: bool, euid: int) -> Plan:
    if custom:
        return Plan(custom=True, why_not="a custom launcher is configured")
    root = euid == 0
    why_not = "disabled (--no-sandbox)" if mode == "off" else None
    if why_not is None:
        why_not = bubblewrap_problem(userns=not root)
        if why_not is None:
            # root: the worker drops to UNPRIVILEGED inside, a real unprivileged user: NPROC holds.
            # other users: UNPRIVILEGED in a user namespace maps to that user, where NPROC holds too.
            return Plan(bwrap=shutil.which("bwrap"), userns=not root, drop=root, nproc=True)
    if not root:
        return Plan(why_not=why_not)
    needed = [python_executable(), *python_paths(), tempfile.gettempdir()]
    unreadable = [p for p in needed if not readable_by(p, UNPRIVILEGED, UNPRIVILEGED, execute=(p == needed[0]))]
    return Plan(drop=True, read_all=bool(unreadable), unreadable=unreadable[0] if unreadable else "",
                netns=_own_network_works(), nproc=True, why_not=why_not)


def plan(config: "WorkerConfig") -> Plan:
    """The isolation workers started with ``config`` get."""
    mode = "off" if config.sandbox in (False, "off", "no", "none") else "auto"
    return _plan(mode, config.launcher is not None, os.geteuid())


# ----------------------------------------------------------------------------- launching


def _make_usable(space: "WorkerSpace", plan_: Plan) -> None:
    """Let an UNPRIVILEGED worker read its runtime and package and own its home."""
    for top in (space.runtime, space.package_parent):
        for folder, dirs, files in os.walk(top):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
    os.chown(space.home, UNPRIVILEGED, UNPRIVILEGED)
    os.chmod(space.home, 0o711)  # bwrap (root without CAP_DAC_OVERRIDE) must enter it
    if plan_.bwrap is None:
        # without bubblewrap the worker walks the real path: open the folders between the system
        # temporary folder and its scratch space for traversal (not for listing)
        temp = os.path.realpath(tempfile.gettempdir())
        folder = os.path.realpath(space.root)
        while folder.startswith(temp + os.sep):
            mode = os.stat(folder).st_mode
            if not mode & stat.S_IXOTH:
                os.chmod(folder, stat.S_IMODE(mode) | stat.S_IXOTH)
            folder = os.path.dirname(folder)


def find_data_folder(root: str | None) -> str | None:
    """The Fashion-MNIST folder the parent would hand to the training probe (None: no data)."""
    try:
        from cnnkit.data import find_fashion_mnist

        return str(find_fashion_mnist(root, download=False))
    except Exception:  # no data here: nothing to show the worker
        return None


def _data_binds(args: _Mounts, folder: str | None, staging: Path) -> None:
    """Show the worker the training files only: the test files are empty placeholders.

    A staging folder holding one empty file per name is mounted over the data folder, then each
    real training file over its placeholder, so ``find_fashion_mnist`` in the worker still finds
    all four names, reads the training split and fails its checksum on the test split.
    """
    if os.path.isdir(DEBIAN_DATA_DIR):  # visible through /usr otherwise
        args.bind(str(staging / "empty"), DEBIAN_DATA_DIR)
    if folder is None:
        return
    data = staging / "data"
    data.mkdir()
    files: list[tuple[str, str]] = []
    for name in TRAIN_FILES:
        for candidate in (f"{name}.gz", name):
            if os.path.isfile(os.path.join(folder, candidate)):
                (data / candidate).touch(0o644)
                files.append((candidate, os.path.join(folder, candidate)))
                break
    for name in TEST_FILES:
        (data / f"{name}.gz").touch(0o644)
    os.chmod(data, 0o755)
    for target in dict.fromkeys((folder, os.path.realpath(folder))):
        args.bind(str(data), target)
        for candidate, source in files:
            args += ["--ro-bind", source, os.path.join(target, candidate)]


def _gpu_binds(args: _Mounts) -> None:
    """The NVIDIA device files, and /sys read-only (the driver looks up the PCI topology there)."""
    for device in sorted(glob.glob("/dev/nvidia*")):
        args += ["--dev-bind", device, device]
    if os.path.isdir("/sys"):
        args += ["--ro-bind", "/sys", "/sys"]


def _bwrap_command(plan_: Plan, config: "WorkerConfig", command: list[str], space: "WorkerSpace") -> list[str]:
    staging = space.root / "sandbox"
    staging.mkdir()
    (staging / "passwd").write_text(f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
                                    f"nobody:x:{UNPRIVILEGED}:{UNPRIVILEGED}:nobody:/nonexistent:/usr/sbin/nologin\n")
    (staging / "group").write_text(f"root:x:0:\nnogroup:x:{UNPRIVILEGED}:\n")
    empty = staging / "empty"
    empty.mkdir()
    for path in (staging, empty):
        os.chmod(path, 0o755)
    args = _base_args(plan_.userns, config.tmp_bytes)
    args.insert(0, plan_.bwrap or "bwrap")
    args += ["--ro-bind", str(staging / "passwd"), "/etc/passwd", "--ro-bind", str(staging / "group"), "/etc/group"]
    for site in python_paths()[1:]:
        for name in HIDDEN_PACKAGES:
            if os.path.isdir(os.path.join(site, name)):
                args += ["--ro-bind", str(empty), os.path.join(site, name)]
    args.bind(str(space.runtime), str(space.runtime))
    args.bind(str(space.package_parent), str(space.package_parent))
    args.bind(str(space.home), str(space.home), writable=True)
    _data_binds(args, find_data_folder(config.data_dir), staging)
    if config.gpu:
        _gpu_binds(args)
    if plan_.drop:
        args += ["--setenv", "CNN_KIT_UID", str(UNPRIVILEGED)]
    if plan_.nproc:
        args += ["--setenv", "CNN_KIT_NPROC", str(config.processes)]
    args += ["--remount-ro", "/", "--chdir", str(space.home), "--", python_executable(), *command[1:]]
    return list(args)


def resource_preexec(config: "WorkerConfig", plan_: Plan) -> Callable[[], None]:
    """The ``preexec_fn`` of a worker: resource limits, and without bubblewrap the privilege drop."""
    limits = [(resource.RLIMIT_DATA, config.memory_bytes), (resource.RLIMIT_CPU, config.cpu_seconds),
              (resource.RLIMIT_FSIZE, config.file_bytes), (resource.RLIMIT_NOFILE, config.open_files),
              (resource.RLIMIT_CORE, 0), (resource.RLIMIT_RTTIME, RTTIME_MARK)]
    unprivileged = plan_.bwrap is None and plan_.drop
    flags = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    lib = libc() if unprivileged else None
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    caps = (ctypes.c_uint32 * 6)(*([1 << CAP_DAC_READ_SEARCH] * 3), 0, 0, 0)  # eff, perm, inh (x2 words)

    def apply() -> None:
        for which, value in limits:
            resource.setrlimit(which, (value, value))
        if not unprivileged:
            return
        if plan_.netns:
            _check(lib.unshare(flags), "unshare")
        if plan_.read_all:
            _check(lib.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(KEEPCAPS)")
        os.setgroups([])
        os.setresgid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
        os.setresuid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
        if plan_.read_all:  # keep only the right to read, as an ambient capability that survives exec
            _check(lib.capset(header, caps), "capset")
            _check(lib.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH, 0, 0), "ambient")
            _check(lib.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(KEEPCAPS)")
        _check(lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        # as bwrap's --die-with-parent (after the uid change, which clears it)
        _check(lib.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
        resource.setrlimit(resource.RLIMIT_NPROC, (config.processes, config.processes))

    return apply


def launch(config: "WorkerConfig", command: list[str], space: "WorkerSpace") -> Launch:
    """Wrap ``command`` for ``space``: (command, cleanup, preexec_fn)."""
    plan_ = plan(config)
    cleanup = None
    if plan_.custom:
        command, cleanup = config.launcher(command, space)
    elif plan_.bwrap is not None:
        if plan_.drop:
            _make_usable(space, plan_)
        command = _bwrap_command(plan_, config, command, space)
    elif plan_.drop:
        _make_usable(space, plan_)
    return command, cleanup, resource_preexec(config, plan_)


# ----------------------------------------------------------------------------- the report header


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):g} {unit}"
    return f"{n} B"


def describe_isolation(config: "WorkerConfig") -> str:
    """One line for the report header: the protections a worker has and, plainly, those it lacks."""
    p = plan(config)
    limits = (f"{_size(config.memory_bytes)}, {config.call_timeout:g} s per call, "
              f"{config.cpu_seconds} s CPU per worker")
    if p.custom:
        return f"custom launcher (isolation not checked); {limits}"
    if p.bwrap is not None:
        uid = f"uid {UNPRIVILEGED} in a user namespace" if p.userns else f"uid {UNPRIVILEGED}"
        who = f"unprivileged ({uid}, no capabilities, at most {config.processes} processes)"
        return f"bubblewrap, no network, read-only filesystem except a private scratch directory, {who}; {limits}"
    if not p.drop:
        return (f"no bubblewrap ({p.why_not}): filesystem and network NOT isolated, runs as the grader's "
                f"own user; {limits}")
    network = "no network (own network namespace)" if p.netns else "network NOT isolated"
    reads = f", but may read every file: nobody cannot read {p.unreadable}" if p.read_all else ""
    return (f"no bubblewrap ({p.why_not}): filesystem NOT isolated (the worker can read the reference "
            f"solutions); {network}; unprivileged (user nobody, at most {config.processes} processes{reads}); "
            f"{limits}")


# ----------------------------------------------------------------------------- reaping

#: Held while a worker is being started and while escaped processes are hunted, so that a worker
#: that is starting is never taken for an escaped one.
LOCK = threading.RLock()
_live: set[int] = set()
_subreaper: bool | None = None


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux); once per process."""
    global _subreaper
    if _subreaper is None:
        try:
            _subreaper = libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except (OSError, AttributeError):
            _subreaper = False
    return _subreaper


def register(pid: int) -> None:
    _live.add(pid)


def forget(pid: int) -> None:
    _live.discard(pid)


def _children(pid: int | str = "self") -> list[int] | None:
    """A process's children from /proc/PID/task/*/children (None where the kernel lacks the file
    or the process is gone)."""
    children: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                children += [int(child) for child in handle.read().split()]
    except (OSError, ValueError):
        return None
    return children


def _process_table() -> dict[int, int]:
    """pid -> parent pid of every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                table[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    return table


def is_worker_process(pid: int) -> bool:
    """Whether ``pid`` carries the workers' tag: hard RLIMIT_RTTIME <= RTTIME_MARK and no core files."""
    try:
        with open(f"/proc/{pid}/limits") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return False

    def hard(prefix: str) -> float:
        for line in lines:
            if line.startswith(prefix):
                value = line[len(prefix):].split()[1]
                return float("inf") if value == "unlimited" else float(value)
        return float("inf")

    return hard("Max realtime timeout") <= RTTIME_MARK and hard("Max core file size") == 0


def kill_descendants(root: int) -> int:
    """SIGKILL every descendant of ``root``, whatever its session or process group, and leave
    ``root`` alone. Each is stopped as soon as it is found, so none can start another while the
    tree is walked. Linux only; returns how many were killed."""
    if not sys.platform.startswith("linux"):
        return 0
    stopped: set[int] = set()
    with LOCK:
        while True:
            new = set(_tree([root], lambda pid: _children(pid) or ())[1:]) - stopped
            if not new:
                break
            for pid in new:
                _signal(pid, signal.SIGSTOP)
            stopped |= new
        for pid in stopped:
            _signal(pid, signal.SIGKILL)
    return len(stopped)


def _tree(roots: list[int], children_of: Callable[[int], Iterable[int]]) -> list[int]:
    """``roots`` and all their descendants (a single root comes first)."""
    found, stack = [], list(roots)
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children_of(pid))
    return found


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except OSError:
        pass  # gone already


def reap_escapees(rounds: int = 100) -> int:
    """Kill and reap every worker process re-parented to this grader (a descendant that escaped
    its worker's process group); repeat until none is left. Returns how many were killed."""
    if not sys.platform.startswith("linux"):
        return 0
    killed = 0
    me = os.getpid()
    with LOCK:
        for _ in range(rounds):
            children_now = _children()
            if children_now is not None and not any(
                    pid not in _live and is_worker_process(pid) for pid in children_now):
                break  # the cheap look: no adopted worker process (the usual case)
            table = _process_table()
            roots = [pid for pid, parent in table.items()
                     if parent == me and pid not in _live and is_worker_process(pid)]
            if not roots:
                break
            children: dict[int, list[int]] = {}
            for pid, parent in table.items():
                children.setdefault(parent, []).append(pid)
            victims = _tree(roots, lambda pid: children.get(pid, ()))
            for pid in victims:
                _signal(pid, signal.SIGKILL)
            for pid in roots:
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
                except OSError as exc:
                    if exc.errno != errno.EINTR:
                        raise
            killed += len(victims)
    return killed
