"""Check results with an explicit score: a partial credit and a check stopped by the time budget show
in every format (text, Markdown, JSON and its schema, JUnit, Gradescope), and so does the
submission's total grading time."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from autograder.checks.framework import Check, Partial
from autograder.reasons import Reason
from autograder.report import FORMATS, validate
from autograder.runner.exercise import run_check
from autograder.runner.results import CheckResult, ExerciseResult, Report
from autograder.settings import Settings
from autograder.text import Text


def report() -> Report:
    checks = [
        CheckResult("history_format", Text("history", "记录"), "passed", 2),
        CheckResult(
            "reaches_accuracy",
            Text("accuracy", "精度"),
            "partial",
            4,
            Text("accuracy 0.3100: 48% of the points", "精度 0.3100：得 48% 的分数"),
            score=1.92,
        ),
        CheckResult(
            "follows_lr",
            Text("lr", "学习率"),
            "error",
            1,
            Text("not run: this exercise's time budget (120 s) was spent", "未运行：本练习的评分时间预算已用完"),
            reason=Reason.BUDGET_SPENT,
        ),
    ]
    return Report([ExerciseResult("training", checks)], "sub", Settings(exercises=("training",)), seconds=12.34)


def test_scores_add_up_with_a_partial_credit():
    graded = report()
    assert (graded.score, graded.max_score) == (pytest.approx(3.92), 7)
    data = graded.to_dict()
    validate(data)
    partial, stopped = data["exercises"][0]["checks"][1:]
    assert (partial["status"], partial["score"], partial["max_score"]) == ("partial", 1.92, 4)
    assert (stopped["status"], stopped["score"], stopped["reason"]) == ("error", 0, "budget_spent")
    assert data["seconds"] == 12.34 and data["complete"]


def test_every_format_shows_the_partial_credit_and_the_grading_time():
    graded = report()
    text = FORMATS["text"](graded)
    assert "◐" in text and "(1.92/4)" in text and "48% of the points" in text and "graded in 12.3 s" in text
    assert "评分用时 12.3 秒" in FORMATS["text"](graded, "zh")
    markdown = FORMATS["markdown"](graded)
    assert "(1.92/4)" in markdown and "graded in 12.3 s" in markdown
    suites = ET.fromstring(FORMATS["junit"](graded))
    assert suites.get("time") == "12.340"
    failure = suites.find("testsuite/testcase[@name='reaches_accuracy']/failure")
    assert failure is not None and failure.get("message").startswith("partial credit 1.92/4: accuracy 0.3100")
    assert suites.find("testsuite").get("failures") == "1" and suites.find("testsuite").get("errors") == "1"
    results = json.loads(FORMATS["gradescope"](graded))
    assert [t["score"] for t in results["tests"]] == [2, 1.92, 0]
    assert results["execution_time"] == 12 and "graded in 12.3 s" in results["output"]
    assert json.loads(FORMATS["json"](graded))["exercises"][0]["checks"][1]["status"] == "partial"


def test_a_score_must_agree_with_its_status():
    for status, score in (("partial", 0.0), ("partial", 4.0), ("passed", 1.0), ("failed", 1.0)):
        with pytest.raises(ValueError, match="cannot score"):
            CheckResult("c", Text("c", "c"), status, 4, score=score)
    with pytest.raises(ValueError, match="status must be one of"):
        CheckResult("c", Text("c", "c"), "half", 4)
    assert CheckResult("c", Text("c", "c"), "failed", 4).score == 0


def test_a_judge_returns_a_partial_credit():
    check = Check("band", Text("band", "区间"), 4, lambda ctx: Partial(0.25, Text("a quarter", "四分之一")))
    result = run_check(check, ctx=None)
    assert (result.status, result.score, result.message.en) == ("partial", 1.0, "a quarter")
    for fraction in (0, 1, 1.5):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            Partial(fraction, Text("", ""))
