"""The time budgets as the checks see them: a request never waits past the deadline, a spent budget
stops the check with the reason ``budget_spent``, hypothesis stops shrinking once the check has used
its share of the time (and reports the counterexample it has), and a submission whose budget is
spent gets a complete report in which the checks not run say why."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import strategies as st

from autograder.checks.deadline import Deadline
from autograder.checks.framework import CheckFailed, Context, StopCheck
from autograder.reasons import Reason
from autograder.report import validate
from autograder.runner import grade
from autograder.settings import Settings, WorkerConfig
from autograder.text import Text
from autograder.worker.client import WorkerError

ROOT = Path(__file__).resolve().parents[2]
BUDGET = Text("this exercise's time budget (60 s)", "本练习的评分时间预算（60 秒）")


class FakeWorker:
    """Answers every request at once (or raises ``error``), recording the time limit it was given."""

    config = WorkerConfig()

    def __init__(self, error: Exception | None = None):
        self.error, self.timeouts = error, []

    def request(self, message: dict, timeout: float | None = None) -> dict:
        self.timeouts.append(timeout)
        if self.error is not None:
            raise self.error
        return {"ok": True, "value": 1}


def context(worker: FakeWorker, deadline: Deadline) -> Context:
    return Context(worker, lambda: worker, None, Settings(), deadline=deadline)


def test_a_request_never_waits_past_the_deadline():
    worker = FakeWorker()
    assert context(worker, Deadline(time.monotonic() + 5, BUDGET)).call("pooling.pool2d") == 1
    assert 4 < worker.timeouts[-1] <= 5
    context(worker, Deadline.unbounded()).call("pooling.pool2d")
    assert worker.timeouts[-1] == WorkerConfig().call_timeout


def test_a_spent_budget_stops_the_check_without_calling():
    worker = FakeWorker()
    with pytest.raises(StopCheck) as stop:
        context(worker, Deadline(time.monotonic() - 1, BUDGET)).call("pooling.pool2d")
    assert (
        stop.value.reason == Reason.BUDGET_SPENT and "this exercise's time budget (60 s) ran out" in stop.value.text.en
    )
    assert worker.timeouts == []


def test_a_timeout_cut_short_by_the_deadline_is_the_budgets_doing():
    hang = WorkerError(Reason.TIMEOUT, "no answer within 5 s")
    with pytest.raises(StopCheck) as stop:
        context(FakeWorker(hang), Deadline(time.monotonic() + 5, BUDGET)).call("pooling.pool2d")
    assert stop.value.reason == Reason.BUDGET_SPENT
    with pytest.raises(StopCheck) as stop:
        context(FakeWorker(hang), Deadline.unbounded()).call("pooling.pool2d")
    assert stop.value.reason == Reason.TIMEOUT


def test_a_check_may_shrink_for_its_share_of_the_time_left():
    deadline = Deadline(time.monotonic() + 100, BUDGET)
    deadline.start_check(4)
    assert 24 < deadline.shrink_until - time.monotonic() <= 25 and deadline.may_shrink()
    deadline.shrink_until = time.monotonic() - 1
    assert not deadline.may_shrink()


def run_failing_property(ctx: Context, calls: list[int]) -> CheckFailed:
    """A property that fails for every x >= 10; the failure it ends with."""

    @ctx.given(st.integers(0, 10_000))
    def prop(x):
        calls.append(x)
        if x >= 10:
            raise CheckFailed(Text(f"x = {x} is too large", f"x = {x} 太大"))

    with pytest.raises(CheckFailed) as failed:
        prop()
    return failed.value


def test_hypothesis_shrinks_while_the_check_has_time():
    calls: list[int] = []
    failure = run_failing_property(context(FakeWorker(), Deadline.unbounded()), calls)
    assert failure.text.en == "x = 10 is too large"


def test_hypothesis_stops_shrinking_when_the_checks_share_is_used_and_reports_what_it_has():
    calls: list[int] = []
    deadline = Deadline(time.monotonic() + 60, BUDGET, shrink_until=time.monotonic() - 1)
    failure = run_failing_property(context(FakeWorker(), deadline), calls)
    first = next(x for x in calls if x >= 10)
    assert calls[-1] == first, "the submission was called again after the first failing example"
    assert failure.text.en.startswith(f"x = {first} is too large")
    assert "not shrunk any further" in failure.text.en and "未再进一步化简" in failure.text.zh


def expect_not_run(report, exercises: list[str]) -> None:
    data = report.to_dict()
    validate(data)
    assert [e["name"] for e in data["exercises"]] == exercises and data["complete"]
    assert data["score"] == 0
    for check in (c for e in data["exercises"] for c in e["checks"]):
        assert (check["status"], check["reason"]) == ("error", "budget_spent"), check
        assert "time budget" in check["message"], check


def test_a_spent_submission_budget_runs_no_check():
    report = grade(ROOT / "solutions", exercises=["corr2d", "pooling"], worker=WorkerConfig(submission_seconds=1e-3))
    expect_not_run(report, ["corr2d", "pooling"])
    assert all("the submission's time budget" in c.message.en for e in report.exercises for c in e.checks)


def test_an_exercise_budget_spent_while_its_modules_load_stops_every_check():
    expect_not_run(
        grade(ROOT / "solutions", exercises=["corr2d"], worker=WorkerConfig(exercise_seconds=1e-3)), ["corr2d"]
    )
