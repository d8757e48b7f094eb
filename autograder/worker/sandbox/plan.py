"""Which isolation a worker gets on this machine: decided once per grader process."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .bubblewrap import bubblewrap_problem
from .cgroup import cgroup_problem
from .scratch import scratch_problem
from .syscalls import filter_problem
from .system import CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWUTS, UNPRIVILEGED, python_executable, python_paths, readable_by

if TYPE_CHECKING:  # pragma: no cover
    from ...settings import WorkerConfig


@dataclass(frozen=True)
class Plan:
    """What isolation a worker started with a given configuration gets (decided once per process)."""

    bwrap: str | None = None  # bubblewrap is used (its path)
    userns: bool = False  # bubblewrap with a user namespace (grader not root)
    drop: bool = False  # the worker runs as UNPRIVILEGED
    read_all: bool = False  # without bubblewrap: keeps CAP_DAC_READ_SEARCH (Python not readable)
    netns: bool = False  # without bubblewrap: own network/IPC/UTS namespaces
    nproc: bool = False  # RLIMIT_NPROC is set and enforced by the kernel
    custom: bool = False  # a custom launcher from WorkerConfig.launcher
    unreadable: str = ""  # with read_all: a path the worker needs that nobody cannot read
    why_not: str = ""  # why bubblewrap is not used
    # The per-worker layers: "" where the layer is in force, else why it is not.
    why_no_cgroup: str = ""  # one memory and process cap for all of a worker's processes
    why_no_scratch: str = ""  # the worker's home and /tmp on a tmpfs with size and inode caps
    why_no_filter: str = ""  # the system-call filter

    @property
    def forks(self) -> bool:
        """Whether workers can be forked from a zygote with every layer a started worker has: bubblewrap
        started by root (the zygote stays root, its workers drop) and a cgroup per forked worker."""
        return self.bwrap is not None and self.drop and not self.userns and not self.why_no_cgroup

    @property
    def isolated(self) -> bool:
        """Whether student code may run: bubblewrap and the system-call filter both work."""
        return self.bwrap is not None and not self.why_no_filter


@functools.lru_cache(maxsize=None)
def _own_network_works() -> bool:
    """Whether a root grader can give a worker its own network/IPC/UTS namespaces."""
    code = f"import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare({CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS}) != 0)"
    try:
        return (
            subprocess.run(
                [python_executable(), "-I", "-S", "-c", code], stdin=subprocess.DEVNULL, capture_output=True, timeout=60
            ).returncode
            == 0
        )
    except (OSError, subprocess.SubprocessError):
        return False


def _layers() -> dict[str, str]:
    """The per-worker layers of this machine, bubblewrap or not."""
    return {
        "why_no_cgroup": cgroup_problem() or "",
        "why_no_scratch": scratch_problem() or "",
        "why_no_filter": filter_problem() or "",
    }


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
            return Plan(bwrap=shutil.which("bwrap"), userns=not root, drop=root, nproc=True, **_layers())
    if not root:
        return Plan(why_not=why_not, **_layers())
    needed = [python_executable(), *python_paths(), tempfile.gettempdir()]
    unreadable = [p for p in needed if not readable_by(p, UNPRIVILEGED, UNPRIVILEGED, execute=(p == needed[0]))]
    return Plan(
        drop=True,
        read_all=bool(unreadable),
        unreadable=unreadable[0] if unreadable else "",
        netns=_own_network_works(),
        nproc=True,
        why_not=why_not,
        **_layers(),
    )


def plan(config: "WorkerConfig") -> Plan:
    """The isolation workers started with ``config`` get."""
    return _plan(config.sandbox, config.launcher is not None, os.geteuid())
