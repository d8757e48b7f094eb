"""The class report on a synthetic results folder, and the similarity report on a generated class.

The class report's statistics are checked on hand-made ``report.json`` sets whose every figure is known
(real gradings of a class are in ``tests/slow/test_insights_class.py``). The similarity report runs
on a generated class (``tests/generated_class.py``): copydetect reads the code and runs nothing, so it
is fast. Both pages are opened in a real headless Chromium (``tests/browser.py``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from copydetect import compare_files

from autograder import cli, registry
from autograder.insights import charts
from autograder.insights.classpage import REASONS, markdown
from autograder.insights.classpage import html as class_html
from autograder.insights.classreport import Accuracies, anonymised, class_report, measured_accuracy, shape
from autograder.insights.classreport import Student as Record
from autograder.insights.similarity import REFERENCE_ID, similarity
from autograder.insights.similaritypage import csv_text
from autograder.insights.similaritypage import html as similarity_html
from autograder.nbgrader.build import build_notebook
from autograder.reasons import Reason
from autograder.report import validate
from autograder.runner.results import FORMAT
from tests.browser import assert_not_blank, require_chromium
from tests.generated_class import (
    REFERENCE,
    Student,
    expected_copies,
    reference,
    small_class,
    write_class,
    write_student,
)

HOSTILE_ID = "<img src=x onerror=alert(1)>"
HOSTILE_MESSAGE = 'corr2d returned <script>alert("pwned")</script> instead of a tensor'

# --------------------------------------------------------------------------- a synthetic class


def check(name: str, status: str, score: float, max_score: float, message: str = "", reason: str | None = None):
    return {"name": name, "title": f"the {name} check", "status": status, "score": score, "max_score": max_score,
            "message": message, "reason": reason}  # fmt: skip


def accuracy_message(value: float, lang: str = "en") -> str:
    if lang == "zh":
        return f"测试精度 {value:.4f}（要求：0.48；参考实现为 0.54-0.76, typically 0.71）"
    return f"test accuracy {value:.4f} (required: 0.48; the reference reaches 0.54-0.76, typically 0.71)"


FAILED_TRAINING = (
    "train_ch6(net, train_iter, test_iter, num_epochs=3, lr=0.5, device='cpu'): the trained network classifies "
    "0.1000 of the 10,000 official test images correctly; at least 0.48 is required"
)


def where(sid: str) -> str:
    """A message naming the student's own file and folder, as tracebacks do."""
    return f"\n  in /home/grader/submissions/{sid}/corr2d.py, written by {sid}"


def report(corr2d: list[dict], training: list[dict], submission: str, complete: bool = True) -> dict:
    exercises = [
        {"name": "corr2d", "score": sum(c["score"] for c in corr2d), "max_score": 6.0, "checks": corr2d},
        {"name": "training", "score": sum(c["score"] for c in training), "max_score": 4.0, "checks": training},
    ]
    data = {
        "format": FORMAT,
        "score": sum(e["score"] for e in exercises),
        "max_score": 10.0,
        "exercises": exercises,
        "complete": complete,
        "incomplete_reasons": [] if complete else ["training skipped"],
        "submission": submission,
        "training_budget": "standard",
        "lang": "en",
    }
    validate(data)
    return data


def passing(accuracy: float, lang: str = "en") -> tuple[list[dict], list[dict]]:
    return (
        [check("book_example", "passed", 4, 4), check("speed", "passed", 2, 2)],
        [check("reaches_accuracy", "passed", 4, 4, accuracy_message(accuracy, lang))],
    )


