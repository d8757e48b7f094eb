"""Stage 1, load: find a submission's exercise modules and read them as bytes (never import them).

A submission is a folder of modules, a repository root with ``exercises/``, or notebooks of
``autograde nbgrader build`` (one ``.ipynb`` or a folder of them; ``notebook`` turns them into the
same module files without running anything). ``archive`` unpacks a student's ``.zip`` safely.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .directory import MAX_MODULE_BYTES, SubmissionError, module_directory, preflight, read_modules, refuse_link

__all__ = [
    "MAX_MODULE_BYTES",
    "Submission",
    "SubmissionError",
    "load_submission",
    "module_directory",
    "preflight",
    "reference_submission",
]


@dataclass
class Submission:
    """The Python modules of a submission, by file name, as bytes (they are never imported here)."""

    path: Path
    files: dict[str, bytes]


def load_submission(path: str | Path) -> Submission:
    """Read a submission's top-level ``.py`` files (each at most 1 MiB), or extract them from notebooks."""
    from . import notebook

    path = Path(path)
    refuse_link(path, "the submission")
    if notebook.is_notebook_submission(path):
        try:
            return Submission(path=path, files=notebook.notebook_files(path)[0])
        except notebook.NotebookError as exc:
            raise SubmissionError(str(exc)) from None
    return Submission(path=path, files=read_modules(module_directory(path)))


def reference_submission() -> Submission:
    """The reference solutions, loaded exactly like a student's submission."""
    import solutions

    return load_submission(Path(solutions.__file__).resolve().parent)
