"""The batch's parts without grading anything: zip archives, student discovery, gradebook layouts,
the exit status of a batch that cannot run, and a grader bug that must not stop the batch."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from autograder import cli, provenance
from autograder.batch import discover, gradebook, student
from autograder.checks import all_checks
from autograder.load import SubmissionError
from autograder.load.archive import extract_zip, unwrap
from autograder.reasons import Reason
from autograder.report import validate
from autograder.report.schema import schema

ROOT = Path(__file__).resolve().parents[2]
AVAILABLE = [e.name for e in all_checks()]


def copy_modules(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for module in source.glob("*.py"):
        shutil.copyfile(module, target / module.name)


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def grade_all_here(capsys, *args) -> str:
    """``autograde grade-all ARGS`` in this process; its standard output."""
    capsys.readouterr()
    assert cli.main(["grade-all", *map(str, args)]) == 0
    return capsys.readouterr().out


def test_nbgrader_header_matches_nbgrader():
    spec = importlib.util.find_spec("nbgrader")  # its source, without importing all of nbgrader
    if spec is None or spec.origin is None:
        pytest.skip("nbgrader is not installed")
    source = (Path(spec.origin).parent / "plugins" / "export.py").read_text()
    keys = re.search(r"keys = \[(.*?)\]", source, re.S).group(1)
    assert tuple(re.findall(r'"(\w+)"', keys)) == gradebook.NBGRADER_HEADER


def test_cannot_run_exits_2(tmp_path, capsys):
    assert cli.main(["grade-all", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "not a directory" in capsys.readouterr().err
    (tmp_path / "class").mkdir()
    for bad in (["-j", "0"], ["--only", "nonsense"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), *bad])
        assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade-all", str(tmp_path / "class")])  # --out is required
    assert exit_info.value.code == 2
    # an empty class is a completed batch with a header-only gradebook
    assert cli.main(["grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out")]) == 0
    assert read_csv(tmp_path / "out" / "gradebook.csv") == [["student_id", "total", *AVAILABLE, "status"]]


def make_zip(path: Path, entries: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    "entries, symlinks, reason",
    [
        ({"/abs/corr2d.py": b"x = 1\n"}, (), "absolute path"),
        ({"C:/corr2d.py": b"x = 1\n"}, (), "absolute path"),
        ({"a/../../corr2d.py": b"x = 1\n"}, (), "leaves the archive"),
        ({"..\\corr2d.py": b"x = 1\n"}, (), "leaves the archive"),
        ({"corr2d.py": b"x = 1\n"}, ("pooling.py",), "symbolic link"),
        ({f"m{i}.py": b"" for i in range(30)}, (), "entries, more than"),
        ({"corr2d.py": b"\0" * 5000}, (), "would expand to"),
    ],
)
def test_extract_zip_rejects(tmp_path, entries, symlinks, reason):
    archive = make_zip(tmp_path / "s.zip", entries, symlinks)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(SubmissionError, match=reason):
        extract_zip(archive, target, max_bytes=4096, max_files=20)
    assert not (tmp_path / "corr2d.py").exists() and not Path("/abs/corr2d.py").exists()


def test_extract_zip_unwraps_and_skips_macos_litter(tmp_path):
    archive = make_zip(
        tmp_path / "s.zip",
        {"alice/corr2d.py": b"x = 1\n", "__MACOSX/alice/._corr2d.py": b"\0\1", "alice/._pooling.py": b"\0"},
    )
    target = tmp_path / "out"
    target.mkdir()
    extract_zip(archive, target)
    assert unwrap(target) == target / "alice"
    assert sorted(p.name for p in (target / "alice").iterdir()) == ["corr2d.py"]
    assert not (target / "__MACOSX").exists()


def test_discover_ids_and_clashes(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.zip").write_bytes(b"")
    (tmp_path / "alice.zip").write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "results").mkdir()
    students = {s.id: s for s in discover.discover(tmp_path, tmp_path / "results")}
    assert sorted(students) == ["alice", "bob"]
    assert students["alice"].kind == "clash" and "two submissions" in students["alice"].problem
    assert students["bob"].kind == "zip"


def test_gradebook_layouts_in_memory():
    metas = [
        {
            "student_id": "b",
            "score": 14.0,
            "max_score": 26.0,
            "exercise_scores": {"corr2d": 14.0, "pooling": 0.0},
            "status": "ok",
            "submitted_at": "2024-01-02 03:04:05",
        },
        {
            "student_id": "a",
            "score": 0.0,
            "max_score": 26.0,
            "exercise_scores": {},
            "status": "error: x, y",
            "submitted_at": "",
        },
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(gradebook.gradebook_rows(metas, ["corr2d", "pooling"]))
    assert out.getvalue() == ('student_id,total,corr2d,pooling,status\na,0,0,0,"error: x, y"\nb,14,14,0,ok\n')
    assert gradebook.gradebook_rows(metas, ["corr2d"], "canvas") == [["student_id", "score"], ["a", "0"], ["b", "14"]]
    nb = gradebook.gradebook_rows(metas, ["corr2d"], "nbgrader", assignment="hw")
    assert nb[2] == ["hw", "", "2024-01-02 03:04:05", "b", "", "", "", "14.0", "0.0", "14.0", "26.0"]


def test_internal_errors_do_not_stop_the_batch_and_are_retried(tmp_path, monkeypatch, capsys):
    submissions = tmp_path / "class"
    for name in ("a", "b"):
        copy_modules(ROOT / "solutions", submissions / name)
    calls = []

    def broken_grader(submission, settings, references=None):
        calls.append(submission.path.name)
        raise RuntimeError("boom")

    monkeypatch.setattr(student, "grade", broken_grader)
    out = grade_all_here(capsys, submissions, "--out", tmp_path / "out", "--only", "corr2d", "-j", "2")
    assert "2 graded" in out and sorted(calls) == ["a", "b"]
    rows = read_csv(tmp_path / "out" / "gradebook.csv")
    assert [row[-1] for row in rows[1:]] == ["error: internal grader error: RuntimeError: boom"] * 2
    assert json.loads((tmp_path / "out" / "a" / "meta.json").read_text())["retry"] is True
    validate(json.loads((tmp_path / "out" / "a" / "report.json").read_text()))
    out = grade_all_here(capsys, submissions, "--out", tmp_path / "out", "--only", "corr2d")
    assert "2 graded, 0 already finished" in out and len(calls) == 4


def test_a_changed_grader_or_limit_grades_again(tmp_path, monkeypatch, capsys):
    """The resume key holds the grader (its version, the hash of the hidden checks and the
    reference) and the limits: a rerun after any of them changed grades again."""
    (tmp_path / "class" / "empty").mkdir(parents=True)  # graded (as an error) without any worker
    out, only = tmp_path / "out", ["--only", "corr2d"]
    assert "1 graded" in grade_all_here(capsys, tmp_path / "class", "--out", out, *only)
    assert "0 graded, 1 already finished" in grade_all_here(capsys, tmp_path / "class", "--out", out, *only)
    meta = json.loads((out / "empty" / "meta.json").read_text())
    assert meta["grader"] == provenance.grader_identity() and meta["limits"]["call_timeout"] == 20.0
    monkeypatch.setattr(provenance, "checks_hash", lambda: "updated checks")
    assert "1 graded" in grade_all_here(capsys, tmp_path / "class", "--out", out, *only)
    assert json.loads((out / "empty" / "meta.json").read_text())["grader"]["checks"] == "updated checks"
    monkeypatch.setattr(provenance, "grader_version", lambda: "9.9.9")
    assert "1 graded" in grade_all_here(capsys, tmp_path / "class", "--out", out, *only)
    assert "1 graded" in grade_all_here(capsys, tmp_path / "class", "--out", out, *only, "--timeout", "7")
    assert "0 graded" in grade_all_here(capsys, tmp_path / "class", "--out", out, *only, "--timeout", "7")


def test_every_reason_code_is_in_the_report_schema():
    check = schema()["properties"]["exercises"]["items"]["properties"]["checks"]["items"]["properties"]
    assert check["reason"]["enum"] == [None, *(reason.value for reason in Reason)]
