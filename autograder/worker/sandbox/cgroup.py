"""A cgroup per worker: one memory cap and one process cap for all of a worker's processes together,
enforced by the kernel, and the sign that the memory cap killed one of them.

cgroup v2 where the machine has its ``memory`` and ``pids`` controllers on the unified hierarchy,
otherwise the v1 ``memory`` and ``pids`` hierarchies. A worker's cgroups are made below the
grader's own (as ``/proc/self/cgroup`` and ``/proc/self/mountinfo`` name it, which also holds
inside another sandbox's namespaces), joined by the worker in its ``preexec_fn`` before anything
else runs, and removed when the worker has been killed. Swap is capped at the same total, so the
cap cannot be dodged by swapping.
"""

from __future__ import annotations

import errno
import functools
import itertools
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

#: The names of worker cgroups (``cnnkit-worker-PID-N``) and of the leaf a v2 grader moves itself
#: into (``cnnkit-grader-PID``); PID is the grader's.
WORKER_PREFIX, GRADER_PREFIX = "cnnkit-worker-", "cnnkit-grader-"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Mount:
    """One cgroup mount of ``/proc/self/mountinfo``."""

    root: str  # the hierarchy's folder that is mounted
    point: str  # where it is mounted
    version: int  # 1 or 2
    controllers: frozenset[str]  # v1: the controllers of the hierarchy; v2: empty (read cgroup.controllers)


def parse_mountinfo(text: str) -> list[Mount]:
    """The cgroup mounts of a ``/proc/PID/mountinfo`` text."""
    mounts = []
    for line in text.splitlines():
        fields, _, tail = line.partition(" - ")
        head, after = fields.split(), tail.split()
        if len(head) < 5 or len(after) < 3 or after[0] not in ("cgroup", "cgroup2"):
            continue
        root, point = (field.replace("\\040", " ") for field in head[3:5])
        version = 2 if after[0] == "cgroup2" else 1
        controllers = frozenset() if version == 2 else frozenset(after[2].split(",")) - {"rw", "ro"}
        mounts.append(Mount(root, point, version, controllers))
    return mounts


def parse_own_cgroups(text: str) -> dict[str, str]:
    """controller (``""`` for v2) -> the path of this process's cgroup, from ``/proc/self/cgroup``."""
    own: dict[str, str] = {}
    for line in text.splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            own[controller] = path
    return own


def _folder(mount: Mount, path: str) -> Path | None:
    """Where the cgroup ``path`` lies under ``mount``; None if that mount does not show it."""
    root = mount.root.rstrip("/")
    if not (path == root or path.startswith(root + "/") or root == ""):
        return None
    folder = Path(mount.point + path[len(root) :])
    return folder if folder.is_dir() else None


def _holds_me(folder: Path) -> bool:
    try:
        return str(os.getpid()) in (folder / "cgroup.procs").read_text().split()
    except OSError:
        return False


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except OSError:
        pass  # gone already


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


@dataclass(frozen=True)
class Parents:
    """Where worker cgroups are made: one folder per hierarchy (v2: one; v1: memory, pids)."""

    version: int
    memory: Path
    pids: Path


def _v2_parent(folder: Path) -> Path:
    """The grader's v2 cgroup, its ``memory`` and ``pids`` controllers enabled for children. A cgroup
    with processes cannot hand controllers down, so the grader first moves itself into a leaf (and a
    grader started from there, e.g. by ``grade-all``'s process pool, uses the same parent)."""
    if folder.name.startswith(GRADER_PREFIX):
        folder = folder.parent
    available = (folder / "cgroup.controllers").read_text().split()
    missing = [c for c in ("memory", "pids") if c not in available]
    if missing:
        raise OSError(errno.ENOTSUP, f"the {' and '.join(missing)} controller is not delegated to {folder}")
    if not {"memory", "pids"} <= set((folder / "cgroup.subtree_control").read_text().split()):
        try:
            _write(folder / "cgroup.subtree_control", "+memory +pids")
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            leaf = folder / f"{GRADER_PREFIX}{os.getpid()}"
            leaf.mkdir(exist_ok=True)
            _write(leaf / "cgroup.procs", str(os.getpid()))
            _write(folder / "cgroup.subtree_control", "+memory +pids")
    return folder


@functools.lru_cache(maxsize=1)
def parents() -> Parents:
    """Where this grader makes worker cgroups; ``OSError`` saying why where it cannot."""
    with open("/proc/self/mountinfo") as handle:
        mounts = parse_mountinfo(handle.read())
    with open("/proc/self/cgroup") as handle:
        own = parse_own_cgroups(handle.read())
    v1 = {}
    for controller in ("memory", "pids"):
        for mount in mounts:
            if mount.version == 1 and controller in mount.controllers and controller in own:
                folder = _folder(mount, own[controller])
                if folder is not None and _holds_me(folder):
                    v1[controller] = folder
    if len(v1) == 2:
        return Parents(1, v1["memory"], v1["pids"])
    for mount in mounts:
        if mount.version == 2 and "" in own:
            folder = _folder(mount, own[""])
            if folder is not None and _holds_me(folder):
                parent = _v2_parent(folder)
                return Parents(2, parent, parent)
    raise OSError(errno.ENOENT, "no writable memory and pids cgroup controllers (v1 or v2) hold this process")


