"""One student of a batch, graded into data: read the submission (``pack``), grade it on whatever
machine runs the task (``grade_submission``), join the parts of a student graded as several tasks
(``combine``). Nothing here writes a file: ``store`` writes the results, on the client only."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..load import Submission, SubmissionError, load_submission, preflight
from ..provenance import grader_identity
from ..reasons import Reason
from ..registry import NAMES
from ..runner import CheckResult, ExerciseResult, Report, grade
from ..runner.workers import References
from ..settings import Settings
from ..text import Text
from ..worker.sandbox import SandboxUnavailable
from .discover import Student, opened


def one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Graded:
    """A student's grading as data, what a task returns: the report, or why there is none.

    ``failure`` (with its ``reason``) says why the submission was not graded; ``retry`` marks a failure
    that is not the student's (a grader bug, lost cluster workers): the next run grades it again.
    ``grader`` is the provenance of the machine that graded (``provenance.grader_identity``).
    ``refused``: that machine refused to run student code (no sandbox there, ``failure`` says what is
    missing): not the student's doing, the batch stops.
    """

    report: Report | None
    failure: Text | None = None
    reason: Reason = Reason.NOT_GRADED
    retry: bool = False
    seconds: float = 0.0
    grader: dict[str, str] = field(default_factory=grader_identity)
    refused: bool = False

    @property
    def status(self) -> str:
        """The gradebook status: ``ok``, ``incomplete`` or ``error: <reason>``."""
        if self.failure is not None:
            return f"error: {one_line(self.failure.en)}"
        failure = import_failure(self.report)
        if failure is not None:
            return f"error: {one_line(failure)}"
        return "incomplete" if self.report.incomplete else "ok"


def import_failure(report: Report) -> str | None:
    """The message when no graded exercise could even be imported (e.g. a syntax error everywhere)."""
    firsts = [e.checks[0] for e in report.exercises if e.checks]
    if (
        firsts
        and all(c.reason == Reason.IMPORT_ERROR for c in firsts)
        and not any(c.status == "passed" for e in report.exercises for c in e.checks)
    ):
        return firsts[0].message.en
    return None


def failed(message: str, reason: Reason = Reason.NOT_GRADED, retry: bool = False, seconds: float = 0.0) -> Graded:
    """A ``Graded`` without a report: ``message`` (English, as the loaders say it) is why."""
    return Graded(None, Text(message, message), reason, retry, seconds)


def internal_error(exc: BaseException, seconds: float = 0.0) -> Graded:
    """A grader bug or a resource problem: reported, and graded again on the next run."""
    return failed(f"internal grader error: {type(exc).__name__}: {exc}", retry=True, seconds=seconds)


def error_report(graded: Graded, settings: Settings, submission: str) -> Report:
    """A valid report in which every check of the selected exercises is an error with the failure."""
    from ..checks import all_checks  # imports torch, which a grading imports after starting its workers

    message = Text("not graded: ", "未评分：") + graded.failure
    exercises = [
        ExerciseResult(
            e.name,
            [CheckResult(c.name, c.title, "error", c.points, message, reason=graded.reason) for c in e.checks],
        )
        for e in all_checks(settings.exercises)
    ]
    return Report(exercises=exercises, submission=submission, settings=settings)


def pack(student: Student) -> Submission:
    """The student's exercise modules as bytes, ready to be graded anywhere (a zip is extracted into a
    temporary folder, removed before returning); ``SubmissionError`` when it cannot be graded."""
    with opened(student) as root:
        preflight(root)
        submission = load_submission(root)
    submission.path = student.path
    return submission


def grade_submission(submission: Submission, settings: Settings, references: References | None = None) -> Graded:
    """Grade a packed submission here (in this machine's sandbox), with the batch's ``references``;
    never raises for a broken one."""
    started = time.perf_counter()
    try:
        report = grade(submission, settings, references=references)
    except SubmissionError as exc:
        return failed(str(exc), seconds=time.perf_counter() - started)
    except SandboxUnavailable as exc:  # fail closed on this machine, as `grade` does
        return Graded(None, exc.text, Reason.ENVIRONMENT, retry=True, refused=True)
    except Exception as exc:  # a grader bug or a resource problem: report it, retry on the next run
        return internal_error(exc, time.perf_counter() - started)
    report.submission = str(submission.path)
    return Graded(report, seconds=time.perf_counter() - started)


def grade_student(student: Student, settings: Settings, references: References | None = None) -> Graded:
    """``pack`` and ``grade_submission`` in one call (the local pool's task); never raises."""
    started = time.perf_counter()
    try:
        submission = pack(student)
    except SubmissionError as exc:
        return failed(str(exc), seconds=time.perf_counter() - started)
    except Exception as exc:
        return internal_error(exc, time.perf_counter() - started)
    graded = grade_submission(submission, settings, references)
    graded.seconds = time.perf_counter() - started
    return graded


def combine(parts: list[Graded], settings: Settings) -> Graded:
    """One student's parts (graded as separate tasks, e.g. training on a GPU worker) as one ``Graded``:
    the exercises in table order; the first failure of a part stands for the whole."""
    seconds = sum(p.seconds for p in parts)
    for part in parts:
        if part.failure is not None:
            return Graded(None, part.failure, part.reason, any(p.retry for p in parts), seconds, part.grader)
    reports = [p.report for p in parts]
    exercises = sorted((e for r in reports for e in r.exercises), key=lambda e: NAMES.index(e.name))
    report = Report(
        exercises=exercises,
        submission=reports[0].submission,
        settings=settings,
        sandbox="; ".join(dict.fromkeys(r.sandbox for r in reports)),
        seconds=sum(r.seconds for r in reports),
    )
    return Graded(report, seconds=seconds, grader=parts[0].grader)
