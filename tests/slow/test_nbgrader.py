"""nbgrader support: generated notebooks, notebook submissions, and the real nbgrader round trip.

The round trip (``test_nbgrader_round_trip``) runs the nbgrader command line on a course built in a
temporary folder: generate_assignment, autograde (one student with the reference solutions, one
with the released stubs), generate_feedback and export, with the small training budget.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import registry
from autograder.load.notebook import CODE_ID, DEPENDENCY_ID, TESTS_ID, notebook_files
from autograder.nbgrader import cells as nbcells
from autograder.registry import NAMES as EXERCISE_NAMES
from autograder.runner import grade

ROOT = Path(__file__).resolve().parents[2]
nbformat = pytest.importorskip("nbformat")
NBGRADER_KEYS = {"grade", "grade_id", "locked", "schema_version", "solution", "task"}


def points() -> dict[str, float]:
    return {e.name: e.points for e in registry.EXERCISES}


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run(
        [sys.executable, "-m", "autograder", *args],
        cwd=cwd or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    from autograder.nbgrader.build import build_course

    course = tmp_path_factory.mktemp("course")
    build_course(course, "ch6", training_budget="small")
    return course


def without_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line)


def fill_with_solutions(notebook: Path, source: Path) -> None:
    """What a perfect student hands in: the released notebook with the reference in every solution cell."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    reference = json.loads(source.read_text(encoding="utf-8"))
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in reference["cells"] if "nbgrader" in c["metadata"]}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            cell["source"] = without_markers("".join(by_id[meta["grade_id"]]["source"]))
    notebook.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")


def public_lines() -> str:
    """Everything students may see anyway: the stubs, their statements and the public tests."""
    return "\n".join(path.read_text() for path in sorted((ROOT / "exercises").rglob("*.py")))


def solution_body_lines() -> set[str]:
    """Distinctive lines of the reference solutions' bodies that no public file has."""
    found, public = set(), public_lines()
    for module in EXERCISE_NAMES:
        tree = ast.parse((ROOT / "solutions" / f"{module}.py").read_text())
        lines = (ROOT / "solutions" / f"{module}.py").read_text().splitlines()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                for stmt in body:
                    if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                        continue
                    for line in lines[stmt.lineno - 1 : stmt.end_lineno]:
                        text = line.strip()
                        if len(text) >= 24 and text not in public and not text.startswith(("#", '"""')):
                            found.add(text)
    return found


def hidden_check_lines() -> set[str]:
    """Distinctive code lines of the hidden checks (not in a public file or a solution): never shown to students."""
    found = set()
    public = public_lines() + "\n".join(p.read_text() for p in sorted((ROOT / "solutions").glob("*.py")))
    for path in sorted((ROOT / "autograder" / "checks").glob("*.py")):
        for line in path.read_text().splitlines():
            text = line.strip()
            if (
                len(text) >= 40
                and text not in public
                and not text.startswith(("#", '"', "'", "from ", "import "))
                and "Text(" not in text
            ):
                found.add(text)
    return found


def html_unescape_all(text: str) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", text))


# --------------------------------------------------------------------------- the generated notebooks


def test_notebooks_follow_nbgraders_schema_and_points(course):
    MetadataValidator = pytest.importorskip("nbgrader.nbgraderformat").MetadataValidator

    total = 0.0
    for module in EXERCISE_NAMES:
        path = course / "source" / "ch6" / f"{registry.get(module).notebook}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        MetadataValidator().validate_nb(nb)
        metas = [c.metadata["nbgrader"] for c in nb.cells]
        for meta in metas:
            assert set(meta) - {"points"} == NBGRADER_KEYS and meta["schema_version"] == 3
        graded = [m for m in metas if m["grade"]]
        assert [m["grade_id"] for m in graded] == [TESTS_ID.format(module)]
        assert graded[0]["points"] == points()[module] and graded[0]["locked"] and not graded[0]["solution"]
        solutions = [m["grade_id"] for m in metas if m["solution"]]
        assert solutions == [DEPENDENCY_ID.format(d) for d in registry.get(module).uses] + [CODE_ID.format(module)]
        assert all(m["locked"] for m in metas if not m["solution"])
        assert nb.cells[0].source.startswith("# Exercise") and "中文" in nb.cells[0].source
        total += graded[0]["points"]
    assert total == 100
    config = (course / "nbgrader_config.py").read_text()
    assert "c.Execute.timeout = " in config and "c.ExecutePreprocessor.timeout = " in config
    assert "ClearHiddenTests" in config and "c.IgnorePattern.pattern" in config