class WorkerCgroup:
    """The cgroup(s) of one worker: made with its limits, joined by the worker, removed after it."""

    def __init__(self, memory_bytes: int, processes: int):
        where = parents()
        self.version, self.memory_bytes = where.version, memory_bytes
        name = f"{WORKER_PREFIX}{os.getpid()}-{next(_serial)}"
        self.folders = list(dict.fromkeys([where.memory / name, where.pids / name]))
        self.memory, self.pids = where.memory / name, where.pids / name
        for folder in self.folders:
            folder.mkdir()
        try:
            if self.version == 2:
                _write(self.memory / "memory.max", str(memory_bytes))
                _write(self.memory / "memory.swap.max", "0")
                _write(self.memory / "memory.oom.group", "1")
            else:
                _write(self.memory / "memory.limit_in_bytes", str(memory_bytes))
                if (self.memory / "memory.memsw.limit_in_bytes").exists():
                    _write(self.memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
            _write(self.pids / "pids.max", str(processes))
        except BaseException:
            self.remove()
            raise
        self._procs = [str(folder / "cgroup.procs") for folder in self.folders]

    def join(self) -> None:
        """Move the calling process into the cgroup (a worker's ``preexec_fn``, before anything else)."""
        for procs in self._procs:
            with open(procs, "w") as handle:
                handle.write("0")

    def adopt(self, pid: int) -> None:
        """Move process ``pid`` into the cgroup (a worker forked by a zygote, before its first request)."""
        for procs in self._procs:
            _write(Path(procs), str(pid))

    def processes(self) -> list[int]:
        """The processes in the cgroup now."""
        try:
            return [int(pid) for pid in (self.pids / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self) -> None:
        """SIGKILL every process in the cgroup; on v1 each is stopped first, until no new one
        appears, so none can fork while the others die."""
        if self.version == 2 and (self.pids / "cgroup.kill").exists():
            _write(self.pids / "cgroup.kill", "1")
            return
        stopped: set[int] = set()
        while new := set(self.processes()) - stopped:
            for pid in new:
                _signal(pid, signal.SIGSTOP)
            stopped |= new
        for pid in stopped:
            _signal(pid, signal.SIGKILL)

    def _memory_value(self, v1: str, v2: str, key: str | None = None) -> int:
        try:
            text = (self.memory / (v2 if self.version == 2 else v1)).read_text()
        except OSError:
            return 0
        if key is None:
            return int(text.split()[0])
        fields = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        return int(fields.get(key, 0))

    def memory_exceeded(self) -> bool:
        """Whether the kernel killed a process of the worker for the memory cap."""
        return self._memory_value("memory.oom_control", "memory.events", "oom_kill") > 0

    def peak_bytes(self) -> int:
        """The most memory the worker's processes used together."""
        return self._memory_value("memory.max_usage_in_bytes", "memory.peak")

    def remove(self, patience: float = 5.0) -> None:
        """Kill whatever is still in the cgroup and remove it (the kernel may take a moment to let go)."""
        deadline = time.monotonic() + patience
        for folder in self.folders:
            while folder.exists():
                if self.version == 2 and (folder / "cgroup.kill").exists():
                    _write(folder / "cgroup.kill", "1")
                else:
                    for pid in (folder / "cgroup.procs").read_text().split():
                        _signal(int(pid), signal.SIGKILL)
                try:
                    folder.rmdir()
                except OSError as exc:
                    if exc.errno not in (errno.EBUSY, errno.ENOTEMPTY) or time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)


def remove_stale() -> None:
    """Remove the empty cgroups that a grader which died left behind (a minute old at least: a grader
    in another PID namespace looks dead from here, and its cgroups are empty until joined)."""
    where = parents()
    for folder in {where.memory, where.pids}:
        for entry in folder.glob("cnnkit-*-*"):
            owner = entry.name.split("-")[2]
            old = time.time() - entry.stat().st_mtime > 60
            if owner.isdigit() and old and not Path(f"/proc/{owner}").exists():
                try:
                    entry.rmdir()
                except OSError:
                    pass


@functools.lru_cache(maxsize=1)
def cgroup_problem() -> str | None:
    """Why no worker cgroup can be made here (None: it can); tried once per grader process."""
    try:
        remove_stale()
        WorkerCgroup(1 << 30, 64).remove()
    except (OSError, ValueError) as exc:
        return f"{exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
    return None
