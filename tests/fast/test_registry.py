"""The exercise table is the one list every stage reads; the copies that must exist agree with it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from autograder import registry
from autograder.checks import all_checks
from autograder.report import schema
from autograder.ship.release import exercise_files
from exercises.tests.conftest import EXERCISES as PUBLIC_TESTS_EXERCISES

ROOT = Path(__file__).resolve().parents[2]


def test_public_tests_copy_of_the_names_agrees():
    """The public tests ship to students without the grader, so they keep their own copy."""
    assert PUBLIC_TESTS_EXERCISES == registry.NAMES


def test_checks_add_up_to_the_tables_points():
    checks = all_checks()
    assert [c.name for c in checks] == list(registry.NAMES)
    assert [c.max_score for c in checks] == [e.points for e in registry.EXERCISES]
    assert sum(e.points for e in registry.EXERCISES) == 100
    assert all(len({check.name for check in c.checks}) == len(c.checks) for c in checks)  # unique names


def test_uses_are_the_stubs_relative_imports():
    for exercise in registry.EXERCISES:
        for package in ("exercises", "solutions"):
            tree = ast.parse((ROOT / package / f"{exercise.name}.py").read_text(encoding="utf-8"))
            imported = {node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.level}
            if package == "exercises":
                assert imported == set(exercise.uses), exercise.name
            else:  # the reference may import helpers of the modules it uses, never anything else
                assert imported <= set(exercise.uses) | {"padding_stride", "corr2d"}, exercise.name


def test_every_exercise_has_its_files():
    for path in exercise_files():
        assert (ROOT / path).is_file(), path
    for exercise in registry.EXERCISES:
        assert (ROOT / "solutions" / f"{exercise.name}.py").is_file()
        assert (ROOT / "autograder" / "checks" / f"{exercise.name}.py").is_file() or (
            ROOT / "autograder" / "checks" / exercise.name / "__init__.py"
        ).is_file()


def test_schema_names_the_tables_exercises():
    names = schema()["properties"]["exercises"]["items"]["properties"]["name"]["enum"]
    assert names == list(registry.NAMES)


def test_notebooks_are_numbered_in_table_order():
    assert [e.notebook for e in registry.EXERCISES][:2] == ["01_corr2d", "02_conv_layer"]
    assert all(registry.by_notebook(e.notebook) is e for e in registry.EXERCISES)
    assert registry.by_notebook("09_nothing") is None


def test_select_orders_and_refuses_unknown_names():
    assert registry.select(["pooling", "corr2d", "pooling"]) == ("corr2d", "pooling")
    assert registry.select([]) == registry.NAMES
    try:
        registry.select(["corr2d", "nosuch"])
    except registry.UnknownExercise as exc:
        assert "nosuch" in str(exc) and "corr2d" in str(exc)
    else:
        raise AssertionError("an unknown exercise was accepted")


def test_readme_points_line_agrees():
    """The README's points line is the table's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = ", ".join(f"{e.name} {e.points:g}" for e in registry.EXERCISES)
    assert line in readme, line


def test_calibration_file_is_json():
    json.loads((ROOT / "autograder" / "checks" / "training" / "calibration.json").read_text())
