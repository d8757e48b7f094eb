"""Pure units of the containment: student text made inert in every format, spreadsheet cells,
symbolic links in submissions, the cgroup look-up, the filter's rules and the refusal to run
without a sandbox. The attacks themselves are in ``tests/slow/test_sandbox.py`` and
``tests/slow/test_containment_attacks.py``."""

from __future__ import annotations

import csv
import importlib
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder import cli, inert
from autograder.batch import discover, gradebook, progress
from autograder.load import SubmissionError, load_submission
from autograder.load.notebook import NotebookError, read_cells
from autograder.report import FORMATS
from autograder.runner.results import CheckResult, ExerciseResult, Report
from autograder.settings import Settings, WorkerConfig
from autograder.text import Text
from autograder.worker.sandbox import cgroup, syscalls
from autograder.worker.sandbox.plan import Plan

#: The module (the package's ``refusal`` is its function of that name).
refusal = importlib.import_module("autograder.worker.sandbox.refusal")

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "\x1b[2J\x1b[Hfake 100/100\r\u202eevil ``` <script>x</script> **b** \x00\ud800"


# --------------------------------------------------------------------------- inert text


def test_visible_shows_control_and_format_characters_as_escapes():
    shown = inert.visible(HOSTILE)
    assert "\x1b" not in shown and "\r" not in shown and "\u202e" not in shown and "\x00" not in shown
    assert "\\x1b[2J" in shown and "\\x0d" in shown and "\\u202e" in shown and "\ufffd" in shown
    assert inert.visible("第一行\n\tzweite") == "第一行\n\tzweite"
    assert inert.one_line("a\nb\tc") == "a\\x0ab\\x09c"


def test_markdown_code_cannot_be_closed_from_inside():
    block = inert.markdown_code("x ```` y\n<b>", indent="  ")
    lines = block.splitlines()
    assert lines[0] == "  `````" and lines[-1] == "  `````" and lines[1:-1] == ["  x ```` y", "  <b>"]


@pytest.mark.parametrize(
    "text, span",
    [("x = 1", "`x = 1`"), ("a `b` c", "``a `b` c``"), ("`", "`` ` ``"), ("a\nb", "`a\\x0ab`"), ("", "")],
)
def test_markdown_code_span_cannot_be_closed_from_inside(text, span):
    assert inert.markdown_code_span(text) == span


def test_markdown_text_escapes_html_and_markdown():
    assert inert.markdown_text("<img src=x> *a* [l](u)\n# h") == (
        "&lt;img src=x&gt; \\*a\\* \\[l\\]\\(u\\)\\\\x0a\\# h"
    )


def test_xml_text_keeps_the_document_well_formed():
    element = ET.Element("m")
    element.text = inert.xml_text(HOSTILE + "\ufffe")
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert "\\x1b" in parsed.text and "\\x00" in parsed.text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_spreadsheet_cells_never_start_a_formula(start):
    cell = inert.spreadsheet_cell(f"{start}HYPERLINK(1)")
    assert cell == "'" + inert.one_line(f"{start}HYPERLINK(1)") and cell.endswith("HYPERLINK(1)")
    assert inert.spreadsheet_cell("alice") == "alice" and inert.spreadsheet_cell("7.5") == "7.5"


def hostile_report() -> Report:
    check = CheckResult("example", Text("t", "t"), "failed", 2.0, Text(HOSTILE, HOSTILE), Text("h", "h"))
    exercise = ExerciseResult("corr2d", [check], output="out \x1b[31mred\x00")
    return Report([exercise], submission="sub\x1b]0;title\x07", settings=Settings(exercises=("corr2d",)))


def test_every_format_shows_student_text_as_text():
    report = hostile_report()
    text = FORMATS["text"](report)
    assert "\x1b" not in text and "\r" not in text and "\\x1b[2J" in text
    markdown = FORMATS["markdown"](report)
    assert "\x1b" not in markdown and "\n  ````\n" in markdown  # the message's ``` cannot close its block
    ET.fromstring(FORMATS["junit"](report).split("?>", 1)[1])
    for fmt in ("json", "gradescope"):
        rendered = FORMATS[fmt](report)
        rendered.encode("utf-8")  # the lone surrogate is gone
        json.loads(rendered)
    assert all("\x1b" not in t["output"] for t in json.loads(FORMATS["gradescope"](report))["tests"])


def test_progress_lines_show_student_ids_as_text():
    meta = {"student_id": "\x1b[31mbob", "score": 1.0, "max_score": 14.0, "status": "error: \x1b[2J", "seconds": 1.0}
    stream = io.StringIO()
    progress.Progress(1, 0, tty=False, stream=stream).finished(meta)
    assert "\x1b" not in stream.getvalue() and "\\x1b[31mbob" in stream.getvalue()


@pytest.mark.parametrize("layout", gradebook.GRADEBOOK_FORMATS)
def test_write_gradebook_neutralises_cells(tmp_path, layout):
    meta = {"student_id": "@SUM(A1)", "score": 0.0, "max_score": 14.0, "exercise_scores": {}, "status": "-1+1\x1b"}
    gradebook.write_gradebook(tmp_path / "g.csv", [meta], ["corr2d"], layout)
    row = next(r for r in csv.reader((tmp_path / "g.csv").open()) if "'@SUM(A1)" in r)
    if layout == "kit":
        assert row[-1] == "'-1+1\\x1b"


