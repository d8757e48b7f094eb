"""Each statement's Rules section, in English and in Chinese, lists exactly the exercise's rule checks
with their points, so a student sees the price of each rule before starting."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from autograder.checks import all_checks
from autograder.registry import NAMES

ROOT = Path(__file__).resolve().parents[2]
#: A rule's bullet: ``* ``name`` (0.5 points): ...`` in English, ``* ``name``（0.5 分）：...`` in Chinese.
BULLETS = {
    "en": re.compile(r"^\* ``(\w+)`` \(([\d.]+) points?\):", re.MULTILINE),
    "zh": re.compile(r"^\* ``(\w+)``（([\d.]+) 分）：", re.MULTILINE),
}


def statement(name: str) -> dict[str, str]:
    """The English and the Chinese half of ``exercises/<name>.py``'s docstring."""
    docstring = ast.get_docstring(ast.parse((ROOT / "exercises" / f"{name}.py").read_text(encoding="utf-8")))
    english, chinese = docstring.split("\n中文\n", 1)
    return {"en": english, "zh": chinese}


def listed_rules(text: str, lang: str) -> dict[str, float]:
    """The rules a Rules section lists, with their points, in order."""
    section = text[text.index("Rules:" if lang == "en" else "规则：") :]
    found = BULLETS[lang].findall(section)
    assert len({name for name, _ in found}) == len(found), f"a rule is listed twice: {found}"
    return {name: float(points) for name, points in found}


@pytest.mark.parametrize("exercise", all_checks(), ids=NAMES)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rules_section_lists_every_rule_check_with_its_points(exercise, lang):
    expected = {check.name: check.points for check in exercise.rules}
    assert listed_rules(statement(exercise.name)[lang], lang) == expected


def test_points_are_written_as_people_read_them():
    """'1 point', '0.5 points' (never '1 points' or '1.0 point')."""
    for name in NAMES:
        english = statement(name)["en"]
        for points, word in re.findall(r"^\* ``\w+`` \(([\d.]+) (points?)\)", english, re.MULTILINE):
            assert points == f"{float(points):g}", points
            assert word == ("point" if float(points) == 1 else "points"), f"{name}: {points} {word}"


def test_every_exercise_has_rules():
    """Every exercise has at least one rule check (the test above would pass vacuously otherwise)."""
    assert all(exercise.rules for exercise in all_checks())