def synthetic_class(results: Path) -> Path:
    """Ten readable reports whose every statistic is known, two unreadable ones, and hostile text."""
    wrong_shape = (
        "corr2d(X, K): expected shape ({}), got ({})\n  counterexample: X = tensor([[{}]]), K = tensor 2x2 float32"
    )
    students = {
        "ana": (passing(0.71), None),
        "ben": (passing(0.72), None),
        "cai": (passing(0.69), None),
        "dan": (passing(0.74), None),
        "chen_li": (
            (
                [
                    check(
                        "book_example",
                        "failed",
                        0,
                        4,
                        wrong_shape.format("2, 2", "3, 3", "1., 2.") + where("chen_li"),
                    ),
                    check("speed", "failed", 1, 2, "corr2d took 31.5x the reference's time (allowed: 20x)"),
                ],
                [check("reaches_accuracy", "failed", 0, 4, FAILED_TRAINING)],
            ),
            None,
        ),
        "eva": (
            (
                [
                    check(
                        "book_example", "failed", 0, 4, wrong_shape.format("4, 5", "5, 6", "9., 8., 7.") + where("eva")
                    ),
                    check("speed", "passed", 2, 2),
                ],
                [check("reaches_accuracy", "passed", 4, 4, accuracy_message(0.65, "zh"))],
            ),
            None,
        ),
        "fay": (
            (
                [
                    check("book_example", "error", 0, 4, "corr2d is not implemented yet", "not_implemented"),
                    check("speed", "error", 0, 2, "corr2d is not implemented yet", "not_implemented"),
                ],
                [check("reaches_accuracy", "skipped", 0, 4, "Fashion-MNIST not found", "environment")],
            ),
            {"status": "incomplete"},
        ),
        "gus": (
            (
                [
                    check("book_example", "error", 0, 4, "not graded: empty folder", "not_graded"),
                    check("speed", "error", 0, 2, "not graded: empty folder", "not_graded"),
                ],
                [check("reaches_accuracy", "error", 0, 4, "not graded: empty folder", "not_graded")],
            ),
            {"status": "error: no exercise module found"},
        ),
        "hal": (
            (
                [
                    check("book_example", "error", 0, 4, "could not import corr2d.py: SyntaxError", "import_error"),
                    check("speed", "error", 0, 2, "could not import corr2d.py: SyntaxError", "import_error"),
                ],
                [check("reaches_accuracy", "passed", 4, 4, accuracy_message(0.70))],
            ),
            {"status": "ok"},
        ),
        HOSTILE_ID: (
            (
                [check("book_example", "failed", 0, 4, HOSTILE_MESSAGE), check("speed", "passed", 2, 2)],
                [check("reaches_accuracy", "passed", 4, 4, accuracy_message(0.705))],
            ),
            None,
        ),
    }
    for sid, ((corr2d, training), meta) in students.items():
        folder = results / sid
        folder.mkdir(parents=True)
        complete = not any(c.get("reason") == "environment" for c in training)
        data = report(corr2d, training, f"/home/grader/submissions/{sid}", complete)
        (folder / "report.json").write_text(json.dumps(data), encoding="utf-8")
        if meta is not None:
            (folder / "meta.json").write_text(json.dumps({"student_id": sid, **meta}), encoding="utf-8")
    (results / "zed").mkdir()
    (results / "zed" / "report.json").write_text("{ not json", encoding="utf-8")
    (results / "yan").mkdir()
    bad = report(*passing(0.7), "yan")
    bad["score"] = -1
    (results / "yan" / "report.json").write_text(json.dumps(bad), encoding="utf-8")
    (results / "gradebook.csv").write_text("student_id,total\n", encoding="utf-8")
    return results


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return synthetic_class(tmp_path_factory.mktemp("results"))


# --------------------------------------------------------------------------- statistics


def test_score_summary_and_states(synthetic):
    r = class_report(synthetic)
    s = r.summary
    assert s.count == 10 and s.max_score == 10
    assert sorted(s.scores) == [0, 0, 1, 4, 6, 6, 10, 10, 10, 10]
    assert s.mean == pytest.approx(5.7) and s.median == 6
    assert (s.q1, s.q3) == (pytest.approx(1.75), 10)
    assert (s.count_of("complete"), s.count_of("incomplete"), s.count_of("broken")) == (8, 1, 1)
    assert sorted(st.id for st in r.unreadable) == ["yan", "zed"]
    problems = {st.id: st.problem for st in r.unreadable}
    assert "not readable JSON" in problems["zed"] and "does not match the schema at score" in problems["yan"]


