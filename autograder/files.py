"""Writing results: every file through a temporary file and a rename, so a reader (or a run killed
halfway) never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .runner.results import Report

TEMPORARY_SUFFIX = ".tmp"
#: Files are created with the usual permissions (mkstemp's are 0600); read once, at import.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write through a temporary file in the same folder and ``os.replace``: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~_UMASK)
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def clean_temporaries(folder: Path) -> None:
    """Remove the temporary files a killed run may have left (``.<name>.*.tmp``) in ``folder`` and
    the folders directly below it."""
    for pattern in (f".*{TEMPORARY_SUFFIX}", f"*/.*{TEMPORARY_SUFFIX}"):
        for leftover in folder.glob(pattern):
            if leftover.is_file() and not leftover.is_symlink():
                try:
                    leftover.unlink()
                except OSError:
                    pass


def save_attachments(report: Report, folder: Path) -> list[tuple[str, str]]:
    """Write the grader's drawings of every exercise (e.g. ``training.png``) into ``folder``;
    return (exercise, file name) of each."""
    saved = []
    for exercise in report.exercises:
        for name, content in exercise.attachments.items():
            atomic_write(folder / name, content)
            saved.append((exercise.name, name))
    return saved