def test_build_is_deterministic_and_refuses_to_overwrite(course, tmp_path):
    from autograder.nbgrader.build import BuildError, build_course

    with pytest.raises(BuildError, match="--force"):
        build_course(course, "ch6", training_budget="small")
    build_course(tmp_path, "ch6", training_budget="small")
    for module in EXERCISE_NAMES:
        name = f"{registry.get(module).notebook}.ipynb"
        assert (tmp_path / "source" / "ch6" / name).read_bytes() == (course / "source" / "ch6" / name).read_bytes()


@pytest.mark.parametrize("module", EXERCISE_NAMES)
def test_released_code_cell_is_the_stub(module):
    """What generate_assignment leaves: the stub's imports, signatures and docstrings, no solution line."""
    released = nbcells.cleared(nbcells.solution_cell(module))
    tree = ast.parse(released)
    stub = ast.parse((ROOT / "exercises" / f"{module}.py").read_text())
    stub_defs = {n.name: n for n in ast.walk(stub) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    got_defs = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert set(got_defs) == set(stub_defs)
    for name, node in got_defs.items():
        assert ast.get_docstring(node) == ast.get_docstring(stub_defs[name])
        if isinstance(node, ast.FunctionDef):
            assert ast.unparse(node.args) == ast.unparse(stub_defs[name].args)
            assert ast.unparse(node.body[-1]) == "raise NotImplementedError()"
    for line in solution_body_lines():
        assert line not in released


def test_generated_source_cells_run_as_one_namespace():
    """Each notebook's solution cells, executed in order, define what the public tests use."""
    for module in EXERCISE_NAMES:
        namespace: dict = {}
        for earlier in registry.get(module).uses:
            exec(compile(nbcells.solution_cell(earlier), earlier, "exec"), namespace)
        exec(compile(nbcells.solution_cell(module), module, "exec"), namespace)
        stub = ast.parse((ROOT / "exercises" / f"{module}.py").read_text())
        for node in stub.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                assert callable(namespace[node.name])


def test_statement_is_the_docstring_in_markdown():
    text = nbcells.statement_markdown("corr2d", 14, [])
    assert text.startswith("# Exercise: the cross-correlation operation")
    assert "## English" in text and "## 中文" in text and "```python" in text
    assert not re.search(r"``[^`\n]+``", text)  # reStructuredText's ``code`` became Markdown's `code`
    assert "**Points / 分值: 14.**" in text


def test_public_tests_run_on_the_notebook_namespace(capsys):
    from autograder.nbgrader.runtime import public_tests

    namespace: dict = {}
    exec(compile(nbcells.solution_cell("corr2d"), "corr2d", "exec"), namespace)
    public_tests("corr2d", namespace)
    out = capsys.readouterr().out
    total = re.search(r"(\d+)/(\d+) passed", out)
    assert total and total.group(1) == total.group(2) != "0", out
    namespace = {}
    exec(compile(nbcells.cleared(nbcells.solution_cell("corr2d")), "corr2d", "exec"), namespace)
    public_tests("corr2d", namespace)
    out = capsys.readouterr().out
    assert re.search(r" 0/\d+ passed", out) and "✗ test_book_example" in out, out
    assert out.count("not implemented yet") == int(re.search(r"0/(\d+) passed", out).group(1)), out


# --------------------------------------------------------------------------- notebook submissions


@pytest.fixture(scope="module")
def perfect(course, tmp_path_factory) -> Path:
    """A folder with the released-then-filled notebooks of a perfect student (no nbgrader needed)."""
    folder = tmp_path_factory.mktemp("perfect")
    for module in EXERCISE_NAMES:
        name = f"{registry.get(module).notebook}.ipynb"
        nb = nbformat.read(course / "source" / "ch6" / name, as_version=4)
        for cell in nb.cells:
            if cell.metadata["nbgrader"]["solution"]:
                cell.source = without_markers(cell.source)
        nbformat.write(nb, folder / name)
    return folder


def test_extracted_modules_keep_line_numbers(perfect):
    files, problems = notebook_files(perfect)
    assert problems == []
    assert set(EXERCISE_NAMES) <= {name.removesuffix(".py") for name in files}
    conv = files["conv_layer.py"].decode()
    assert conv.startswith("from ._02_conv_layer__corr2d import *; ")
    nb = nbformat.read(perfect / "02_conv_layer.ipynb", as_version=4)
    code = next(c.source for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "code_conv_layer")
    assert len(conv.splitlines()) == len(code.splitlines())
    assert "_02_conv_layer__corr2d.py" in files


def test_folder_of_perfect_notebooks_scores_like_the_reference(perfect):
    """A dependency copy (conv_layer, channels) and inlined reference helpers (theory) grade full."""
    only = ["conv_layer", "channels", "theory"]
    report = grade(perfect, exercises=only).to_dict()
    failed = [
        (e["name"], c["name"], c["message"])
        for e in report["exercises"]
        for c in e["checks"]
        if c["status"] != "passed"
    ]
    assert failed == [] and report["score"] == sum(points()[n] for n in only)


def cli_json(capsys, *args: str) -> tuple[int, dict | str]:
    from autograder.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else captured.err)


