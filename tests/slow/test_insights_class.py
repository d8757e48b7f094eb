"""The class report of a really graded class: ``grade-all`` on the generated class (``tests/generated_class.py``)
writes it, and its pass rates per check are the ones the class was built to have.

The class is graded once per module (every exercise but training, ``-j 2``); the training accuracies come
from a second, smaller batch (``--only training``: the reference and a loop without ``zero_grad``), which
needs Fashion-MNIST.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import cli, registry
from autograder.insights import charts, class_report
from autograder.training_budgets import BUDGETS, DEFAULT_BUDGET
from tests.browser import assert_not_blank, require_chromium
from tests.generated_class import corpus, expected_passes, small_class, student, write_class

pytestmark = pytest.mark.slow

GRADED = [name for name in registry.NAMES if name != "training"]


def grade_all(students, folder: Path, only: list[str]) -> Path:
    submissions = write_class(folder / "submissions", students)
    results = folder / "results"
    argv = ["grade-all", str(submissions), "--out", str(results), "-j", "2", "--only", ",".join(only)]
    assert cli.main(argv) == 0
    return results


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    students = small_class()
    return students, grade_all(students, tmp_path_factory.mktemp("class"), GRADED)


def test_grade_all_writes_the_class_report(graded):
    _, results = graded
    assert (results / "class.html").is_file()
    assert (results / "class.md").read_text(encoding="utf-8").startswith("# Class report")


def test_pass_rates_per_check_are_the_expected_ones(graded):
    students, results = graded
    report = class_report(results)
    assert report.unreadable == [] and report.summary.count == len(students)
    seen = 0
    for exercise in report.exercises:
        for check in exercise.checks:
            assert (check.passed, check.attempted) == expected_passes(students, exercise.name, check.name), (
                f"{exercise.name}/{check.name}"
            )
            assert check.not_gradable == 0
            seen += 1
    assert seen == sum(len(e.checks) for e in report.exercises) > 40
    assert report.summary.count_of("complete") == len(students)
    stubs = sum(not s.modules["corr2d"].attempted for s in students)
    assert report.ungraded.students == {"not_implemented": stubs + 1}  # partial01 left five exercises as stubs


def test_the_hardest_checks_are_the_wrong_cases(graded):
    students, results = graded
    hardest = class_report(results).hardest
    failing = {(e, c) for s in students for e, source in s.modules.items() for c in source.fails}
    top = {(c.exercise, c.name) for c in hardest[: len(failing)]}
    assert top == failing
    assert all(c.failures for c in hardest[: len(failing)])


def test_class_page_of_a_graded_class_in_a_browser(graded, tmp_path):
    _, results = graded
    shown = require_chromium(results / "class.html", tmp_path / "class.png")
    assert shown.console == []
    assert_not_blank(shown)
    assert shown.has_colour(charts.STATE_COLOURS["complete"])


@pytest.mark.needs_data
def test_training_accuracies_against_the_threshold(tmp_path):
    students = [student("trained"), student("no_zero_grad", training=corpus("wrong/training/no_zero_grad"))]
    results = grade_all(students, tmp_path, ["training"])
    data = json.loads((results / "trained" / "report.json").read_text(encoding="utf-8"))
    accuracy = next(c for c in data["exercises"][0]["checks"] if c["name"] == "reaches_accuracy")
    if accuracy["reason"] == "environment":
        pytest.skip(f"training was not graded here: {accuracy['message']}")
    measured = class_report(results).accuracies
    threshold = BUDGETS[DEFAULT_BUDGET].threshold
    assert (measured.budget, measured.threshold) == (DEFAULT_BUDGET, threshold)
    assert len(measured.values) == 2 and measured.passed == 1
    assert measured.values[0] < threshold <= measured.values[1]
    shown = require_chromium(results / "class.html", tmp_path / "class.png", height=2000)
    assert shown.console == [] and shown.has_colour(charts.ACCURACY_COLOUR)
