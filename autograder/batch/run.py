"""The batch itself: grade every student not yet finished, ``jobs`` at a time, and keep the gradebook
current after every one."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..files import clean_temporaries
from ..load import SubmissionError
from ..settings import Settings
from ..worker.sandbox import require as require_sandbox
from .discover import GRADEBOOK, Student, discover, submitted_at
from .gradebook import GRADEBOOK_FORMATS, write_gradebook
from .progress import Progress
from .student import finished, grade_student, one_line

#: How students are graded at once: threads of this process (each grading runs its own worker
#: processes) or processes of a pool.
EXECUTORS = ("thread", "process")


@dataclass
class BatchResult:
    students: int = 0
    graded: int = 0
    resumed: int = 0
    errors: int = 0
    seconds: float = 0.0
    metas: dict[str, dict[str, Any]] = field(default_factory=dict)


def _internal_error(student: Student, exc: BaseException) -> dict[str, Any]:
    """The gradebook's row for a student whose grading broke outside the submission's reach."""
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
    executor: str = "thread",
    progress: Progress | None = None,
    on_finished: Callable[[dict[str, Any]], None] | None = None,
) -> BatchResult:
    """Grade every student of ``submissions`` into ``results`` under ``settings``; see the package docstring.

    Raises ``SubmissionError`` (bad arguments), ``OSError`` (unreadable ``submissions``, unwritable
    ``results``) or ``SandboxUnavailable`` (no student code may run here) when the batch cannot run at all.
    """
    started = time.perf_counter()
    settings = settings or Settings()
    require_sandbox(settings.worker)
    submissions, results = Path(submissions), Path(results)
    if not submissions.is_dir():
        raise SubmissionError(f"{submissions} is not a directory of submissions")
    if layout not in GRADEBOOK_FORMATS:
        raise SubmissionError(f"unknown gradebook format {layout!r}; choose from {', '.join(GRADEBOOK_FORMATS)}")
    if executor not in EXECUTORS:
        raise SubmissionError(f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    if jobs < 1:
        raise SubmissionError(f"-j must be at least 1, got {jobs}")
    exercises = list(settings.exercises)
    results.mkdir(parents=True, exist_ok=True)
    clean_temporaries(results)
    students = discover(submissions, results)
    outcome = BatchResult(students=len(students))
    todo = []
    for student in students:
        meta = None if regrade else finished(student, settings, results)
        if meta is None:
            todo.append(student)
        else:
            outcome.metas[student.id] = meta
            outcome.resumed += 1
    gradebook = results / GRADEBOOK
    write_gradebook(gradebook, list(outcome.metas.values()), exercises, layout, assignment)
    progress = progress or Progress(len(students), outcome.resumed)
    if executor == "process":
        pool: concurrent.futures.Executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn")
        )
    else:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    try:
        futures = {pool.submit(grade_student, student, settings, results): student for student in todo}
        for future in concurrent.futures.as_completed(futures):
            student = futures[future]
            try:
                meta = future.result()
            except Exception as exc:  # e.g. RESULTS_DIR became unwritable, a pool process died
                meta = _internal_error(student, exc)
            outcome.metas[student.id] = meta
            outcome.graded += 1
            write_gradebook(gradebook, list(outcome.metas.values()), exercises, layout, assignment)
            progress.finished(meta)
            if on_finished is not None:
                on_finished(meta)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        progress.close()
    pool.shutdown()
    outcome.errors = sum(m["status"].startswith("error") for m in outcome.metas.values())
    outcome.seconds = time.perf_counter() - started
    return outcome