# --------------------------------------------------------------------------- submissions are read, never followed


@pytest.fixture
def linked(tmp_path):
    solutions = ROOT / "solutions"
    (tmp_path / "exercises_link").mkdir()
    (tmp_path / "exercises_link" / "exercises").symlink_to(solutions)
    (tmp_path / "module_link").mkdir()
    (tmp_path / "module_link" / "corr2d.py").symlink_to(solutions / "corr2d.py")
    (tmp_path / "whole_link").symlink_to(solutions)
    secret = tmp_path / "secret.txt"
    secret.write_text("the instructor's secret")
    (tmp_path / "secret_link").mkdir()
    (tmp_path / "secret_link" / "corr2d.py").symlink_to(secret)
    return tmp_path


@pytest.mark.parametrize("name", ["exercises_link", "whole_link"])
def test_a_linked_submission_or_exercises_folder_is_refused(linked, name):
    with pytest.raises(SubmissionError, match="is a symbolic link .* never follows links"):
        load_submission(linked / name)


@pytest.mark.parametrize("name", ["module_link", "secret_link"])
def test_a_linked_module_is_a_module_that_says_so(linked, name):
    data = load_submission(linked / name).files["corr2d.py"].decode()
    assert data.startswith("raise ImportError(") and "is a symbolic link" in data
    assert "the instructor's secret" not in data
    assert "def corr2d" not in data


def test_batch_refuses_linked_entries(linked, tmp_path):
    students = {s.id: s for s in discover.discover(linked)}
    assert students["whole_link"].kind == "file" and "symbolic link" in students["whole_link"].problem
    assert students["module_link"].kind == "dir"


def test_a_linked_notebook_is_refused(tmp_path):
    (tmp_path / "real.ipynb").write_text('{"cells": []}')
    (tmp_path / "01_corr2d.ipynb").symlink_to(tmp_path / "real.ipynb")
    with pytest.raises(NotebookError, match="symbolic link"):
        read_cells(tmp_path / "01_corr2d.ipynb")


# --------------------------------------------------------------------------- the layers' units

MOUNTINFO_V1 = """\
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
"""
MOUNTINFO_V2 = "30 23 0:26 /user.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"


def test_cgroup_mounts_and_own_cgroups_are_read():
    mounts = cgroup.parse_mountinfo(MOUNTINFO_V1)
    assert [(m.point, m.version, sorted(m.controllers)) for m in mounts] == [
        ("/sys/fs/cgroup/memory", 1, ["memory"]),
        ("/sys/fs/cgroup/pids", 1, ["pids"]),
        ("/sys/fs/cgroup/unified", 2, []),
    ]
    assert cgroup.parse_mountinfo(MOUNTINFO_V2)[0].root == "/user.slice"
    own = cgroup.parse_own_cgroups("8:pids:/\n4:memory:/a/b\n1:cpu,cpuacct:/\n0::/user.slice/x\n")
    assert own["memory"] == "/a/b" and own["pids"] == "/" and own["cpuacct"] == "/" and own[""] == "/user.slice/x"


def test_the_filter_denies_every_family_with_eperm():
    pfc = syscalls.readable_program()
    for family, names in syscalls.DENIED.items():
        for name in names:
            assert f'syscall "{name}"' in pfc, (family, name)
    assert "action ERRNO(38);" in pfc  # clone3: ENOSYS
    assert "# default action\n  action ALLOW;" in pfc and "invalid architecture action\naction KILL;" in pfc


def test_refusal_names_what_is_missing_and_the_fix(monkeypatch):
    monkeypatch.setattr(refusal, "plan", lambda config: Plan(why_not="bwrap is not installed"))
    problem = refusal.refusal(WorkerConfig())
    assert "install bubblewrap" in problem.text.en and "安装 bubblewrap" in problem.text.zh
    assert "--no-sandbox" in problem.text.en
    uid_map = "bwrap does not work here (bwrap: setting up uid map: Permission denied)"
    monkeypatch.setattr(refusal, "plan", lambda config: Plan(why_not=uid_map))
    assert "AppArmor" in refusal.refusal(WorkerConfig()).text.en
    assert refusal.refusal(WorkerConfig(sandbox="off")) is None  # the explicit opt-in


def test_grade_exits_2_without_a_sandbox(monkeypatch, capsys):
    monkeypatch.setattr(refusal, "plan", lambda config: Plan(why_not="bwrap is not installed"))
    assert cli.main(["grade", str(ROOT / "solutions"), "--only", "corr2d", "--device", "cpu", "--lang", "zh"]) == 2
    assert "拒绝在没有沙箱的情况下运行学生代码" in capsys.readouterr().err
    assert cli.main(["grade-all", str(ROOT / "examples"), "--out", os.devnull + "-nowhere"]) == 2
    assert "Refusing to run student code" in capsys.readouterr().err
