"""One student of a batch: grade, write ``report.json``, ``feedback.md`` and ``meta.json``, and tell
whether a student graded earlier is finished (resume)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from ..files import atomic_write, save_attachments
from ..inert import markdown_text
from ..load import SubmissionError, preflight
from ..load.archive import extract_zip, unwrap
from ..reasons import Reason
from ..report import FORMATS, validate
from ..runner import CheckResult, ExerciseResult, Report, grade
from ..settings import Settings
from ..text import Text
from .discover import Student, fingerprint, submitted_at

#: Version of ``meta.json``; a run finds the meta data of another version unfinished.
META_FORMAT = 2
FEEDBACK_ERROR = {
    "en": ("## cnn-kit grade: 0/{max}", "Your submission could not be graded", "Fix this and submit again."),
    "zh": ("## cnn-kit 评分: 0/{max}", "你的提交无法评分", "请修正后重新提交。"),
}


def one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def error_report(reason: str, settings: Settings, submission: str) -> Report:
    """A valid report in which every check of the selected exercises is an error with ``reason``."""
    from ..checks import all_checks  # imports torch, which a grading imports after starting its workers

    message = Text(f"not graded: {reason}", f"未评分：{reason}")
    exercises = [
        ExerciseResult(
            e.name,
            [CheckResult(c.name, c.title, "error", c.points, message, reason=Reason.NOT_GRADED) for c in e.checks],
        )
        for e in all_checks(settings.exercises)
    ]
    return Report(exercises=exercises, submission=submission, settings=settings)


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


def grade_student(student: Student, settings: Settings, results: Path) -> dict[str, Any]:
    """Grade one student and write ``report.json``, ``feedback.md`` and ``meta.json``; never raises
    for a broken submission. Returns the meta data (what the gradebook needs)."""
    started = time.perf_counter()
    folder = results / student.id
    status, report, retry = "ok", None, False
    shown = str(student.path)
    try:
        with tempfile.TemporaryDirectory(prefix="cnnkit-batch-") as scratch:
            if student.problem is not None:
                raise SubmissionError(student.problem)
            root = student.path
            if student.kind == "zip":
                root = Path(scratch) / "submission"
                root.mkdir()
                extract_zip(student.path, root)
                root = unwrap(root)
            preflight(root)
            report = grade(root, settings)
            report.submission = shown
            if report.incomplete:
                status = "incomplete"
            failure = import_failure(report)
            if failure is not None:
                status = f"error: {one_line(failure)}"
    except SubmissionError as exc:
        status = f"error: {one_line(str(exc))}"
    except Exception as exc:  # a grader bug or a resource problem: report it, retry on the next run
        status, retry = f"error: internal grader error: {one_line(f'{type(exc).__name__}: {exc}')}", True
    if report is None:
        report = error_report(status.removeprefix("error: "), settings, shown)
        heading, intro, advice = FEEDBACK_ERROR[settings.lang]
        feedback = (
            f"{heading.format(max=f'{report.max_score:g}')}\n\n**{intro}**: "
            f"{markdown_text(status.removeprefix('error: '))}\n\n{advice}\n"
        )
    else:
        feedback = FORMATS["markdown"](report)
        for exercise, name in save_attachments(report, folder):
            feedback += f"\n![{exercise}: {name}]({name})\n"
    data = report.to_dict()
    report_text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    score = 0.0 if status.startswith("error") else float(data["score"])
    meta = {
        "format": META_FORMAT,
        "student_id": student.id,
        "source": shown,
        "kind": student.kind,
        "fingerprint": fingerprint(student),
        **settings.key(),
        "status": status,
        "score": score,
        "max_score": float(data["max_score"]),
        "exercise_scores": {
            e["name"]: (0.0 if status.startswith("error") else float(e["score"])) for e in data["exercises"]
        },
        "submitted_at": submitted_at(student),
        "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
        "retry": retry,
        "report_sha256": hashlib.sha256(report_text.encode("utf-8")).hexdigest(),
    }
    atomic_write(folder / "report.json", report_text)
    atomic_write(folder / "feedback.md", feedback)
    atomic_write(folder / "meta.json", json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return meta


def finished(student: Student, settings: Settings, results: Path) -> dict[str, Any] | None:
    """The meta data of a finished report for ``student`` under ``settings``, else None."""
    folder = results / student.id
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        report_bytes = (folder / "report.json").read_bytes()
        if not (folder / "feedback.md").is_file():
            return None
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != META_FORMAT or meta.get("retry"):
        return None
    if any(meta.get(k) != v for k, v in settings.key().items()) or meta.get("fingerprint") != fingerprint(student):
        return None
    if hashlib.sha256(report_bytes).hexdigest() != meta.get("report_sha256"):
        return None
    try:
        validate(json.loads(report_bytes))
    except Exception:
        return None
    return meta
