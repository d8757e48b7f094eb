"""Starting a worker inside its sandbox: the command, the scratch space's permissions, and the
``preexec_fn`` that sets resource limits (and, without bubblewrap, drops privileges)."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import stat
import tempfile
from typing import TYPE_CHECKING, Callable

from .bubblewrap import bwrap_command
from .plan import Plan, plan
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

Launch = tuple[list[str], "Callable[[], None] | None", Callable[[], None]]


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


def resource_preexec(config: "WorkerConfig", plan_: Plan) -> Callable[[], None]:
    """The ``preexec_fn`` of a worker: resource limits, and without bubblewrap the privilege drop."""
    limits = [
        (resource.RLIMIT_DATA, config.memory_bytes),
        (resource.RLIMIT_CPU, config.cpu_seconds),
        (resource.RLIMIT_FSIZE, config.file_bytes),
        (resource.RLIMIT_NOFILE, config.open_files),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_RTTIME, RTTIME_MARK),
    ]
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
    """Wrap ``command`` for ``space``: (command, cleanup, preexec_fn)."""
    plan_ = plan(config)
    cleanup = None
    if plan_.custom:
        command, cleanup = config.launcher(command, space)
    elif plan_.bwrap is not None:
        if plan_.drop:
            _make_usable(space, plan_)
        command = bwrap_command(plan_, config, command, space)
    elif plan_.drop:
        _make_usable(space, plan_)
    return command, cleanup, resource_preexec(config, plan_)
