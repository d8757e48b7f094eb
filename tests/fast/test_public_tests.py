"""The public tests (``exercises/tests``) against the reference solutions and against the stubs.

They run in a subprocess, exactly as a student or the CI runs them:

* ``pytest exercises --target solutions``: every public test passes;
* ``pytest exercises`` (the stubs): every public test fails, each with the one
  friendly "not implemented yet" line and no traceback, and the per-exercise
  summary lists all eight exercises.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from exercises.tests.conftest import EXERCISES

ROOT = Path(__file__).resolve().parents[2]
STUB_LINE = re.compile(r"(\w+) is not implemented yet: open exercises/(\w+)\.py / 尚未实现")


def run_public_tests(tmp_path: Path, *args: str, env_target: str | None = None):
    """Run ``pytest <args>`` in the repository root; return (process, {test id: (outcome, message, text)})."""
    env = {k: v for k, v in os.environ.items() if k not in ("CNN_KIT_TARGET", "PYTEST_ADDOPTS")}
    if env_target is not None:
        env["CNN_KIT_TARGET"] = env_target
    junit = tmp_path / "public.xml"
    command = [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"]
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    cases = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            test_id = f"{case.get('classname')}::{case.get('name')}"
            outcome, message, text = "passed", "", ""
            for child in case:
                if child.tag in ("failure", "error", "skipped"):
                    outcome, message, text = child.tag, child.get("message", ""), child.text or ""
            cases[test_id] = (outcome, message, text)
    return process, cases


def exercise_of(test_id: str) -> str:
    """``exercises.tests.test_corr2d::test_x`` -> ``corr2d``."""
    return re.search(r"\btest_(\w+?)::", test_id).group(1)


def summary_lines(stdout: str) -> list[str]:
    """The lines of the per-exercise summary, in the order printed."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "exercise summary / 练习小结" in line)
    return [line for line in lines[start + 1 : start + 1 + len(EXERCISES)]]


@pytest.fixture(scope="module")
def solutions_run(tmp_path_factory):
    return run_public_tests(tmp_path_factory.mktemp("solutions"), "exercises", "--target", "solutions")


@pytest.fixture(scope="module")
def stubs_run(tmp_path_factory):
    return run_public_tests(tmp_path_factory.mktemp("stubs"), "exercises")


def test_solutions_pass_every_public_test(solutions_run):
    process, cases = solutions_run
    output = process.stdout + process.stderr
    assert process.returncode == 0, output[-5000:]
    assert cases, output[-5000:]
    not_passed = {test_id: outcome for test_id, (outcome, _, _) in cases.items() if outcome != "passed"}
    assert not not_passed, not_passed
    assert re.search(rf"\b{len(cases)} passed\b", process.stdout), process.stdout[-2000:]
    assert {exercise_of(test_id) for test_id in cases} == set(EXERCISES)


def test_solutions_summary_ticks_every_exercise(solutions_run):
    process, _ = solutions_run
    lines = summary_lines(process.stdout)
    assert [line.split()[0] for line in lines] == list(EXERCISES), lines
    assert all(line.split()[1] == "✓" for line in lines), lines
    assert f"{len(EXERCISES)}/{len(EXERCISES)} exercises pass" in process.stdout


def test_stubs_fail_every_public_test(stubs_run, solutions_run):
    process, cases = stubs_run
    output = process.stdout + process.stderr
    assert process.returncode == 1, output[-5000:]
    assert set(cases) == set(solutions_run[1]), "the stubs and the solutions must run the same public tests"
    not_failed = {test_id: outcome for test_id, (outcome, _, _) in cases.items() if outcome != "failure"}
    assert not not_failed, not_failed
    assert re.search(rf"\b{len(cases)} failed\b", process.stdout), process.stdout[-2000:]


def test_stub_failures_are_one_friendly_line(stubs_run):
    process, cases = stubs_run
    output = process.stdout + process.stderr
    assert "Traceback" not in output
    assert "raise NotImplementedError" not in output
    assert "\nE   " not in process.stdout
    for test_id, (_, message, text) in cases.items():
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == 1, (test_id, text)
        match = STUB_LINE.fullmatch(lines[0])
        assert match, (test_id, lines[0])
        assert match.group(2) == exercise_of(test_id), (test_id, lines[0])
        assert message == lines[0]
        assert lines[0] in process.stdout


def test_stub_summary_lists_all_eight(stubs_run):
    process, _ = stubs_run
    lines = summary_lines(process.stdout)
    assert [line.split()[0] for line in lines] == list(EXERCISES), lines
    for line in lines:
        assert re.fullmatch(r"\w+ +✗ +\(not implemented / 尚未实现\)", line), line
    assert f"0/{len(EXERCISES)} exercises pass" in process.stdout


def test_target_from_environment(tmp_path):
    process, cases = run_public_tests(tmp_path, "exercises/tests/test_pooling.py", env_target="solutions")
    assert process.returncode == 0, (process.stdout + process.stderr)[-5000:]
    assert cases and all(outcome == "passed" for outcome, _, _ in cases.values())
    lines = summary_lines(process.stdout)
    assert "(solutions)" in process.stdout
    assert [line.split()[1] for line in lines] == ["–"] * 4 + ["✓"] + ["–"] * 3, lines


def test_invalid_target_is_a_usage_error(tmp_path):
    process, _ = run_public_tests(tmp_path, "exercises", "--target", "no such package")
    assert process.returncode == 4, (process.stdout + process.stderr)[-3000:]
    assert "--target" in process.stderr