def test_pass_shares_hardest_first_with_partial_credit(synthetic):
    r = class_report(synthetic)
    hardest = [(c.exercise, c.name) for c in r.hardest]
    assert hardest == [("corr2d", "book_example"), ("corr2d", "speed"), ("training", "reaches_accuracy")]
    book, speed, accuracy = r.hardest
    # the broken submission is left out; a stub is not an attempt; an import error is a failed attempt
    assert (book.attempted, book.passed, book.not_attempted, book.not_gradable) == (8, 4, 1, 0)
    assert book.pass_share == 0.5 and book.points_share == 0.5
    assert (speed.attempted, speed.passed) == (8, 6)
    assert speed.points_share == pytest.approx(13 / 16)  # 1 of 2 points of a partly passed check counts
    assert (accuracy.attempted, accuracy.passed, accuracy.not_gradable) == (8, 7, 1)
    corr2d = r.exercises[0]
    assert (corr2d.name, corr2d.students, corr2d.attempted, corr2d.full) == ("corr2d", 9, 8, 4)


def test_failures_grouped_by_shape_with_an_anonymised_example(synthetic):
    book = class_report(synthetic).hardest[0]
    first = book.failures[0]
    assert first.count == 2 and first.reason is None  # two counterexamples, one mistake
    assert "expected shape (…), got (…)" in first.shape and "tensor(…)" in first.shape
    assert "chen_li" not in first.example and "/home/grader" not in first.example
    assert "<student>" in first.example and "expected shape (2, 2), got (3, 3)" in first.example
    assert sorted((g.count, str(g.reason)) for g in book.failures[1:]) == [(1, "None"), (1, "import_error")]


def test_shapes_ignore_numbers_tensors_and_quotes():
    one = "pool2d(X, (2, 3)): 4 of 6 values differ; worst at [0, 1]: expected 1.5, got -2e-3 for 'avg'"
    two = "pool2d(X, (1, 1)): 1 of 9 values differ; worst at [2, 2]: expected 7, got 0.25 for 'max'"
    assert shape(one) == shape(two)
    assert shape("expected tensor([[1., 2.],\n [3., 4.]]) got tensor([1.])") == shape(
        "expected tensor([5.]) got tensor([])"
    )
    assert shape("structure: expected Sigmoid") != shape("structure: expected ReLU")


def test_anonymised_leaves_short_ids_and_other_words_alone():
    student = Record("li", {"submission": "/srv/subs/li_wei.zip"}, {"source": "subs/li_wei.zip"})
    text = anonymised("File /srv/subs/li_wei.zip/corr2d.py: li_wei wrote 'list'", student)
    assert text == "File corr2d.py: <student> wrote 'list'"


@pytest.mark.parametrize(
    ("message", "value"),
    [
        (accuracy_message(0.7134), 0.7134),
        (accuracy_message(0.5, "zh"), 0.5),
        (FAILED_TRAINING, 0.1),
        ("train_ch6(..., lr=0.9): no number with four decimals", None),
    ],
)
def test_measured_accuracy(message, value):
    assert measured_accuracy(message) == value


def test_accuracies_against_the_budget_threshold(synthetic):
    a = class_report(synthetic).accuracies
    assert a.values == [0.1, 0.65, 0.69, 0.7, 0.705, 0.71, 0.72, 0.74]
    assert (a.budget, a.threshold, a.passed) == ("standard", 0.48, 7)
    assert (a.floor, a.in_band) == (0.15, 0)  # 0.1 earned nothing, the others everything


