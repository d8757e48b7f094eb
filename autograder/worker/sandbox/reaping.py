"""Reaping: processes that try to outlive their worker are found and killed.

The grader is a child subreaper, so a worker's descendants that escape its process group (``setsid``,
double fork) are re-parented to the grader instead of init; after each worker is killed they are
found (by a hard resource limit that only worker processes carry and that they can lower but never
raise) and killed. Inside bubblewrap the PID namespace already does this.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from typing import Callable, Iterable

from .system import PR_SET_CHILD_SUBREAPER, RTTIME_MARK, libc

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
                value = line[len(prefix) :].split()[1]
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
            new = set(process_tree(root)[1:]) - stopped
            if not new:
                break
            for pid in new:
                _signal(pid, signal.SIGSTOP)
            stopped |= new
        for pid in stopped:
            _signal(pid, signal.SIGKILL)
    return len(stopped)


def process_tree(root: int) -> list[int]:
    """``root`` and every live descendant of it, ``root`` first (Linux /proc)."""
    return _tree([root], lambda pid: _children(pid) or ())


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
                pid not in _live and is_worker_process(pid) for pid in children_now
            ):
                break  # the cheap look: no adopted worker process (the usual case)
            table = _process_table()
            roots = [
                pid for pid, parent in table.items() if parent == me and pid not in _live and is_worker_process(pid)
            ]
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
