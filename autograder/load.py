"""Find the exercise modules of a submission: a directory of modules, a repository root, or notebooks.

Notebooks (one ``.ipynb``, or a folder of them, as built by ``autograde nbgrader build``) are turned
into the same module files by ``autograder.nbgrader.extract`` without running anything.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .checks import EXERCISE_NAMES

MAX_MODULE_BYTES = 1 << 20


class SubmissionError(Exception):
    """The submission cannot be graded at all (grading exits with status 2)."""


@dataclass
class Submission:
    """The Python modules of a submission, by file name, as bytes (they are never imported here)."""

    path: Path
    files: dict[str, bytes]


def module_directory(path: Path) -> Path:
    """The folder that holds the exercise modules: ``path`` itself or ``path/exercises``."""
    if not path.exists():
        raise SubmissionError(f"submission {path} does not exist")
    if not path.is_dir():
        raise SubmissionError(f"submission {path} is not a directory: expected a folder with the exercise "
                              f"modules (corr2d.py, ...) or a repository root containing exercises/")
    for candidate in (path, path / "exercises"):
        if any((candidate / f"{name}.py").is_file() for name in EXERCISE_NAMES):
            return candidate
    raise SubmissionError(f"no exercise module found in {path}: expected {', '.join(n + '.py' for n in EXERCISE_NAMES)} "
                          f"in it or in {path / 'exercises'}")


def load_submission(path: str | Path) -> Submission:
    """Read a submission's top-level ``.py`` files (each at most 1 MiB), or extract them from notebooks."""
    path = Path(path)
    from .nbgrader import extract

    if extract.is_notebook_submission(path):
        try:
            return Submission(path=path, files=extract.notebook_files(path)[0])
        except extract.NotebookError as exc:
            raise SubmissionError(str(exc)) from None
    directory = module_directory(path)
    files = {}
    for module in sorted(directory.glob("*.py")):
        if module.is_file() and not module.is_symlink():
            files[module.name] = read_module(module)
    return Submission(path=path, files=files)


def read_module(module: Path) -> bytes:
    """A module's bytes; one over the size limit becomes a module whose import says so."""
    with open(module, "rb") as handle:
        data = handle.read(MAX_MODULE_BYTES + 1)
    if len(data) > MAX_MODULE_BYTES:
        return f"raise ImportError({module.name + ' is larger than the 1 MiB limit for a module'!r})\n".encode()
    return data


def reference_submission() -> Submission:
    """The reference solutions, loaded exactly like a student's submission."""
    import solutions

    return load_submission(Path(solutions.__file__).resolve().parent)
