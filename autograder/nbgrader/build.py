"""``autograde nbgrader build COURSE_DIR``: a ready nbgrader course directory, generated from the kit.

Layout written::

    COURSE_DIR/nbgrader_config.py              course id, execution timeouts, warning filter, feedback
    COURSE_DIR/source/<assignment>/01_corr2d.ipynb ... 08_theory.ipynb

One notebook per exercise module, with as many points as the grader gives that exercise. A
notebook is self-contained: an exercise that builds on an earlier one (``conv_layer`` uses
``corr2d``) asks the student to copy that code into a cell of its own (``dep_corr2d``, ungraded
there), because a notebook cannot import another student notebook reliably and the reference
``corr2d`` would give a solution away. Cells, in order:

1. the statement (Markdown, locked): the exercise module's docstring;
2. per earlier exercise it builds on: a short note (locked) and a solution cell ``dep_<m>``;
3. the solution cell ``code_<m>``: the stub with the reference in ``### BEGIN/END SOLUTION`` regions;
4. the public tests (locked): the kit's ``exercises/tests/test_<m>.py`` run on the notebook;
5. the autograded cell ``tests_<m>`` (grade, locked, the exercise's points): a hidden region that
   calls the grader in a separate process; its value is the partial credit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .. import registry
from ..load.notebook import CODE_ID, DEPENDENCY_ID, PUBLIC_ID, TESTS_ID
from ..training_budgets import BUDGETS, DEFAULT_BUDGET
from .cells import public_cell, solution_cell, statement_markdown, tests_cell

#: The default assignment name (d2l-zh chapter 6).
DEFAULT_ASSIGNMENT = "ch6"

#: Seconds a notebook cell may run while nbgrader executes it, per training budget. The autograded
#: cell of the training notebook trains LeNet in the grader (minutes on a CPU with ``standard``).
CELL_TIMEOUT = {"small": 600, "standard": 3600, "book": 3600}
#: stderr outputs made only of Python warnings: nbgrader would otherwise give a test cell 0 points.
WARNINGS_ONLY = (
    r"\A(?:[^\n]*\b(?:Deprecation|PendingDeprecation|Future|User|Resource|Runtime)Warning\b"
    r"[^\n]*\n?(?:[ \t]+[^\n]*\n?)*)+\Z"
)


class BuildError(RuntimeError):
    """The course cannot be built (e.g. it exists and ``--force`` was not given)."""


def _meta(
    grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False, points: float | None = None
) -> dict:
    """nbgrader cell metadata, schema version 3."""
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def build_notebook(module: str, points: float, training_budget: str = DEFAULT_BUDGET, lang: str = "en"):
    """The source notebook of one exercise (an ``nbformat`` NotebookNode)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    stem = registry.get(module).notebook
    dependencies = list(registry.get(module).uses)
    cells = [
        new_markdown_cell(statement_markdown(module, points, dependencies), metadata=_meta("statement", locked=True))
    ]
    for earlier in dependencies:
        source = f"{registry.get(earlier).notebook}.ipynb"
        cells.append(
            new_markdown_cell(
                f"### Your `{earlier}` / 你的 `{earlier}`\n\nCopy your code from `{source}` "
                f"into the next cell; {module} uses it (it is graded in its own notebook). / "
                f"把 `{source}` 中你的代码复制到下一个单元格；本题要用到它（它在自己的笔记本中评分）。",
                metadata=_meta(f"{DEPENDENCY_ID.format(earlier)}_note", locked=True),
            )
        )
        cells.append(
            new_code_cell(
                solution_cell(earlier, list(registry.get(earlier).uses)),
                metadata=_meta(DEPENDENCY_ID.format(earlier), solution=True),
            )
        )
    cells.append(
        new_markdown_cell(
            f"### Your code / 你的代码: `{module}`", metadata=_meta(f"{CODE_ID.format(module)}_note", locked=True)
        )
    )
    cells.append(
        new_code_cell(solution_cell(module, dependencies), metadata=_meta(CODE_ID.format(module), solution=True))
    )
    cells.append(
        new_markdown_cell(
            "### Public tests / 公开测试\n\nRun this cell to check your code; it does not "
            "grade it. / 运行此单元格检查代码（不计分）。",
            metadata=_meta(f"{PUBLIC_ID.format(module)}_note", locked=True),
        )
    )
    cells.append(new_code_cell(public_cell(module), metadata=_meta(PUBLIC_ID.format(module), locked=True)))
    cells.append(
        new_markdown_cell(
            f"### Autograded tests / 自动评分测试 ({points:g} points / 分)",
            metadata=_meta(f"{TESTS_ID.format(module)}_note", locked=True),
        )
    )
    cells.append(
        new_code_cell(
            tests_cell(module, stem, points, training_budget, lang),
            metadata=_meta(TESTS_ID.format(module), grade=True, locked=True, points=points),
        )
    )
    for cell in cells:  # deterministic ids: rebuilding gives identical files
        cell["id"] = cell.metadata["nbgrader"]["grade_id"].replace("_", "-")
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(nb)
    validate_nbgrader(nb)
    return nb


def validate_nbgrader(nb) -> None:
    """nbgrader's own validator of cell metadata (schema version 3), when nbgrader is installed."""
    try:
        from nbgrader.nbgraderformat import MetadataValidator
    except ImportError:
        return
    MetadataValidator().validate_nb(nb)


