"""The class gradebook, in the layout the course's tools read: the kit's own, nbgrader's export, Canvas.
Text cells (student ids, statuses) are written so that no spreadsheet evaluates them as formulas."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Sequence

from ..files import atomic_write
from ..inert import spreadsheet_cell

GRADEBOOK_FORMATS = ("kit", "nbgrader", "canvas")
#: The header ``nbgrader export`` writes (nbgrader/plugins/export.py, CsvExportPlugin), in order.
NBGRADER_HEADER = (
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)


def points_text(value: float) -> str:
    return f"{value:g}"


def gradebook_rows(
    metas: Sequence[dict[str, Any]], exercises: Sequence[str], layout: str = "kit", assignment: str = "cnn"
) -> list[list[str]]:
    """The gradebook as rows (header first) in one of ``GRADEBOOK_FORMATS``."""
    metas = sorted(metas, key=lambda m: m["student_id"])
    if layout == "kit":
        rows = [["student_id", "total", *exercises, "status"]]
        rows += [
            [
                m["student_id"],
                points_text(m["score"]),
                *[points_text(m["exercise_scores"].get(name, 0.0)) for name in exercises],
                m["status"],
            ]
            for m in metas
        ]
    elif layout == "nbgrader":
        rows = [list(NBGRADER_HEADER)]
        rows += [
            [
                assignment,
                "",
                m.get("submitted_at", ""),
                m["student_id"],
                "",
                "",
                "",
                str(float(m["score"])),
                "0.0",
                str(float(m["score"])),
                str(float(m["max_score"])),
            ]
            for m in metas
        ]
    elif layout == "canvas":
        rows = [["student_id", "score"]] + [[m["student_id"], points_text(m["score"])] for m in metas]
    else:
        raise ValueError(f"unknown gradebook format {layout!r}; choose from {', '.join(GRADEBOOK_FORMATS)}")
    return rows


def write_gradebook(
    path: Path, metas: Sequence[dict[str, Any]], exercises: Sequence[str], layout: str = "kit", assignment: str = "cnn"
) -> None:
    buffer = io.StringIO()
    rows = [[spreadsheet_cell(cell) for cell in row] for row in gradebook_rows(metas, exercises, layout, assignment)]
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    atomic_write(path, buffer.getvalue())
