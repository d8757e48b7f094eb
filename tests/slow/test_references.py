"""Reference workers shared by the gradings of a batch (``runner.workers.References``): a class pays
one reference start per grading running at once, a dead reference is replaced, and closing the batch
stops every reference. The gradings are real (corr2d, whose rule checks call the reference)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.batch.discover import Student
from autograder.batch.pool import LocalPool
from autograder.runner import grade, workers
from autograder.settings import Settings, WorkerConfig
from autograder.worker import sandbox

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = Settings(exercises=("corr2d",))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sandbox.refusal(WorkerConfig()) is not None, reason=f"no sandbox here: {sandbox.refusal(WorkerConfig())}"
    ),
]


@pytest.fixture
def started(monkeypatch) -> list[workers.Reference]:
    """Every ``Reference`` started from now on, in order."""
    found: list[workers.Reference] = []
    original = workers.Reference.__init__

    def record(self, *args, **kwargs):
        original(self, *args, **kwargs)
        found.append(self)

    monkeypatch.setattr(workers.Reference, "__init__", record)
    return found


def test_a_batch_starts_one_reference_per_grading_at_once(tmp_path, started):
    students = []
    for index in range(3):
        shutil.copytree(ROOT / "solutions", tmp_path / f"student{index}")
        students.append(Student(f"student{index}", tmp_path / f"student{index}", "dir"))
    graded = {student.id: result for student, result in LocalPool(jobs=1).grade(students, SETTINGS)}
    assert sorted(graded) == [student.id for student in students]
    assert all(result.report.score == result.report.max_score for result in graded.values())
    assert len(started) == 1
    assert started[0].servings == 3
    assert not started[0]._worker.alive  # the batch stopped it when it ended


def test_borrowed_references_are_kept_replaced_and_stopped(tmp_path, started):
    with workers.References() as references:
        with references.borrow(SETTINGS.worker) as first:
            with references.borrow(SETTINGS.worker) as second:
                assert second is not first  # two gradings at once: two references
        with references.borrow(SETTINGS.worker) as again:
            assert again in (first, second)
            again().kill()  # loaded, then lost: the next grading must not notice
        report = grade(ROOT / "solutions", SETTINGS, references=references)
        assert report.score == report.max_score
        assert len(started) == 2
    assert not any(reference._worker.alive for reference in started)


def test_a_grading_of_its_own_stops_its_reference(started):
    report = grade(ROOT / "solutions", SETTINGS)
    assert report.score == report.max_score
    assert len(started) == 1 and not started[0]._worker.alive