def test_malformed_notebooks_cost_their_exercise_only(perfect, tmp_path, capsys):
    folder = tmp_path / "sub"
    shutil.copytree(perfect, folder)
    (folder / "01_corr2d.ipynb").write_text('{"cells": [', encoding="utf-8")  # invalid JSON
    nb = nbformat.read(folder / "05_pooling.ipynb", as_version=4)  # missing cell
    nb.cells = [c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] != "code_pooling"]
    nbformat.write(nb, folder / "05_pooling.ipynb")
    nb = nbformat.read(folder / "06_lenet.ipynb", as_version=4)  # does not parse
    code = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "code_lenet")
    code.source = code.source.replace("def lenet()", "def lenet(:", 1)
    nbformat.write(nb, folder / "06_lenet.ipynb")
    status, report = cli_json(capsys, "grade", str(folder), "--only", "corr2d,pooling,lenet,theory", "--format", "json")
    assert status == 0, report
    by_name = {e["name"]: e for e in report["exercises"]}
    messages = {name: " ".join(c["message"] for c in e["checks"]) for name, e in by_name.items()}
    assert (
        by_name["corr2d"]["score"] == 0
        and "01_corr2d.ipynb is not a valid notebook: invalid JSON" in messages["corr2d"]
    )
    assert by_name["pooling"]["score"] == 0 and "05_pooling.ipynb has no cell code_pooling" in messages["pooling"]
    assert by_name["lenet"]["score"] == 0 and "06_lenet.ipynb, cell code_lenet, line" in messages["lenet"]
    assert "SyntaxError" in messages["lenet"]
    assert by_name["theory"]["score"] == by_name["theory"]["max_score"] > 0


def test_single_notebook_uses_its_own_copy_of_corr2d(perfect, capsys):
    status, report = cli_json(
        capsys, "grade", str(perfect / "04_channels.ipynb"), "--only", "channels,pooling", "--format", "json"
    )
    assert status == 0, report
    data = {e["name"]: e for e in report["exercises"]}
    assert data["channels"]["score"] == data["channels"]["max_score"] > 0
    assert data["pooling"]["score"] == 0
    assert "pooling is not part of this submission (04_channels.ipynb)" in data["pooling"]["checks"][0]["message"]


