"""The worker's first trusted step: inside bubblewrap started by root, become the unprivileged user.

The grader passes the user (``CNN_KIT_UID``) and the process cap (``CNN_KIT_NPROC``) in the
environment; they are taken out of it before any student code can read them. A plain worker drops
at once; the zygote keeps them and drops in each worker it forks (see ``zygote``).
"""

from __future__ import annotations

import os
import resource


def take_from_environment() -> tuple[int | None, int | None]:
    """The user to become and the process cap (None: not asked), removed from the environment."""
    uid, nproc = os.environ.pop("CNN_KIT_UID", ""), os.environ.pop("CNN_KIT_NPROC", "")
    return (int(uid) if uid else None, int(nproc) if nproc else None)


def drop(uid: int | None, nproc: int | None) -> None:
    """Become ``uid`` (group ``uid``, no supplementary groups, so no capabilities left) and cap the
    number of processes of that user."""
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
