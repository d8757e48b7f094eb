"""The grader's temporary folders (a grading's worker spaces, a batch's reference workers), removed
by the next grader should their own be killed before it could remove them.

Each folder holds a lock file its grader keeps locked (``flock``) while it lives; the kernel drops
the lock when the process dies, however it dies, so a folder whose lock can be taken is left over.
This holds across PID namespaces and containers that share ``/tmp``, where a process id would not.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

PREFIX = "cnnkit-"
LOCK = ".owner.lock"


@contextlib.contextmanager
def scratch_folder(kind: str) -> Iterator[Path]:
    """A fresh temporary folder ``cnnkit-KIND-…``, locked while in use and removed afterwards;
    the left-over folders of killed graders are removed first."""
    sweep()
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{kind}-"))
    # Locked under another name, then renamed: a sweeper never finds the lock file unlocked.
    lock = os.open(folder / f"{LOCK}.new", os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.rename(folder / f"{LOCK}.new", folder / LOCK)
        yield folder
    finally:
        os.close(lock)
        shutil.rmtree(folder, ignore_errors=True)


def sweep(root: Path | None = None) -> list[Path]:
    """Remove the grader folders under ``root`` (the temporary directory) whose owner is gone;
    return them. A folder without a lock file (being made, or not the grader's) is left alone."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            lock = os.open(folder / LOCK, os.O_WRONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its grader still holds it
            os.close(lock)
            continue
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)
        removed.append(folder)
    return removed
