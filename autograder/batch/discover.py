"""What is in ``SUBMISSIONS_DIR``: one ``Student`` per visible entry, and a signature of its files."""

from __future__ import annotations

import datetime as dt
import hashlib
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..load import SubmissionError
from ..load.archive import IGNORED_NAMES, extract_zip, unwrap
from ..load.directory import link_problem

GRADEBOOK = "gradebook.csv"


@dataclass
class Student:
    id: str
    path: Path
    kind: str  # "dir", "zip", "notebook", "file" (an error) or "clash" (two entries with one id: an error)
    problem: str | None = None


def discover(submissions: Path, results: Path | None = None) -> list[Student]:
    """One ``Student`` per visible entry of ``submissions``, sorted by id; hidden entries are skipped."""
    found: dict[str, list[Student]] = {}
    skip = results.resolve() if results is not None else None
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_NAMES:
            continue
        if skip is not None and entry.resolve() == skip:
            continue
        problem = link_problem(entry, "the submission")
        if problem is not None:
            student = Student(entry.stem or entry.name, entry, "file", problem)
        elif entry.is_dir():
            student = Student(entry.name, entry, "dir")
        elif entry.suffix.lower() == ".zip" and entry.is_file():
            student = Student(entry.stem, entry, "zip")
        elif entry.suffix == ".ipynb" and entry.is_file():
            student = Student(entry.stem, entry, "notebook")
        else:
            what = (
                "a broken symbolic link"
                if entry.is_symlink() and not entry.exists()
                else "a file"
                if entry.is_file()
                else "not a regular file"
            )
            student = Student(
                entry.stem or entry.name,
                entry,
                "file",
                f"{entry.name} is {what} where a folder, a .zip archive or an .ipynb was expected",
            )
        found.setdefault(student.id, []).append(student)
    students = []
    for sid, entries in sorted(found.items()):
        student = entries[0]
        if len(entries) > 1:
            names = " and ".join(e.path.name for e in entries)
            student = Student(sid, entries[0].path, "clash", f"two submissions for one student id: {names}")
        if sid == GRADEBOOK:
            student.kind, student.problem = "clash", f"the student id {sid} clashes with the gradebook's file name"
        students.append(student)
    return students


def fingerprint(student: Student) -> str:
    """A cheap signature of the submission's files (names, sizes, modification times)."""
    digest = hashlib.sha256()

    def add(path: Path) -> None:
        try:
            info = path.lstat()
        except OSError as exc:
            digest.update(f"{path.name}:unreadable:{exc.errno}\n".encode())
            return
        digest.update(f"{path.name}:{stat.S_IFMT(info.st_mode)}:{info.st_size}:{info.st_mtime_ns}\n".encode())

    add(student.path)
    if student.kind == "dir":
        for folder in (student.path, student.path / "exercises"):
            try:
                entries = sorted(folder.iterdir()) if folder.is_dir() else []
            except OSError:
                entries = []
            for entry in entries:
                add(entry)
    return digest.hexdigest()


def submitted_at(student: Student) -> str:
    """When the submission was last modified (UTC), nbgrader's timestamp format."""
    try:
        seconds = student.path.lstat().st_mtime
    except OSError:
        return ""
    return str(dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None))


@contextmanager
def opened(student: Student) -> Iterator[Path]:
    """The folder of a student's submission: its own, or its zip extracted into a temporary folder
    (removed on leaving); ``SubmissionError`` where discovery already found it unreadable."""
    if student.problem is not None:
        raise SubmissionError(student.problem)
    if student.kind != "zip":
        yield student.path
        return
    with tempfile.TemporaryDirectory(prefix="cnnkit-submission-") as scratch:
        root = Path(scratch) / "submission"
        root.mkdir()
        extract_zip(student.path, root)
        yield unwrap(root)
