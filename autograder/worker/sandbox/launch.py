"""Starting a worker inside its sandbox: the command, the scratch space's permissions, and the
``preexec_fn`` that joins the worker's cgroup, sets resource limits, mounts its capped scratch and
(without bubblewrap) drops privileges and loads the system-call filter. Each per-worker layer is a
function of its own module (``cgroup``, ``scratch``, ``syscalls``) that other launchers can reuse."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import stat
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from .bubblewrap import bwrap_command
from .cgroup import WorkerCgroup
from .plan import Plan, plan
from .refusal import require
from .scratch import mounter
from .syscalls import loader, program, program_fd
from .system import (
    CAP_DAC_READ_SEARCH,
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWUTS,
    LINUX_CAPABILITY_VERSION_3,
    PR_CAP_AMBIENT,
    PR_CAP_AMBIENT_RAISE,
    PR_SET_KEEPCAPS,
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    RTTIME_MARK,
    UNPRIVILEGED,
    check,
    libc,
)

if TYPE_CHECKING:  # pragma: no cover
    from ...settings import WorkerConfig
    from ..space import WorkerSpace


@dataclass
class Launch:
    """How to start one worker: its command, ``preexec_fn``, the descriptors it inherits (closed in
    the parent once it started), environment additions, its cgroup, and what to do once it is gone."""

    command: list[str]
    preexec: Callable[[], None]
    pass_fds: tuple[int, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cgroup: WorkerCgroup | None = None
    cleanup: Callable[[], None] | None = None

    def started(self) -> None:
        """The worker has inherited its descriptors: close the parent's copies."""
        for fd in self.pass_fds:
            os.close(fd)
        self.pass_fds = ()

    def finished(self) -> None:
        """The worker and all its processes are gone: remove its cgroup, run the launcher's cleanup."""
        self.started()
        if self.cgroup is not None:
            self.cgroup.remove()
        if self.cleanup is not None:
            self.cleanup()


def in_order(*steps: Callable[[], None] | None) -> Callable[[], None]:
    """One ``preexec_fn`` running ``steps`` (None entries skipped) in order."""
    chosen = [step for step in steps if step is not None]

    def run() -> None:
        for step in chosen:
            step()

    return run


def _make_usable(space: "WorkerSpace", plan_: Plan) -> None:
    """Let an UNPRIVILEGED worker read its runtime and package and own its home."""
    for top in (space.runtime, space.package_parent):
        for folder, dirs, files in os.walk(top):
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
    for folder, mode in ((space.home, 0o711), (space.tmp, 0o700)):  # bwrap (root without
        os.chown(folder, UNPRIVILEGED, UNPRIVILEGED)  # CAP_DAC_OVERRIDE) must enter the home
        os.chmod(folder, mode)
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


def resource_limits(config: "WorkerConfig") -> Callable[[], None]:
    """A ``preexec_fn`` part: the resource limits of every worker process."""
    limits = [
        (resource.RLIMIT_DATA, config.memory_bytes),
        (resource.RLIMIT_CPU, config.cpu_seconds),
        (resource.RLIMIT_FSIZE, config.file_bytes),
        (resource.RLIMIT_NOFILE, config.open_files),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_RTTIME, RTTIME_MARK),
    ]

    def apply() -> None:
        for which, value in limits:
            resource.setrlimit(which, (value, value))

    return apply


def privilege_drop(config: "WorkerConfig", plan_: Plan) -> Callable[[], None]:
    """A ``preexec_fn`` part without bubblewrap, for a root grader: own network, IPC and UTS
    namespaces, the unprivileged user (keeping ``CAP_DAC_READ_SEARCH`` only where the plan says so)."""
    flags = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    lib = libc()
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)
    caps = (ctypes.c_uint32 * 6)(*([1 << CAP_DAC_READ_SEARCH] * 3), 0, 0, 0)  # eff, perm, inh (x2 words)

    def apply() -> None:
        if plan_.netns:
            check(lib.unshare(flags), "unshare")
        if plan_.read_all:
            check(lib.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(KEEPCAPS)")
        os.setgroups([])
        os.setresgid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
        os.setresuid(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED)
        if plan_.read_all:  # keep only the right to read, as an ambient capability that survives exec
            check(lib.capset(header, caps), "capset")
            check(lib.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH, 0, 0), "ambient")
            check(lib.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(KEEPCAPS)")
        check(lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
        # as bwrap's --die-with-parent (after the uid change, which clears it)
        check(lib.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PDEATHSIG)")
        resource.setrlimit(resource.RLIMIT_NPROC, (config.processes, config.processes))

    return apply


def launch(config: "WorkerConfig", command: list[str], space: "WorkerSpace") -> Launch:
    """Wrap ``command`` for ``space``; ``SandboxUnavailable`` where student code may not run here."""
    require(config)
    plan_ = plan(config)
    if plan_.custom:
        command, cleanup = config.launcher(command, space)
        return Launch(command, resource_limits(config), cleanup=cleanup)
    if plan_.drop:
        _make_usable(space, plan_)
    cgroup = None if plan_.why_no_cgroup else WorkerCgroup(config.memory_bytes, config.processes)
    mount = None if plan_.why_no_scratch else mounter(space, config)
    first = in_order(cgroup.join if cgroup is not None else None, resource_limits(config), mount)
    if plan_.bwrap is not None:
        fds = () if plan_.why_no_filter else (program_fd(),)
        command = bwrap_command(plan_, config, command, space, seccomp_fd=fds[0] if fds else None)
        return Launch(command, first, pass_fds=fds, cgroup=cgroup)
    drop = privilege_drop(config, plan_) if plan_.drop else None
    load_filter = None if plan_.why_no_filter else loader(program())
    return Launch(command, in_order(first, drop, load_filter), env={"TMPDIR": str(space.tmp)}, cgroup=cgroup)
