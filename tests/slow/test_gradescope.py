"""``autograde gradescope build``: the zip's ``run_autograder`` grades ``/autograder/submission`` and
writes a valid ``/autograder/results/results.json``, run here against a fake ``/autograder`` tree."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from autograder.training_budgets import BUDGETS

ROOT = Path(__file__).resolve().parents[2]

#: Gradescope's results.json, as its autograder documentation specifies it (the fields we write).
RESULTS_SCHEMA = {
    "type": "object",
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number", "minimum": 0},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "status", "output", "visibility"],
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "score": {"type": "number", "minimum": 0},
                    "max_score": {"type": "number", "minimum": 0},
                    "status": {"enum": ["passed", "failed"]},
                    "output": {"type": "string"},
                    "visibility": {"enum": ["hidden", "after_due_date", "after_published", "visible"]},
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    # The small training budget keeps this test short; the zip's default is the standard budget.
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "gradescope", "build", str(out), "--training-budget", "small"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out


def fake_autograder(tmp_path: Path, zip_path: Path, submission_files: dict[str, bytes]) -> Path:
    """``/autograder`` as Gradescope lays it out: source/ (the unzipped autograder), submission/, results/."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile does not restore modes; Gradescope does
            mode = info.external_attr >> 16
            if mode:
                os.chmod(root / "source" / info.filename, stat.S_IMODE(mode))
    (root / "submission").mkdir()
    for name, content in submission_files.items():
        (root / "submission" / name).write_bytes(content)
    (root / "results").mkdir()
    return root


def run_autograder(root: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    env |= {"AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run(
        [str(root / "source" / "run_autograder")], capture_output=True, text=True, env=env, timeout=1200
    )
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, RESULTS_SCHEMA)
    return done, results


def test_zip_has_gradescopes_layout_and_no_tests(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        run_script = archive.read("run_autograder").decode()
    assert {
        "setup.sh",
        "run_autograder",
        "pyproject.toml",
        "autograder/cli.py",
        "autograder/report/schema.json",
        "solutions/corr2d.py",
        "cnnkit/data.py",
    } <= names
    assert all(modes[name] & 0o111 for name in ("setup.sh", "run_autograder"))
    assert not any(name.startswith(("tests/", ".git")) or "__pycache__" in name for name in names)
    assert "--training-budget small" in run_script and "{{" not in run_script


def test_setup_script_is_valid_bash(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extract("setup.sh", tmp_path)
    assert subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")]).returncode == 0


@pytest.mark.slow
@pytest.mark.needs_data
def test_run_autograder_grades_the_reference_to_full_marks(autograder_zip, tmp_path):
    files = {p.name: p.read_bytes() for p in (ROOT / "solutions").glob("*.py")}
    root = fake_autograder(tmp_path, autograder_zip, files)
    done, results = run_autograder(root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert results["score"] == 100, [t for t in results["tests"] if t["status"] != "passed"]
    assert sum(t["max_score"] for t in results["tests"]) == 100
    assert all(t["status"] == "passed" for t in results["tests"])
    # Gradescope shows no training.png: the history check shows the curve as numbers instead
    history = next(t["output"] for t in results["tests"] if t["name"].startswith("training: train_ch6 returns"))
    curves = history.splitlines()[1:]
    assert [line.split()[:2] for line in curves] == [["train", "loss"], ["train", "acc"], ["test", "acc"]], history
    epochs = BUDGETS["small"].epochs
    assert all(len(line.split()) == 2 + epochs for line in curves), history


def test_run_autograder_grades_a_broken_submission(autograder_zip, tmp_path):
    files = {"corr2d.py": b"def corr2d(X, K):\n    return (\n", "pooling.py": b"import os\nos._exit(3)\n"}
    root = fake_autograder(tmp_path, autograder_zip, files)
    done, results = run_autograder(root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert results["score"] == 0
    corr2d = [t for t in results["tests"] if t["name"].startswith("corr2d")]
    assert corr2d and all(t["status"] == "failed" and "SyntaxError" in t["output"] for t in corr2d)


def test_run_autograder_answers_when_nothing_can_be_graded(autograder_zip, tmp_path):
    root = fake_autograder(tmp_path, autograder_zip, {})
    shutil.rmtree(root / "submission")  # e.g. an upload that never arrived
    done, results = run_autograder(root)
    assert done.returncode == 0
    assert results["score"] == 0 and results["tests"] == [] and "could not grade" in results["output"]
