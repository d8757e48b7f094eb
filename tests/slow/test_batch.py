"""Batch grading (``autograde grade-all``): gradebook rows and statuses, per-student files, resume,
a killed run, ``--regrade``, the three gradebook layouts, hostile submissions and zip archives.

A small class: three copies of the reference (one as a .zip), one stub, and broken submissions of
every kind the batch must survive; graded with ``-j 2 --only corr2d,pooling`` (pooling only where
its checks exist) to stay fast.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder import cli
from autograder.checks import all_checks
from autograder.report import validate

ROOT = Path(__file__).resolve().parents[2]
AVAILABLE = [e.name for e in all_checks()]
ONLY = [name for name in ("corr2d", "pooling") if name in AVAILABLE]
REFERENCES = ("ref1", "ref2", "ref3")  # ref3 is submitted as ref3.zip
#: Broken submissions and a word their gradebook status must contain.
BROKEN = {
    "empty": "no exercise module found",
    "syntax": "SyntaxError",
    "junk": "null bytes",
    "huge": "over the limit of 1 MiB",
    "bomb": "would expand to",
    "garbled": "not a readable zip archive",
    "escape": "leaves the archive",
    "notes": "where a folder, a .zip archive or an .ipynb was expected",
    "notebook": "not a valid notebook",
}
if os.geteuid() != 0:  # root reads everything: no unreadable folder then
    BROKEN["locked"] = "cannot read"


def copy_modules(source: Path, target: Path) -> None:
    target.mkdir(parents=True)
    for module in source.glob("*.py"):
        shutil.copyfile(module, target / module.name)


def zip_folder(folder: Path, archive: Path, wrapper: str | None = None) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for module in sorted(folder.glob("*.py")):
            zf.write(module, f"{wrapper}/{module.name}" if wrapper else module.name)


def make_broken(directory: Path, kind: str, name: str | None = None) -> None:
    """One broken submission of ``kind`` (a key of ``BROKEN``), student id ``name``, in ``directory``."""
    name = name or kind
    if kind == "empty":
        (directory / name).mkdir()
    elif kind == "syntax":
        copy_modules(ROOT / "solutions", directory / name)
        for module in ("corr2d.py", "pooling.py"):
            (directory / name / module).write_text("def broken(:\n    return\n")
    elif kind == "junk":
        (directory / name).mkdir()
        for module in ("corr2d.py", "pooling.py"):
            (directory / name / module).write_bytes(bytes(range(256)) * 64)
    elif kind == "huge":  # a 1 GiB module, sparse: never read
        (directory / name).mkdir()
        with open(directory / name / "corr2d.py", "wb") as handle:
            handle.truncate(1 << 30)
    elif kind == "bomb":  # 80 MiB of zeros in a few hundred KiB
        with zipfile.ZipFile(directory / f"{name}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            with zf.open("corr2d.py", "w", force_zip64=True) as member:
                chunk = b"\0" * (1 << 20)
                for _ in range(80):
                    member.write(chunk)
    elif kind == "garbled":
        (directory / f"{name}.zip").write_bytes(b"this is not a zip archive\n" * 10)
    elif kind == "escape":
        with zipfile.ZipFile(directory / f"{name}.zip", "w") as zf:
            zf.writestr("corr2d.py", (ROOT / "solutions" / "corr2d.py").read_text())
            zf.writestr("../escaped.py", "print('outside')\n")
    elif kind == "notes":
        (directory / f"{name}.txt").write_text("my answers are in the email\n")
    elif kind == "notebook":  # an .ipynb student that is not JSON
        (directory / f"{name}.ipynb").write_text("{ this is not a notebook")
    elif kind == "locked":
        copy_modules(ROOT / "solutions", directory / name)
        os.chmod(directory / name, 0)
    else:
        raise ValueError(kind)


def make_class(directory: Path, references: int = 3, stubs: int = 1, broken=tuple(BROKEN), zipped: int = 1) -> None:
    """A class: ``references`` reference copies (the last ``zipped`` of them as .zip), stubs, broken ones."""
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(references):
        name = f"ref{index + 1}"
        if index >= references - zipped:
            staging = directory.parent / f".staging-{name}"
            copy_modules(ROOT / "solutions", staging)
            zip_folder(staging, directory / f"{name}.zip", wrapper=name)
            shutil.rmtree(staging)
        else:
            copy_modules(ROOT / "solutions", directory / name)
    for index in range(stubs):
        copy_modules(ROOT / "exercises", directory / (f"stub{index + 1}" if stubs > 1 else "stub"))
    for name in broken:
        make_broken(directory, name)


def grade_all_here(capsys, *args) -> str:
    """``autograde grade-all ARGS`` in this process (no start-up cost); its standard output."""
    capsys.readouterr()
    assert cli.main(["grade-all", *map(str, args)]) == 0
    return capsys.readouterr().out


def grade_all(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def stamps(results: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in results.glob("*/report.json")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("batch")
    submissions, results = base / "submissions", base / "results"
    make_class(submissions)
    start = time.perf_counter()
    run = grade_all(submissions, "-j", "2", "--out", results, "--only", ",".join(ONLY))
    seconds = time.perf_counter() - start
    yield submissions, results, run, seconds
    for locked in submissions.iterdir():
        if locked.is_dir():
            os.chmod(locked, 0o755)


@pytest.mark.slow
def test_gradebook_rows_and_statuses(graded):
    submissions, results, run, seconds = graded
    rows = read_csv(results / "gradebook.csv")
    assert rows[0] == ["student_id", "total", *ONLY, "status"]
    table = {row[0]: row for row in rows[1:]}
    assert sorted(table) == sorted([*REFERENCES, "stub", *BROKEN])
    full = sum(e.max_score for e in all_checks() if e.name in ONLY)
    for name in REFERENCES:
        assert table[name][1] == f"{full:g}" and table[name][-1] == "ok", table[name]
    assert table["stub"][1:] == ["0"] * (1 + len(ONLY)) + ["ok"]
    for name, reason in BROKEN.items():
        row = table[name]
        assert row[1:-1] == ["0"] * (1 + len(ONLY)), row
        assert row[-1].startswith("error: ") and reason in row[-1], row
    # not a TTY: one line per finished student, then a summary
    lines = [line for line in run.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == len(table) and lines[-1].startswith(f"[{len(table)}/{len(table)}]")
    assert f"{len(table)} students: {len(table)} graded, 0 already finished" in run.stdout
    print(f"first run: {len(table)} students in {seconds:.1f} s")


@pytest.mark.slow
def test_per_student_files(graded):
    submissions, results, _, _ = graded
    for folder in (results / name for name in [*REFERENCES, "stub", *BROKEN]):
        report = json.loads((folder / "report.json").read_text())
        validate(report)
        meta = json.loads((folder / "meta.json").read_text())
        assert meta["student_id"] == folder.name and meta["exercises"] == ONLY and meta["seed"] is None
        assert [e["name"] for e in report["exercises"]] == ONLY
        feedback = (folder / "feedback.md").read_text()
        assert feedback.startswith("## cnn-kit grade: ")
        if folder.name in BROKEN:
            assert meta["score"] == 0 and meta["status"].startswith("error: ")
    assert "not implemented yet" in (results / "stub" / "feedback.md").read_text()
    assert "could not import" in (results / "syntax" / "feedback.md").read_text()
    assert "over the limit" in (results / "huge" / "feedback.md").read_text()
    assert json.loads((results / "ref3" / "report.json").read_text())["submission"].endswith("ref3.zip")
    assert not list(submissions.parent.rglob("escaped.py")) and not list(results.rglob("escaped.py"))
    assert not list(results.rglob("*.tmp"))


@pytest.mark.slow
def test_rerun_grades_nothing_and_layouts(graded, capsys):
    submissions, results, _, _ = graded
    before = stamps(results)
    assert len(before) == 4 + len(BROKEN)
    kit = (results / "gradebook.csv").read_text()
    rerun = grade_all_here(capsys, submissions, "-j", "2", "--out", results, "--only", ",".join(ONLY))
    assert f"0 graded, {len(before)} already finished" in rerun
    assert stamps(results) == before
    assert (results / "gradebook.csv").read_text() == kit
    # the other layouts: rewritten from the finished reports, nothing graded again
    only = ["--only", ",".join(ONLY)]
    assert (
        cli.main(
            [
                "grade-all",
                str(submissions),
                "--out",
                str(results),
                *only,
                "--gradebook-format",
                "nbgrader",
                "--assignment",
                "cnn-hw",
            ]
        )
        == 0
    )
    rows = read_csv(results / "gradebook.csv")
    assert rows[0] == [
        "assignment",
        "duedate",
        "timestamp",
        "student_id",
        "last_name",
        "first_name",
        "email",
        "raw_score",
        "late_submission_penalty",
        "score",
        "max_score",
    ]
    nb = {row[3]: row for row in rows[1:]}
    full = sum(e.max_score for e in all_checks() if e.name in ONLY)
    assert nb["ref1"][0] == "cnn-hw" and nb["ref1"][7:] == [str(float(full)), "0.0", str(float(full)), str(float(full))]
    assert nb["huge"][7] == "0.0" and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", nb["ref1"][2])
    assert cli.main(["grade-all", str(submissions), "--out", str(results), *only, "--gradebook-format", "canvas"]) == 0
    rows = read_csv(results / "gradebook.csv")
    assert rows[0] == ["student_id", "score"] and len(rows[0]) == 2
    assert dict(rows[1:])["ref2"] == f"{full:g}" and dict(rows[1:])["bomb"] == "0"
    assert stamps(results) == before
    assert "0 graded" in capsys.readouterr().out


@pytest.mark.slow
def test_killed_run_then_resume_then_regrade(tmp_path, capsys):
    submissions, results = tmp_path / "submissions", tmp_path / "results"
    make_class(submissions, references=1, stubs=1, broken=("empty", "notes"), zipped=0)
    names = ["empty", "notes", "ref1", "stub"]  # graded in this order with -j 1
    command = [
        sys.executable,
        "-m",
        "autograder",
        "grade-all",
        str(submissions),
        "-j",
        "1",
        "--out",
        str(results),
        "--only",
        "corr2d",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(results.glob("*/meta.json")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    time.sleep(1.0)  # now ref1 is being graded
    process.send_signal(signal.SIGKILL)
    process.wait()
    first = {p.parent.name for p in results.glob("*/meta.json")}
    assert 1 <= len(first) < len(names), first
    rows = read_csv(results / "gradebook.csv")  # valid after the kill: header plus finished students only
    assert rows[0] == ["student_id", "total", "corr2d", "status"]
    assert {row[0] for row in rows[1:]} <= first
    for name in first:
        validate(json.loads((results / name / "report.json").read_text()))
    before = stamps(results)
    rerun = grade_all_here(capsys, submissions, "-j", "2", "--out", results, "--only", "corr2d")
    assert f"{len(names) - len(first)} graded, {len(first)} already finished" in rerun
    after = stamps(results)
    assert {name: after[name] for name in first} == {name: before[name] for name in first}
    rows = read_csv(results / "gradebook.csv")
    assert [row[0] for row in rows[1:]] == names
    assert [row[1] for row in rows[1:]] == ["0", "0", "14", "0"]
    assert [row[-1].split(":")[0] for row in rows[1:]] == ["error", "error", "ok", "ok"]
    assert not list(results.rglob("*.tmp"))
    # --regrade grades everyone again
    regrade = grade_all_here(capsys, submissions, "-j", "2", "--out", results, "--only", "corr2d", "--regrade")
    assert f"{len(names)} graded, 0 already finished" in regrade
    again = stamps(results)
    assert all(again[name] > after[name] for name in names)
    # a changed submission is graded again on the next plain run; so is a tampered report
    (submissions / "empty" / "corr2d.py").write_text((ROOT / "solutions" / "corr2d.py").read_text())
    (results / "notes" / "report.json").write_text("{}")
    resumed = grade_all_here(capsys, submissions, "-j", "2", "--out", results, "--only", "corr2d")
    assert "2 graded, 2 already finished" in resumed
    assert [row[1] for row in read_csv(results / "gradebook.csv")[1:]] == ["14", "0", "14", "0"]
