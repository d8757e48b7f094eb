"""The results folder: write a graded student (``report.json``, ``feedback.md``, the drawings, and
``meta.json`` last, each atomically) and tell whether a student graded earlier is finished (resume).

Only the process that runs the batch writes here, whichever executor graded, so a resumed or
``--regrade`` run sees the same files after ``-j`` and after a Dask cluster.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from ..files import atomic_write, save_attachments
from ..inert import markdown_text
from ..report import FORMATS, validate
from ..settings import Settings
from .discover import Student, submitted_at
from .student import Graded, error_report, one_line

#: Version of ``meta.json``; a run finds the meta data of another version unfinished.
META_FORMAT = 2
FEEDBACK_ERROR = {
    "en": ("## cnn-kit grade: 0/{max}", "Your submission could not be graded", "Fix this and submit again."),
    "zh": ("## cnn-kit 评分: 0/{max}", "你的提交无法评分", "请修正后重新提交。"),
}


def write_student(
    student: Student, fingerprint: str, graded: Graded, settings: Settings, results: Path
) -> dict[str, Any]:
    """Write ``graded`` into ``results/<id>/``; return the meta data (what the gradebook needs).

    ``fingerprint`` is the submission's, taken before it was read, so a submission changed during
    grading is graded again on the next run."""
    folder = results / student.id
    shown = str(student.path)
    status = graded.status
    if graded.report is None:
        report = error_report(graded, settings, shown)
        heading, intro, advice = FEEDBACK_ERROR[settings.lang]
        reason = markdown_text(one_line(graded.failure(settings.lang)))
        feedback = f"{heading.format(max=f'{report.max_score:g}')}\n\n**{intro}**: {reason}\n\n{advice}\n"
    else:
        report = graded.report
        feedback = FORMATS["markdown"](report)
        for exercise, name in save_attachments(report, folder):
            feedback += f"\n![{exercise}: {name}]({name})\n"
    data = report.to_dict()
    report_text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    errored = status.startswith("error")
    meta = {
        "format": META_FORMAT,
        "student_id": student.id,
        "source": shown,
        "kind": student.kind,
        "fingerprint": fingerprint,
        **settings.key(),
        "status": status,
        "score": 0.0 if errored else float(data["score"]),
        "max_score": float(data["max_score"]),
        "exercise_scores": {e["name"]: (0.0 if errored else float(e["score"])) for e in data["exercises"]},
        "submitted_at": submitted_at(student),
        "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(graded.seconds, 3),
        "retry": graded.retry,
        "report_sha256": hashlib.sha256(report_text.encode("utf-8")).hexdigest(),
    }
    atomic_write(folder / "report.json", report_text)
    atomic_write(folder / "feedback.md", feedback)
    atomic_write(folder / "meta.json", json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return meta


def finished(student: Student, fingerprint: str, settings: Settings, results: Path) -> dict[str, Any] | None:
    """The meta data of a finished report for ``student`` (whose submission has ``fingerprint``) under
    ``settings``, else None: graded by this grader, with these limits and options, and intact."""
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
    if any(meta.get(k) != v for k, v in settings.key().items()) or meta.get("fingerprint") != fingerprint:
        return None
    if hashlib.sha256(report_bytes).hexdigest() != meta.get("report_sha256"):
        return None
    try:
        validate(json.loads(report_bytes))
    except Exception:
        return None
    return meta