def test_the_credit_band_counts_what_lies_strictly_between_floor_and_threshold():
    band = Accuracies([0.1, 0.15, 0.3, 0.47, 0.48, 0.7], "standard")
    assert (band.threshold, band.floor, band.passed, band.in_band) == (0.48, 0.15, 2, 2)
    assert (Accuracies([0.3], "small").passed, Accuracies([0.3], "small").in_band) == (1, 0)
    assert (Accuracies([0.3], "retired").threshold, Accuracies([0.3], "retired").passed) == (None, 1)


def test_ungraded_by_reason_code(synthetic):
    u = class_report(synthetic).ungraded
    assert u.checks == {"not_implemented": 2, "import_error": 2, "environment": 1, "not_graded": 3}
    assert u.students == {"not_implemented": 1, "import_error": 1, "environment": 1, "not_graded": 1}
    assert u.broken == [("gus", ["not_graded"])]


def test_a_folder_without_reports_is_an_error(tmp_path):
    assert cli.main(["report", str(tmp_path)]) == 2
    assert cli.main(["report", str(tmp_path / "missing")]) == 2


# --------------------------------------------------------------------------- rendering


class Elements(HTMLParser):
    """The elements of a page: (tag, attributes)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    def tags(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.found if tag == name]


def assert_inert(page: str) -> None:
    """Student text is escaped: no script, no handler, nothing loaded from outside the page."""
    elements = Elements(page)
    assert elements.tags("script") == []
    assert not any(key.startswith("on") for _, attrs in elements.found for key in attrs)
    assert all(img["src"].startswith("data:image/png;base64,") for img in elements.tags("img"))
    assert "default-src 'none'" in elements.tags("meta")[1]["content"]


def test_class_page_is_self_contained_and_escaped(synthetic):
    page = class_html(class_report(synthetic))
    assert_inert(page)
    ids = {img.get("id") for img in Elements(page).tags("img")}
    assert ids == {"score-histogram", "accuracy-histogram"}
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page
    assert HOSTILE_MESSAGE not in page


def test_markdown_has_every_section_and_no_raw_html(synthetic):
    text = markdown(class_report(synthetic))
    for heading in ("## How the class did", "## What to re-teach", "### corr2d", "## Training", "## What could not"):
        assert heading in text
    assert "| corr2d | `book_example` | 4/8 (50%) | 50% |" in text
    outside_code = re.sub(r"(`+)[^`].*?\1", "", text)
    assert "<script>" in text and "<script" not in outside_code and "<img" not in outside_code  # literal code only
    assert "`not_graded`" in text and "gus (not_graded)" in text and "zed" in text


def test_every_reason_code_has_a_meaning():
    assert set(REASONS) == set(Reason)


def test_chinese_report(synthetic):
    text = markdown(class_report(synthetic), "zh")
    assert "# 班级报告" in text and "需要重讲的内容" in text and "原因代码" in text
    assert "班级报告" in class_html(class_report(synthetic), "zh")


def test_report_command_writes_page_and_markdown(synthetic, tmp_path, capsys):
    out = tmp_path / "week6.html"
    assert cli.main(["report", str(synthetic), "--out", str(out), "--lang", "zh"]) == 0
    assert out.is_file() and out.with_suffix(".md").read_text(encoding="utf-8").startswith("# 班级报告")
    assert "需要重讲的内容" in capsys.readouterr().out


def test_class_page_in_a_browser(synthetic, tmp_path):
    page = tmp_path / "class.html"
    page.write_text(class_html(class_report(synthetic)), encoding="utf-8")
    shown = require_chromium(page, tmp_path / "class.png", height=1400)
    assert shown.console == []
    assert_not_blank(shown)
    assert shown.has_colour(charts.STATE_COLOURS["complete"]), "the score histogram is not drawn"


# --------------------------------------------------------------------------- similarity


def notebook_student(directory: Path, sid: str) -> Path:
    """A student who hands in nbgrader notebooks: the source notebooks, whose cells hold the reference."""
    folder = directory / sid
    folder.mkdir(parents=True)
    for exercise in registry.EXERCISES:
        nbformat.write(build_notebook(exercise.name, exercise.points), folder / f"{exercise.notebook}.ipynb")
    return folder


def zip_student(directory: Path, student: Student) -> Path:
    folder = write_student(directory / "unzipped", student)
    archive = directory / f"{student.id}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for module in sorted(folder.glob("*.py")):
            zf.write(module, f"{student.id}/{module.name}")
    shutil.rmtree(directory / "unzipped")
    return archive


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The small class, a zipped copy of near_a, a student with notebooks, and one unreadable entry."""
    students = small_class()
    folder = write_class(tmp_path_factory.mktemp("similarity") / "submissions", students)
    near_a = next(s for s in students if s.id == "near_a")
    zipped = Student("near_zip", near_a.modules)
    zip_student(folder, zipped)
    notebook_student(folder, "nb_ref")
    (folder / "notes.txt").write_text("not a submission")
    result = similarity(folder, with_reference=True)
    everyone = students + [zipped, Student("nb_ref", {name: reference() for name in registry.NAMES})]
    return folder, everyone, result


