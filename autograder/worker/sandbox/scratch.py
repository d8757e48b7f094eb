"""A capped scratch: the worker's writable space (its ``home/`` and ``/tmp``) is one tmpfs with a size
and an inode cap, so no submission can fill the grader's disk or leave a flood of files behind.

A root grader mounts it in the worker's ``preexec_fn``, in a mount namespace of the worker's own,
over ``space.scratch`` (``home/`` and ``tmp/`` are made inside): it is never visible to the grader
and vanishes with the worker's last process, however many files it holds. Its pages are charged to
the worker's cgroup. A grader that is not root cannot mount; inside bubblewrap it gets two
size-capped tmpfs of bubblewrap's instead (``bubblewrap._scratch_binds``), whose files are not counted.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tempfile
from typing import TYPE_CHECKING, Callable

from .system import UNPRIVILEGED, check, libc, python_executable

if TYPE_CHECKING:  # pragma: no cover
    from ...settings import WorkerConfig
    from ..space import WorkerSpace

# sched.h, sys/mount.h
CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 0x40000
MS_NOSUID, MS_NODEV = 0x2, 0x4


def mount_options(config: "WorkerConfig") -> str:
    return f"size={config.scratch_bytes},nr_inodes={config.scratch_files},mode=0755"


def mounter(space: "WorkerSpace", config: "WorkerConfig") -> Callable[[], None]:
    """A ``preexec_fn`` part (root only): a private mount namespace, the capped tmpfs over
    ``space.scratch``, and in it ``home/`` (the unprivileged user's) and ``tmp/`` (sticky, for all)."""
    target = str(space.scratch).encode()
    options = mount_options(config).encode()
    home, tmp = str(space.home), str(space.tmp)
    lib = libc()

    def mount() -> None:
        check(lib.unshare(CLONE_NEWNS), "unshare(mount namespace)")
        check(lib.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount(private)")
        check(lib.mount(b"tmpfs", target, b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount(scratch tmpfs)")
        os.mkdir(home, 0o711)  # bwrap (root without CAP_DAC_OVERRIDE) must enter it
        os.chown(home, UNPRIVILEGED, UNPRIVILEGED)
        os.mkdir(tmp)
        os.chmod(tmp, 0o1777)
        os.chdir(home)  # the old working directory is the folder the tmpfs now covers

    return mount


@functools.lru_cache(maxsize=1)
def scratch_problem() -> str | None:
    """Why this grader cannot mount a capped tmpfs for a worker (None: it can); tried once."""
    if os.geteuid() != 0:
        return "the grader is not root"
    from ...settings import WorkerConfig
    from ..space import WorkerSpace

    with tempfile.TemporaryDirectory(prefix="cnnkit-scratch-probe-") as folder:
        space = WorkerSpace.at(folder)
        space.scratch.mkdir()
        try:
            command = [python_executable(), "-I", "-S", "-c", ""]
            subprocess.run(command, preexec_fn=mounter(space, WorkerConfig()), check=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return f"cannot mount a tmpfs in a mount namespace of the worker's ({exc})"
    return None
