"""The same submission always gets the same report, and the reference trains to full marks."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.registry import NAMES
from autograder.report import validate
from autograder.runner import grade

ROOT = Path(__file__).resolve().parents[2]


def without_timings(data):
    """A report with every timing removed, for comparing runs."""
    if isinstance(data, dict):
        return {k: without_timings(v) for k, v in data.items() if k != "seconds"}
    if isinstance(data, list):
        return [without_timings(v) for v in data]
    return data


def test_three_gradings_of_the_reference_are_identical():
    reports = [grade(ROOT / "solutions", exercises=[n for n in NAMES if n != "training"]).to_dict() for _ in range(3)]
    for data in reports:
        validate(data)
        assert data["score"] == data["max_score"]
    assert without_timings(reports[0]) == without_timings(reports[1]) == without_timings(reports[2])


@pytest.mark.needs_data
def test_reference_trains_to_full_marks():
    report = grade(ROOT / "solutions", exercises=["training"]).to_dict()
    if not report["complete"]:
        pytest.skip("Fashion-MNIST is not available: " + "; ".join(report["incomplete_reasons"]))
    assert report["score"] == report["max_score"] == 16
