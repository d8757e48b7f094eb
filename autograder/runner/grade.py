"""Grade one submission: start its workers, run each exercise's checks, collect a ``Report``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..load import Submission, load_submission
from ..settings import Settings
from ..worker import sandbox
from .results import Report
from .scratch import scratch_folder
from .workers import References, WorkerPool, reference_for


def grade(
    path: str | Path | Submission,
    settings: Settings | None = None,
    *,
    references: References | None = None,
    **changes: Any,
) -> Report:
    """Grade the submission at ``path`` (or one already read, e.g. sent to a cluster worker) under
    ``settings`` (the defaults, with ``changes`` applied, e.g. ``grade(path, exercises=["corr2d"])``);
    a batch passes its ``references`` to share the reference workers between its gradings. Raise
    ``SubmissionError`` if it cannot be read and ``sandbox.SandboxUnavailable`` if its code could not
    be isolated here (nothing runs then)."""
    settings = (settings or Settings()).replace(**changes) if changes else (settings or Settings())
    sandbox.require(settings.worker)
    started = time.perf_counter()
    submission_end = time.monotonic() + settings.worker.submission_seconds
    submission = path if isinstance(path, Submission) else load_submission(path)
    report = Report(
        exercises=[],
        submission=str(path.path if isinstance(path, Submission) else path),
        settings=settings,
        sandbox=sandbox.describe_isolation(settings.worker),
    )
    with scratch_folder("grade") as scratch:
        pool = WorkerPool(submission, scratch / "submission", settings.worker)
        try:
            with reference_for(references, scratch / "reference", settings.worker) as reference:
                # Imported once the workers are starting (the checks import torch): the workers'
                # imports of torch, in the sandbox, overlap this one.
                from .exercise import run_exercises

                report.exercises = run_exercises(pool, reference, settings, submission_end)
        finally:
            pool.close()
    report.seconds = time.perf_counter() - started
    return report