def test_unreadable_notebook_submission_exits_2(tmp_path, capsys):
    broken = tmp_path / "work.ipynb"
    broken.write_text("not json", encoding="utf-8")
    status, err = cli_json(capsys, "grade", str(broken))
    assert status == 2 and "not a valid notebook" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), empty / "01_corr2d.ipynb")
    status, err = cli_json(capsys, "grade", str(empty))
    assert status == 2 and "no exercise code could be read" in err


def test_hidden_cell_is_silent_and_returns_the_score(perfect, capfd, monkeypatch):
    from autograder.nbgrader.runtime import hidden_tests

    monkeypatch.chdir(perfect)
    score = hidden_tests("01_corr2d.ipynb", "corr2d", points=points()["corr2d"], training_budget="small")
    out, err = capfd.readouterr()
    assert score == points()["corr2d"] and err == ""
    assert "All checks passed." in out
    assert not any(line in out for line in hidden_check_lines())


def test_partial_credit_reaches_nbgrader(perfect, tmp_path, capfd, monkeypatch):
    """A corr2d built on F.conv2d loses the rule's points only; nbgrader reads the cell's value as the grade."""
    determine_grade = pytest.importorskip("nbgrader.utils").determine_grade
    from autograder.nbgrader.runtime import hidden_tests

    nb = nbformat.read(perfect / "01_corr2d.ipynb", as_version=4)
    code = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == "code_corr2d")
    code.source += (
        "\n\ndef corr2d(X, K):\n    from torch.nn import functional as F\n"
        "    return F.conv2d(X[None, None], K[None, None])[0, 0]\n"
    )
    nbformat.write(nb, tmp_path / "01_corr2d.ipynb")
    monkeypatch.chdir(tmp_path)
    full = points()["corr2d"]
    score = hidden_tests("01_corr2d.ipynb", "corr2d", points=full)
    out, err = capfd.readouterr()
    assert 0 < score < full and err == "", out
    assert "What to fix" in out and "built-in convolution" in out
    cell = nbformat.v4.new_code_cell(
        "",
        metadata={
            "nbgrader": {
                "grade": True,
                "grade_id": "tests_corr2d",
                "locked": True,
                "points": full,
                "schema_version": 3,
                "solution": False,
                "task": False,
            }
        },
    )
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=out),
        nbformat.v4.new_output("execute_result", data={"text/plain": repr(score)}, execution_count=1),
    ]
    assert determine_grade(cell) == (score, full)


def test_notebook_training_budgets_are_the_graders():
    """``--training-budget`` of the notebooks names the grader's own budgets, default included."""
    from autograder.checks import training
    from autograder.nbgrader.build import CELL_TIMEOUT
    from autograder.training_budgets import BUDGETS

    assert set(BUDGETS) == set(CELL_TIMEOUT)
    assert BUDGETS["small"].threshold is None
    assert "reaches_accuracy" in [c.name for c in training.EXERCISE.checks]


# --------------------------------------------------------------------------- the nbgrader command line


