"""A submission folder: where its exercise modules are, and reading them without surprises.

A submission is read, never followed: a submission folder, its ``exercises/`` or a module that is
a symbolic link (which could point at the reference solutions or at any file of the grader's
machine, e.g. through ``..``) is refused with the reason. (Names with ``..`` inside a ``.zip`` are
refused by ``archive``; a folder's own entries never hold ``..``.)
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .. import registry
from ..text import size_text

#: The largest module the grader reads; a larger one becomes a module whose import says so.
MAX_MODULE_BYTES = 1 << 20


class SubmissionError(Exception):
    """The submission cannot be graded at all (grading exits with status 2, a batch row says why)."""


def _expected() -> str:
    return ", ".join(f"{name}.py" for name in registry.NAMES)


def link_problem(path: Path, what: str) -> str | None:
    """Why ``path`` (``what``: "the submission", "the module", ...) is not read: it is a symbolic
    link; None when it may be read."""
    if not path.is_symlink():
        return None
    return (
        f"{what} {path.name} is a symbolic link (to {os.readlink(path)}): the grader reads the "
        f"submission's own files and never follows links; put the files themselves there"
    )


def refuse_link(path: Path, what: str) -> None:
    """``SubmissionError`` when ``link_problem`` finds one."""
    problem = link_problem(path, what)
    if problem is not None:
        raise SubmissionError(problem)


def has_modules(directory: Path) -> bool:
    """Whether ``directory`` or its ``exercises/`` holds an exercise module."""
    return any(
        (candidate / f"{name}.py").is_file()
        for candidate in (directory, directory / "exercises")
        for name in registry.NAMES
    )


def module_directory(path: Path) -> Path:
    """The folder that holds the exercise modules: ``path`` itself or ``path/exercises`` (neither a link)."""
    refuse_link(path, "the submission")
    if not path.exists():
        raise SubmissionError(f"submission {path} does not exist")
    if not path.is_dir():
        raise SubmissionError(
            f"submission {path} is not a directory: expected a folder with the exercise "
            f"modules (corr2d.py, ...) or a repository root containing exercises/"
        )
    refuse_link(path / "exercises", "the folder")
    for candidate in (path, path / "exercises"):
        if any(
            (candidate / f"{name}.py").is_file() or (candidate / f"{name}.py").is_symlink() for name in registry.NAMES
        ):
            return candidate
    raise SubmissionError(
        f"no exercise module found in {path}: expected {_expected()} in it or in {path / 'exercises'}"
    )


def read_modules(directory: Path) -> dict[str, bytes]:
    """The top-level ``.py`` files of ``directory`` by name (a symbolic link is not followed: its
    module says so when imported)."""
    return {
        module.name: read_module(module)
        for module in sorted(directory.glob("*.py"))
        if module.is_file() or module.is_symlink()
    }


def failing_module(message: str) -> bytes:
    """A module whose import fails with ``message`` (how a problem of one module reaches the report)."""
    return f"raise ImportError({message!r})\n".encode()


def read_module(module: Path) -> bytes:
    """A module's bytes; a link, or one over the size limit, becomes a module whose import says so."""
    problem = link_problem(module, "the module")
    if problem is not None:
        return failing_module(problem)
    with open(module, "rb") as handle:
        data = handle.read(MAX_MODULE_BYTES + 1)
    if len(data) > MAX_MODULE_BYTES:
        return failing_module(f"{module.name} is larger than the 1 MiB limit for a module")
    return data


def preflight(root: Path) -> None:
    """Refuse, before reading anything, what a whole class's grading should report rather than read:
    no exercise module, an unreadable folder, a module over the size limit or unreadable.

    Notebooks are left to ``load_submission`` (``notebook`` has its own limits).
    """
    from .notebook import is_notebook_submission

    try:
        if is_notebook_submission(root):
            return
        modules = sorted(module_directory(root).glob("*.py"))
    except PermissionError as exc:
        raise SubmissionError(f"cannot read the submission ({exc.strerror})") from None
    except SubmissionError:
        raise SubmissionError(
            f"no exercise module found: expected {_expected()} in the submission's top folder "
            f"or in its exercises/ folder"
        ) from None
    for module in modules:
        try:
            info = module.lstat()
        except OSError as exc:
            raise SubmissionError(f"cannot read {module.name} ({exc.strerror})") from None
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_MODULE_BYTES:
            raise SubmissionError(
                f"{module.name} is {size_text(info.st_size)}, over the limit of "
                f"{size_text(MAX_MODULE_BYTES)} per module"
            )
        if stat.S_ISREG(info.st_mode) and not os.access(module, os.R_OK):
            raise SubmissionError(f"cannot read {module.name} (permission denied)")