def flagged_pairs(result, exercise: str) -> set[tuple[str, str]]:
    return {tuple(sorted((m.a.id, m.b.id))) for m in result.flagged if m.exercise == exercise}


@pytest.mark.parametrize("exercise", registry.NAMES)
def test_copies_flagged_and_nothing_else(generated, exercise):
    """Per module: exactly the pairs whose code has one origin are flagged (copies, the renamed reference,
    the near-copies, the zipped and the notebook submissions); independent variants and stubs are not."""
    _, students, result = generated
    expected = {tuple(sorted(pair)) for pair in expected_copies(students, exercise)}
    expected |= {
        tuple(sorted((REFERENCE_ID, s.id))) for s in students if s.modules[exercise].family == REFERENCE
    }  # --with-reference
    assert flagged_pairs(result, exercise) == expected


def test_the_named_cases(generated):
    _, _, result = generated
    for exercise in ("lenet", "channels"):
        assert ("near_a", "near_b") in flagged_pairs(result, exercise)
    assert all(
        ("[reference]", "ref_renamed") in flagged_pairs(result, e)
        or ("ref_renamed", "[reference]") in flagged_pairs(result, e)
        for e in registry.NAMES
    )
    assert not any({m.a.id, m.b.id} == {"stub01", "stub02"} for m in result.matches), "stubs share nothing"
    independent = {("indep01", "padding_stride"), ("indep01", "pooling"), ("near_a", "lenet"), ("near_a", "channels")}
    for sid, exercise in independent:
        scores = [m.score for m in result.matches if m.exercise == exercise and sid in (m.a.id, m.b.id)]
        others = [s for s in scores if s < 0.9]  # its own copies (near_b, near_zip) score about 1
        assert others and max(others) < result.threshold
    assert result.not_compared == {
        "notes": "notes.txt is a file where a folder, a .zip archive or an .ipynb was expected"
    }


def test_scores_are_copydetects(generated):
    """The vectorised share of every pair equals copydetect's own compare_files."""
    _, _, result = generated
    for m in result.matches:
        prints = result.fingerprints[m.exercise]
        tokens, (share_a, share_b), _ = compare_files(prints[m.a.id].copydetect, prints[m.b.id].copydetect)
        assert (tokens, share_a, share_b) == (m.tokens, pytest.approx(m.share_a), pytest.approx(m.share_b))


def test_csv_lists_pairs_and_flags(generated):
    _, _, result = generated
    rows = list(csv.DictReader(io.StringIO(csv_text(result))))
    assert len(rows) == len(result.matches) and rows[0]["score"] >= rows[-1]["score"]
    flagged = {(r["exercise"], r["student_a"], r["student_b"]) for r in rows if r["flagged"] == "1"}
    assert ("lenet", "near_a", "near_b") in flagged


