"""Batch grading (``autograde grade-all``): gradebook rows and statuses, per-student files, resume,
a killed run, ``--regrade``, the three gradebook layouts, hostile submissions and zip archives.

A small class: three copies of the reference (one as a .zip), one stub, and broken submissions of
every kind the batch must survive; graded with ``-j 2 --only corr2d,pooling`` (pooling only where
its checks exist) to stay fast.
"""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder import batch, cli
from autograder.checks import exercises
from autograder.report import validate

ROOT = Path(__file__).resolve().parents[1]
AVAILABLE = [e.name for e in exercises()]
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
    result = subprocess.run([sys.executable, "-m", "autograder", "grade-all", *map(str, args)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
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
    full = sum(e.max_score for e in exercises() if e.name in ONLY)
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
        assert meta["student_id"] == folder.name and meta["only"] == ONLY and meta["seed"] is None
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
    assert cli.main(["grade-all", str(submissions), "--out", str(results), *only,
                     "--gradebook-format", "nbgrader", "--assignment", "cnn-hw"]) == 0
    rows = read_csv(results / "gradebook.csv")
    assert rows[0] == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                       "raw_score", "late_submission_penalty", "score", "max_score"]
    nb = {row[3]: row for row in rows[1:]}
    full = sum(e.max_score for e in exercises() if e.name in ONLY)
    assert nb["ref1"][0] == "cnn-hw" and nb["ref1"][7:] == [str(float(full)), "0.0", str(float(full)), str(float(full))]
    assert nb["huge"][7] == "0.0" and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", nb["ref1"][2])
    assert cli.main(["grade-all", str(submissions), "--out", str(results), *only, "--gradebook-format", "canvas"]) == 0
    rows = read_csv(results / "gradebook.csv")
    assert rows[0] == ["student_id", "score"] and len(rows[0]) == 2
    assert dict(rows[1:])["ref2"] == f"{full:g}" and dict(rows[1:])["bomb"] == "0"
    assert stamps(results) == before
    assert "0 graded" in capsys.readouterr().out


def test_nbgrader_header_matches_nbgrader():
    spec = importlib.util.find_spec("nbgrader")  # its source, without importing all of nbgrader
    if spec is None or spec.origin is None:
        pytest.skip("nbgrader is not installed")
    source = (Path(spec.origin).parent / "plugins" / "export.py").read_text()
    keys = re.search(r"keys = \[(.*?)\]", source, re.S).group(1)
    assert tuple(re.findall(r'"(\w+)"', keys)) == batch.NBGRADER_HEADER


@pytest.mark.slow
def test_killed_run_then_resume_then_regrade(tmp_path, capsys):
    submissions, results = tmp_path / "submissions", tmp_path / "results"
    make_class(submissions, references=1, stubs=1, broken=("empty", "notes"), zipped=0)
    names = ["empty", "notes", "ref1", "stub"]  # graded in this order with -j 1
    command = [sys.executable, "-m", "autograder", "grade-all", str(submissions), "-j", "1", "--out", str(results),
               "--only", "corr2d"]
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


def test_cannot_run_exits_2(tmp_path, capsys):
    assert cli.main(["grade-all", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "not a directory" in capsys.readouterr().err
    (tmp_path / "class").mkdir()
    assert cli.main(["grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "-j", "0"]) == 2
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--only", "nonsense"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["grade-all", str(tmp_path / "class")])  # --out is required
    assert exit_info.value.code == 2
    # an empty class is a completed batch with a header-only gradebook
    assert cli.main(["grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out")]) == 0
    assert read_csv(tmp_path / "out" / "gradebook.csv") == [["student_id", "total", *AVAILABLE, "status"]]


# -- zip archives, in-process ------------------------------------------------------------------------
def make_zip(path: Path, entries: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize("entries, symlinks, reason", [
    ({"/abs/corr2d.py": b"x = 1\n"}, (), "absolute path"),
    ({"C:/corr2d.py": b"x = 1\n"}, (), "absolute path"),
    ({"a/../../corr2d.py": b"x = 1\n"}, (), "leaves the archive"),
    ({"..\\corr2d.py": b"x = 1\n"}, (), "leaves the archive"),
    ({"corr2d.py": b"x = 1\n"}, ("pooling.py",), "symbolic link"),
    ({f"m{i}.py": b"" for i in range(30)}, (), "entries, more than"),
    ({"corr2d.py": b"\0" * 5000}, (), "would expand to"),
])
def test_extract_zip_rejects(tmp_path, entries, symlinks, reason):
    archive = make_zip(tmp_path / "s.zip", entries, symlinks)
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(batch.Rejected, match=reason):
        batch.extract_zip(archive, target, max_bytes=4096, max_files=20)
    assert not (tmp_path / "corr2d.py").exists() and not Path("/abs/corr2d.py").exists()


def test_extract_zip_unwraps_and_skips_macos_litter(tmp_path):
    archive = make_zip(tmp_path / "s.zip", {"alice/corr2d.py": b"x = 1\n", "__MACOSX/alice/._corr2d.py": b"\0\1",
                                            "alice/._pooling.py": b"\0"})
    target = tmp_path / "out"
    target.mkdir()
    batch.extract_zip(archive, target)
    assert batch.unwrap(target) == target / "alice"
    assert sorted(p.name for p in (target / "alice").iterdir()) == ["corr2d.py"]
    assert not (target / "__MACOSX").exists()


def test_discover_ids_and_clashes(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.zip").write_bytes(b"")
    (tmp_path / "alice.zip").write_bytes(b"")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "results").mkdir()
    students = {s.id: s for s in batch.discover(tmp_path, tmp_path / "results")}
    assert sorted(students) == ["alice", "bob"]
    assert students["alice"].kind == "clash" and "two submissions" in students["alice"].problem
    assert students["bob"].kind == "zip"


def test_gradebook_layouts_in_memory():
    metas = [{"student_id": "b", "score": 14.0, "max_score": 26.0, "exercises": {"corr2d": 14.0, "pooling": 0.0},
              "status": "ok", "submitted_at": "2024-01-02 03:04:05"},
             {"student_id": "a", "score": 0.0, "max_score": 26.0, "exercises": {}, "status": "error: x, y",
              "submitted_at": ""}]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(batch.gradebook_rows(metas, ["corr2d", "pooling"]))
    assert out.getvalue() == ('student_id,total,corr2d,pooling,status\na,0,0,0,"error: x, y"\n'
                              "b,14,14,0,ok\n")
    assert batch.gradebook_rows(metas, ["corr2d"], "canvas") == [["student_id", "score"], ["a", "0"], ["b", "14"]]
    nb = batch.gradebook_rows(metas, ["corr2d"], "nbgrader", assignment="hw")
    assert nb[2] == ["hw", "", "2024-01-02 03:04:05", "b", "", "", "", "14.0", "0.0", "14.0", "26.0"]


def test_internal_errors_do_not_stop_the_batch_and_are_retried(tmp_path, monkeypatch, capsys):
    submissions = tmp_path / "class"
    for name in ("a", "b"):
        copy_modules(ROOT / "solutions", submissions / name)
    calls = []

    def broken_grader(path, **kwargs):
        calls.append(Path(path).name)
        raise RuntimeError("boom")

    monkeypatch.setattr(batch, "grade", broken_grader)
    out = grade_all_here(capsys, submissions, "--out", tmp_path / "out", "--only", "corr2d", "-j", "2")
    assert "2 graded" in out and sorted(calls) == ["a", "b"]
    rows = read_csv(tmp_path / "out" / "gradebook.csv")
    assert [row[-1] for row in rows[1:]] == ["error: internal grader error: RuntimeError: boom"] * 2
    assert json.loads((tmp_path / "out" / "a" / "meta.json").read_text())["retry"] is True
    validate(json.loads((tmp_path / "out" / "a" / "report.json").read_text()))
    out = grade_all_here(capsys, submissions, "--out", tmp_path / "out", "--only", "corr2d")
    assert "2 graded, 0 already finished" in out and len(calls) == 4
