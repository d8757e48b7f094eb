"""The grader end to end: the reference scores full, stubs score zero, the CLI keeps its contract."""
from __future__ import annotations

import io
import json
import pickle
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch

from autograder.checks import EXERCISE_NAMES
from autograder.report import validate
from autograder.report.render import FORMATS
from autograder.runner import grade
from autograder.worker import protocol

ROOT = Path(__file__).resolve().parents[1]
WITHOUT_TRAINING = [name for name in EXERCISE_NAMES if name != "training"]


def without_timings(data):
    """A report with every timing removed, for comparing runs."""
    if isinstance(data, dict):
        return {k: without_timings(v) for k, v in data.items() if k != "seconds"}
    if isinstance(data, list):
        return [without_timings(v) for v in data]
    return data


@pytest.fixture(scope="module")
def reference_reports():
    return [grade(ROOT / "solutions", only=WITHOUT_TRAINING) for _ in range(3)]


@pytest.fixture(scope="module")
def stub_report():
    return grade(ROOT / "exercises")


def test_reference_scores_full_marks_three_times_identically(reference_reports):
    dicts = [r.to_dict() for r in reference_reports]
    for data in dicts:
        validate(data)
        failed = [(e["name"], c["name"], c["message"]) for e in data["exercises"] for c in e["checks"]
                  if c["status"] != "passed"]
        assert failed == []
        assert data["score"] == data["max_score"]
    assert [e["name"] for e in dicts[0]["exercises"]] == WITHOUT_TRAINING
    assert without_timings(dicts[0]) == without_timings(dicts[1]) == without_timings(dicts[2])


@pytest.mark.needs_data
def test_reference_trains_to_full_marks():
    report = grade(ROOT / "solutions", only=["training"]).to_dict()
    if not report["complete"]:
        pytest.skip("Fashion-MNIST is not available: " + "; ".join(report["incomplete_reasons"]))
    assert report["score"] == report["max_score"] > 0


def test_points_add_up_to_100():
    report = grade(ROOT / "solutions", only=["theory"])  # cheap; the maxima come from the registry
    from autograder.checks import exercises

    assert sum(e.max_score for e in exercises()) == 100
    assert all(e.max_score > 0 for e in exercises())
    assert report.max_score == next(e.max_score for e in exercises() if e.name == "theory")


def test_stubs_score_zero_with_not_implemented_messages(stub_report):
    data = stub_report.to_dict()
    validate(data)
    assert [e["name"] for e in data["exercises"]] == list(EXERCISE_NAMES)
    assert data["score"] == 0
    for exercise in data["exercises"]:
        for check in exercise["checks"]:
            assert check["status"] in ("failed", "skipped"), check
            if check["status"] == "failed":
                assert "not implemented" in check["message"], check
    text = FORMATS["text"](stub_report)
    assert "Traceback" not in text
    assert "尚未实现" in FORMATS["text"](stub_report, "zh")


def test_every_format_renders_and_parses(stub_report):
    assert json.loads(FORMATS["json"](stub_report))["max_score"] == 100
    suites = ET.fromstring(FORMATS["junit"](stub_report))
    assert len(suites.findall("testsuite")) == len(EXERCISE_NAMES)
    results = json.loads(FORMATS["gradescope"](stub_report))
    assert results["score"] == 0 and results["tests"]
    assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(results["tests"][0])
    assert "| corr2d |" in FORMATS["markdown"](stub_report)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def test_cli_contract(tmp_path):
    out = tmp_path / "report.json"
    done = run_cli("grade", "solutions", "--only", "corr2d", "--json", str(out), "--lang", "zh")
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    validate(data)
    assert data["score"] == data["max_score"] == 14
    assert "总分" in done.stdout
    assert run_cli("grade", "exercises", "--only", "corr2d", "--fail-under", "1").returncode == 1
    # a percentage of the points graded: full marks on one exercise meet 60 (14 of 14 points)
    assert run_cli("grade", "solutions", "--only", "corr2d", "--fail-under", "60").returncode == 0
    assert run_cli("grade", "solutions", "--only", "corr2d", "--fail-under", "160").returncode == 2
    missing = run_cli("grade", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert run_cli("grade", "solutions", "--only", "nosuch").returncode == 2
    usage = run_cli()
    assert usage.returncode == 0 and "grade" in usage.stdout


def test_repository_root_is_accepted(tmp_path):
    (tmp_path / "exercises").mkdir()
    for module in (ROOT / "solutions").glob("*.py"):
        (tmp_path / "exercises" / module.name).write_bytes(module.read_bytes())
    assert grade(tmp_path, only=["pooling"]).to_dict()["score"] == 12



@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")  # the forged payload's, expected
def test_protocol_never_unpickles_objects(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    buffer = io.BytesIO()
    torch.save({"0": Evil()}, buffer)
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(json.dumps({"value": {"__tensor__": "0"}}).encode(), buffer.getvalue())
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(json.dumps({"value": 1}).encode(), pickle.dumps(Evil()))
    assert not marker.exists()


def test_protocol_round_trip_and_opaque_objects():
    message = {"value": (torch.arange(6.0).reshape(2, 3)[:, 1:], [1, 2.5, "x"], {"k": None}), "other": object()}
    packed = protocol.pack(message)
    (json_len,) = struct.unpack("<I", packed[:4])
    body = packed[4:4 + json_len]
    blob = packed[4 + json_len + 8:]
    back = protocol.unpack(body, blob)
    assert torch.equal(back["value"][0], torch.tensor([[1.0, 2.0], [4.0, 5.0]]))
    assert back["value"][1:] == ([1, 2.5, "x"], {"k": None})
    assert isinstance(back["other"], protocol.Opaque) and back["other"].type_name == "builtins.object"