def nbgrader(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in the course; print its wall-clock and CPU time (children included)."""
    import resource

    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` from PATH
    env = dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]))
    env.pop("NBGRADER_EXECUTION", None)
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True, timeout=timeout
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(f"nbgrader {args[0]}: {time.perf_counter() - started:.0f} s wall, {cpu:.0f} s CPU")
    assert result.returncode == 0, (
        f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}"
    )
    return result


def grep(folder: Path, needles: set[str]) -> list[tuple[str, str]]:
    """(file, needle) for every needle found in a file under ``folder`` (HTML is unescaped first)."""
    hits = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".ipynb", ".html", ".py"):
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".html":
                text = html_unescape_all(text)
            elif path.suffix == ".ipynb":
                nb = json.loads(text)
                text = "\n".join(
                    "".join(c["source"]) + "\n" + json.dumps(c.get("outputs", []), ensure_ascii=False)
                    for c in nb["cells"]
                )
            hits += [(str(path.relative_to(folder)), n) for n in needles if n in text]
    return hits


@pytest.mark.slow
@pytest.mark.needs_data
def test_nbgrader_round_trip(tmp_path):
    pytest.importorskip("nbgrader")
    from cnnkit import find_fashion_mnist

    try:
        find_fashion_mnist()
    except Exception as exc:  # noqa: BLE001 - any reason the data is not there
        pytest.skip(f"Fashion-MNIST is not available: {exc}")
    started = time.perf_counter()
    course = tmp_path / "course"
    result = run_cli("nbgrader", "build", str(course), "--training-budget", "small")
    assert result.returncode == 0, result.stderr

    nbgrader(course, "generate_assignment", "ch6", "--force")
    release = course / "release" / "ch6"
    names = [f"{registry.get(m).notebook}.ipynb" for m in EXERCISE_NAMES]
    assert sorted(p.name for p in release.glob("*.ipynb")) == names
    secrets = (
        solution_body_lines()
        | hidden_check_lines()
        | {"BEGIN SOLUTION", "BEGIN HIDDEN", "hidden_tests(", "autograder.nbgrader.hidden"}
    )
    assert grep(release, secrets) == []
    for name in names:
        nb = nbformat.read(release / name, as_version=4)
        assert any("raise NotImplementedError()" in c.source for c in nb.cells if c.metadata["nbgrader"]["solution"])

    for student in ("alice", "bob"):
        shutil.copytree(release, course / "submitted" / student / "ch6")
    for name in names:
        fill_with_solutions(course / "submitted" / "alice" / "ch6" / name, course / "source" / "ch6" / name)

    nbgrader(course, "autograde", "ch6")
    nbgrader(course, "generate_feedback", "ch6")
    nbgrader(course, "export")

    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO((course / "grades.csv").read_text()))}
    assert float(rows["alice"]["max_score"]) == float(rows["bob"]["max_score"]) == 100
    assert float(rows["alice"]["score"]) == 100, _explain(course, "alice")
    assert float(rows["bob"]["score"]) == 0, _explain(course, "bob")

    for name in names:  # the correct solution's hidden cells write nothing to stderr and end with the score
        nb = nbformat.read(course / "autograded" / "alice" / "ch6" / name, as_version=4)
        tests = next(c for c in nb.cells if c.metadata["nbgrader"]["grade"])
        assert [o.output_type for o in tests.outputs][-1] == "execute_result"
        assert not [o for o in tests.outputs if o.output_type == "stream" and o.name == "stderr"]
    feedback = course / "feedback"
    assert sorted(p.name for p in (feedback / "bob" / "ch6").glob("*.html")) == [
        n.replace(".ipynb", ".html") for n in names
    ]
    assert grep(feedback, hidden_check_lines() | {"BEGIN HIDDEN", "hidden_tests(", "autograder.nbgrader.hidden"}) == []
    assert grep(feedback / "bob", solution_body_lines()) == []
    bob = html_unescape_all((feedback / "bob" / "ch6" / "01_corr2d.html").read_text())
    assert "not implemented yet" in bob  # the grader's explanation reaches the student
    print(f"nbgrader round trip: {time.perf_counter() - started:.0f} s")


def _explain(course: Path, student: str) -> str:
    """The test cells' outputs of one student, to understand a wrong total."""
    lines = []
    for path in sorted((course / "autograded" / student / "ch6").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade"):
                text = "".join(
                    o.get("text", "") or str(o.get("data", {}).get("text/plain", "")) or str(o.get("evalue", ""))
                    for o in cell.outputs
                )
                lines.append(f"--- {path.name}\n{text[-1500:]}")
    return "\n".join(lines)
