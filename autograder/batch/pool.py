"""The local executor: students graded at once by the threads (the default) or the processes of a
pool on this machine; each grading runs its own workers, and the threads share reference workers."""

from __future__ import annotations

import concurrent.futures
import functools
import multiprocessing
from typing import Callable, Iterator

from ..load import SubmissionError
from ..runner.workers import References
from ..settings import Settings
from .discover import Student
from .student import Graded, grade_student, internal_error

#: The kinds of local pool: threads of this process, or spawned processes (kept for measuring, docs/batch.md).
POOLS = ("thread", "process")


class LocalPool:
    """``jobs`` students at once in a thread pool or a process pool of this machine."""

    def __init__(self, jobs: int = 1, kind: str = "thread"):
        if kind not in POOLS:
            raise SubmissionError(f"unknown executor {kind!r}; choose from {', '.join(POOLS)}")
        if jobs < 1:
            raise SubmissionError(f"-j must be at least 1, got {jobs}")
        self.jobs, self.kind = jobs, kind
        self.grades_here = True

    def grade(
        self, students: list[Student], settings: Settings, note: Callable[[str], None] | None = None
    ) -> Iterator[tuple[Student, Graded]]:
        """Each student with its grading, as they finish (nothing to ``note``). The threads share
        reference workers (``References``); each grading in a process pool starts its own."""
        with References() as references:
            if self.kind == "process":
                pool: concurrent.futures.Executor = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn")
                )
                task: Callable[[Student, Settings], Graded] = grade_student
            else:
                pool = concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="grade")
                task = functools.partial(grade_student, references=references)
            try:
                futures = {pool.submit(task, student, settings): student for student in students}
                for future in concurrent.futures.as_completed(futures):
                    try:
                        graded = future.result()
                    except Exception as exc:  # e.g. a pool process died
                        graded = internal_error(exc)
                    yield futures[future], graded
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown()
