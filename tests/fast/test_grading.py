"""The grader end to end, once: the reference scores full (training aside), stubs score zero, every
format renders, and the command line keeps its contract."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder import cli
from autograder.reasons import Reason
from autograder.registry import NAMES
from autograder.report import FORMATS, validate
from autograder.runner import grade

ROOT = Path(__file__).resolve().parents[2]
WITHOUT_TRAINING = [name for name in NAMES if name != "training"]


@pytest.fixture(scope="module")
def reference_report():
    return grade(ROOT / "solutions", exercises=WITHOUT_TRAINING)


@pytest.fixture(scope="module")
def stub_report():
    return grade(ROOT / "exercises")


def test_reference_scores_full_marks(reference_report):
    data = reference_report.to_dict()
    validate(data)
    failed = [
        (e["name"], c["name"], c["message"]) for e in data["exercises"] for c in e["checks"] if c["status"] != "passed"
    ]
    assert failed == []
    assert data["score"] == data["max_score"] == 100 - 16
    assert [e["name"] for e in data["exercises"]] == WITHOUT_TRAINING
    assert all(c["reason"] is None for e in data["exercises"] for c in e["checks"])


def test_stubs_score_zero_with_not_implemented_messages(stub_report):
    data = stub_report.to_dict()
    validate(data)
    assert [e["name"] for e in data["exercises"]] == list(NAMES)
    assert data["score"] == 0 and data["max_score"] == 100
    for exercise in data["exercises"]:
        for check in exercise["checks"]:
            assert check["status"] in ("failed", "skipped"), check
            if check["status"] == "failed":
                assert "not implemented" in check["message"] and check["reason"] == Reason.NOT_IMPLEMENTED, check
    assert "Traceback" not in FORMATS["text"](stub_report)
    assert "尚未实现" in FORMATS["text"](stub_report, "zh")


def test_every_format_renders_and_parses(stub_report):
    assert json.loads(FORMATS["json"](stub_report))["max_score"] == 100
    suites = ET.fromstring(FORMATS["junit"](stub_report))
    assert len(suites.findall("testsuite")) == len(NAMES)
    results = json.loads(FORMATS["gradescope"](stub_report))
    assert results["score"] == 0 and results["tests"]
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(results["tests"][0])
    assert "| corr2d |" in FORMATS["markdown"](stub_report)


def test_cli_contract(tmp_path, capsys):
    out = tmp_path / "report.json"
    assert cli.main(["grade", "solutions", "--only", "corr2d", "--json", str(out), "--lang", "zh"]) == 0
    data = json.loads(out.read_text())
    validate(data)
    assert data["score"] == data["max_score"] == 14 and data["lang"] == "zh"
    assert "总分" in capsys.readouterr().out
    assert cli.main(["grade", "exercises", "--only", "corr2d", "--fail-under", "1"]) == 1
    # a percentage of the points graded: full marks on one exercise meet 60 (14 of 14 points)
    assert cli.main(["grade", "solutions", "--only", "corr2d", "--fail-under", "60"]) == 0
    capsys.readouterr()
    assert cli.main(["grade", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli.main([]) == 0 and "grade-all" in capsys.readouterr().out


def test_repository_root_is_accepted(tmp_path):
    (tmp_path / "exercises").mkdir()
    for module in (ROOT / "solutions").glob("*.py"):
        (tmp_path / "exercises" / module.name).write_bytes(module.read_bytes())
    assert grade(tmp_path, exercises=["pooling"]).to_dict()["score"] == 12


def test_an_exercise_that_cannot_be_imported_says_so(tmp_path):
    for module in (ROOT / "solutions").glob("*.py"):
        (tmp_path / module.name).write_bytes(module.read_bytes())
    (tmp_path / "pooling.py").write_text("def pool2d(:\n")
    checks = grade(tmp_path, exercises=["pooling"]).exercises[0].checks
    assert {c.reason for c in checks} == {Reason.IMPORT_ERROR}
    assert all("could not import pooling.py" in c.message.en and "SyntaxError" in c.message.en for c in checks)
