"""The batch itself: grade every student not yet finished with an engine (a local pool, a Dask
cluster), write each one as it comes back, and keep the gradebook current after every one."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Protocol

from ..files import clean_temporaries
from ..load import SubmissionError
from ..settings import Settings
from ..worker.sandbox import SandboxUnavailable
from ..worker.sandbox import require as require_sandbox
from .discover import GRADEBOOK, Student, discover, fingerprint, submitted_at
from .gradebook import GRADEBOOK_FORMATS, write_gradebook
from .pool import LocalPool
from .progress import Progress
from .store import finished, write_student
from .student import Graded, one_line


class Engine(Protocol):
    """What grades the students of a batch: ``LocalPool`` (``-j``) or ``DaskEngine`` (a cluster)."""

    #: Student code runs on this machine (a local pool, a LocalCluster): the sandbox is required here
    #: before anything is written. Elsewhere each worker's machine refuses for itself.
    grades_here: bool

    def grade(
        self, students: list[Student], settings: Settings, note: Callable[[str], None]
    ) -> Iterator[tuple[Student, Graded]]:
        """Each student with its grading, as they finish; ``note`` prints a line for the instructor."""


@dataclass
class BatchResult:
    students: int = 0
    graded: int = 0
    resumed: int = 0
    errors: int = 0
    seconds: float = 0.0
    metas: dict[str, dict[str, Any]] = field(default_factory=dict)


def _unwritten(student: Student, exc: BaseException) -> dict[str, Any]:
    """The gradebook's row for a student whose results could not be written (graded again next run)."""
    return {
        "student_id": student.id,
        "status": f"error: internal grader error: {one_line(f'{type(exc).__name__}: {exc}')}",
        "score": 0.0,
        "max_score": 0.0,
        "exercise_scores": {},
        "seconds": 0.0,
        "submitted_at": submitted_at(student),
    }


def run_batch(
    submissions: str | Path,
    results: str | Path,
    settings: Settings | None = None,
    jobs: int = 1,
    regrade: bool = False,
    layout: str = "kit",
    assignment: str = "cnn",
    executor: str | Engine = "thread",
    progress: Progress | None = None,
    on_finished: Callable[[dict[str, Any]], None] | None = None,
) -> BatchResult:
    """Grade every student of ``submissions`` into ``results`` under ``settings``; see the package docstring.

    ``executor``: ``"thread"`` or ``"process"`` (a local pool of ``jobs``), or an ``Engine``.
    Raises ``SubmissionError`` (bad arguments), ``OSError`` (unreadable ``submissions``, unwritable
    ``results``) or ``SandboxUnavailable`` (no student code may run here, or on a cluster's worker)
    when the batch cannot run at all.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    submissions, results = Path(submissions), Path(results)
    if not submissions.is_dir():
        raise SubmissionError(f"{submissions} is not a directory of submissions")
    if layout not in GRADEBOOK_FORMATS:
        raise SubmissionError(f"unknown gradebook format {layout!r}; choose from {', '.join(GRADEBOOK_FORMATS)}")
    engine = LocalPool(jobs, executor) if isinstance(executor, str) else executor
    if engine.grades_here:
        require_sandbox(settings.worker)
    exercises = list(settings.exercises)
    results.mkdir(parents=True, exist_ok=True)
    clean_temporaries(results)
    students = discover(submissions, results)
    outcome = BatchResult(students=len(students))
    todo, fingerprints = [], {}
    for student in students:
        fingerprints[student.id] = fingerprint(student)
        meta = None if regrade else finished(student, fingerprints[student.id], settings, results)
        if meta is None:
            todo.append(student)
        else:
            outcome.metas[student.id] = meta
            outcome.resumed += 1
    gradebook = results / GRADEBOOK
    write_gradebook(gradebook, list(outcome.metas.values()), exercises, layout, assignment)
    progress = progress or Progress(len(students), outcome.resumed)
    graded_students = engine.grade(todo, settings, progress.note)
    try:
        for student, graded in graded_students:
            if graded.refused:  # the grading machine has no sandbox: no student of this batch may run there
                raise SandboxUnavailable(graded.failure)
            try:
                meta = write_student(student, fingerprints[student.id], graded, settings, results)
            except OSError as exc:  # e.g. RESULTS_DIR became unwritable or full
                meta = _unwritten(student, exc)
            outcome.metas[student.id] = meta
            outcome.graded += 1
            write_gradebook(gradebook, list(outcome.metas.values()), exercises, layout, assignment)
            progress.finished(meta)
            if on_finished is not None:
                on_finished(meta)
    finally:
        graded_students.close()
        progress.close()
    outcome.errors = sum(m["status"].startswith("error") for m in outcome.metas.values())
    outcome.seconds = time.perf_counter() - started
    return outcome