def hostile_class(folder: Path) -> Path:
    """Two students sharing code full of HTML, one of them with HTML in their name."""
    code = (Path(registry.__file__).parents[1] / "solutions" / "pooling.py").read_text()
    code += '\n\n# </pre><script>alert("pwned")</script>\nBANNER = "<img src=x onerror=alert(2)>"  # \u202e\x1b[2J\n'
    for sid in ("=HYPERLINK(1)", HOSTILE_ID):
        (folder / sid).mkdir(parents=True)
        (folder / sid / "pooling.py").write_text(code)
    return folder


def test_similarity_page_escapes_student_text(tmp_path):
    result = similarity(hostile_class(tmp_path / "subs"))
    page = similarity_html(result, "subs")
    assert_inert(page)
    assert "&lt;/pre&gt;&lt;script&gt;" in page and "<mark>" in page
    assert "\u202e" not in page and "\x1b" not in page and "# \\u202e\\x1b[2J" in page  # shown, not obeyed
    rows = list(csv.reader(io.StringIO(csv_text(result))))
    assert set(rows[1][1:3]) == {"'=HYPERLINK(1)", HOSTILE_ID}  # no spreadsheet formula


def test_similarity_command_and_its_page_in_a_browser(generated, tmp_path, capsys):
    folder, _, _ = generated
    out = tmp_path / "similarity.html"
    assert cli.main(["similarity", str(folder), "--out", str(out), "--with-reference", "--show", "5"]) == 0
    assert "students compared" in capsys.readouterr().out
    assert out.with_suffix(".csv").is_file()
    assert len(Elements(out.read_text(encoding="utf-8")).tags("pre")) == 10
    shown = require_chromium(out, tmp_path / "similarity.png", height=1400)
    assert shown.console == []
    assert_not_blank(shown)


@pytest.mark.parametrize("value", ["1.5", "0", "half"])
def test_threshold_must_be_a_share(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["similarity", str(tmp_path), "--threshold", value])
    assert stop.value.code == 2 and "expected a share of code between 0 (excluded) and 1" in capsys.readouterr().err


def test_similarity_runs_no_student_code(tmp_path):
    """Two students whose module would leave a file behind if it were imported: compared, never run."""
    trap = tmp_path / "ran"
    solution = (Path(registry.__file__).parents[1] / "solutions" / "pooling.py").read_text()
    code = f"import pathlib\npathlib.Path({str(trap)!r}).write_text('ran')\n" + solution
    folder = tmp_path / "subs"
    for sid in ("trap_a", "trap_b"):
        (folder / sid).mkdir(parents=True)
        (folder / sid / "pooling.py").write_text(code)
    result = similarity(folder, with_reference=True)
    assert ("trap_a", "trap_b") in flagged_pairs(result, "pooling")
    assert not trap.exists()


def test_similarity_in_chinese(tmp_path, capsys):
    folder = hostile_class(tmp_path / "subs")
    out = tmp_path / "相似度.html"
    assert cli.main(["similarity", str(folder), "--out", str(out), "--lang", "zh"]) == 0
    assert "比较了 2 名学生" in capsys.readouterr().out
    page = out.read_text(encoding="utf-8")
    assert '<html lang="zh' in page and "代码相似度" in page and "被标记的配对" in page


def test_a_linked_submission_is_not_compared(tmp_path):
    """A submission that is a symbolic link (here to the reference solutions) is listed with the reason, not read."""
    folder = hostile_class(tmp_path / "subs")
    (folder / "linked").symlink_to(Path(registry.__file__).parents[1] / "solutions")
    result = similarity(folder)
    assert "link" in result.not_compared["linked"]
    assert "linked" not in {a.id for a in result.authors}