def _kit_path_lines() -> list[str]:
    """Config lines that let the kernels import the kit when it is a source checkout, not installed."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        return []
    return [
        "",
        "# This kit is a source checkout (not pip-installed): the kernels that run the notebooks",
        "# import `autograder`, `cnnkit` and `exercises` from it.",
        f"KIT_ROOT = {str(root)!r}",
        "if os.path.isdir(os.path.join(KIT_ROOT, 'autograder')):",
        "    _paths = [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]",
        "    if KIT_ROOT not in _paths:",
        "        os.environ['PYTHONPATH'] = os.pathsep.join([KIT_ROOT] + _paths)",
    ]


def config_text(course_id: str, training_budget: str) -> str:
    timeout = CELL_TIMEOUT[training_budget]
    lines = [
        '"""nbgrader configuration of the cnn-kit course, written by `autograde nbgrader build`."""',
        "import os",
        "",
        "c = get_config()  # noqa: F821 (defined by nbgrader)",
        "",
        f"c.CourseDirectory.course_id = {course_id!r}",
        "",
        "# Seconds one cell may run during `nbgrader autograde` / `validate`: the autograded cell of",
        f"# the training notebook trains LeNet (training budget: {training_budget}).",
        f"c.Execute.timeout = {timeout}",
        f"c.ExecutePreprocessor.timeout = {timeout}",
        "",
        "# A test cell that writes to stderr gets 0 points in nbgrader: drop stderr outputs that are",
        "# only Python warnings (the hidden tests themselves write nothing there).",
        "c.IgnorePattern.enabled = True",
        f"c.IgnorePattern.pattern = r'{WARNINGS_ONLY}'",
        "",
        "# Feedback shows each cell's output (the grader's explanation) but not the hidden tests' code.",
        "c.GenerateFeedback.preprocessors = [",
        "    'nbgrader.preprocessors.GetGrades',",
        "    'nbgrader.preprocessors.ClearHiddenTests',",
        "    'nbconvert.preprocessors.CSSHTMLHeaderPreprocessor',",
        "]",
    ] + _kit_path_lines()
    return "\n".join(lines) + "\n"


def build_course(
    course_dir: str | Path,
    assignment: str = DEFAULT_ASSIGNMENT,
    training_budget: str = DEFAULT_BUDGET,
    course_id: str = "cnn-kit",
    lang: str = "en",
    force: bool = False,
) -> list[Path]:
    """Write ``nbgrader_config.py`` and ``source/<assignment>/*.ipynb``; return the files written."""
    import nbformat

    if training_budget not in BUDGETS:
        raise BuildError(f"unknown training budget {training_budget!r}; choose from {', '.join(BUDGETS)}")
    if not assignment or not all(ch.isalnum() or ch in "-_" for ch in assignment):
        raise BuildError(f"assignment name {assignment!r}: use letters, digits, '-' and '_'")
    course = Path(course_dir)
    source = course / "source" / assignment
    config = course / "nbgrader_config.py"
    if not force and (config.exists() or source.exists()):
        raise BuildError(f"{config if config.exists() else source} already exists; use --force to overwrite")
    notebooks = {e.name: build_notebook(e.name, e.points, training_budget, lang) for e in registry.EXERCISES}
    source.mkdir(parents=True, exist_ok=True)
    written = []
    for module, nb in notebooks.items():
        path = source / f"{registry.get(module).notebook}.ipynb"
        nbformat.write(nb, str(path))
        written.append(path)
    config.write_text(config_text(course_id, training_budget), encoding="utf-8")
    written.append(config)
    return written


def main_build(args) -> int:
    """``autograde nbgrader build`` (called by the CLI)."""
    try:
        written = build_course(
            args.course_dir, args.assignment, args.training_budget, args.course_id, args.lang, args.force
        )
    except BuildError as exc:
        print(f"autograde: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(
            f"autograde: error: {exc.name or exc} is needed to build notebooks: "
            f"pip install 'cnn-kit[instructor]' (nbgrader, nbformat)",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:
        print(f"autograde: error: {exc}", file=sys.stderr)
        return 2
    course = Path(args.course_dir)
    print(
        f"built nbgrader course in {course}: {len(written) - 1} notebooks in "
        f"{Path('source') / args.assignment}, nbgrader_config.py"
    )
    print(f"next: cd {os.fspath(course)} && nbgrader generate_assignment {args.assignment} --force")
    return 0


def add_parser(commands) -> None:
    """The ``nbgrader`` command group of ``autograde`` (``commands``: its sub-parsers)."""
    group = commands.add_parser("nbgrader", help="build an nbgrader course from the kit")
    sub = group.add_subparsers(dest="nbgrader_command", metavar="SUBCOMMAND", required=True)
    b = sub.add_parser("build", help="write nbgrader_config.py and source/<assignment>/*.ipynb")
    b.add_argument("course_dir", metavar="COURSE_DIR", help="the nbgrader course directory (created if needed)")
    b.add_argument("--assignment", default=DEFAULT_ASSIGNMENT, help="assignment name (default: %(default)s)")
    b.add_argument(
        "--training-budget",
        choices=BUDGETS,
        default=DEFAULT_BUDGET,
        help="the hidden training check's budget (as `autograde grade --training-budget`): "
        "standard (default), book (10 epochs at batch 256: for a GPU), or small (a smoke "
        "test for CI: 2,000 images, one epoch, no accuracy threshold)",
    )
    b.add_argument("--course-id", default="cnn-kit", help="nbgrader course id (default: %(default)s)")
    b.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the grader's messages in the cells")
    b.add_argument("--force", action="store_true", help="overwrite an existing config and source notebooks")
    b.set_defaults(handler=main_build)
