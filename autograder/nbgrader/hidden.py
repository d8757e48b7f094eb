"""The grader process behind a notebook's hidden-test cell (``python -m autograder.nbgrader.hidden``).

It grades one exercise of one saved notebook exactly like ``autograde grade NOTEBOOK.ipynb --only
EXERCISE`` (the notebook is turned into modules by :mod:`.extract`, the student's code runs only
in the sandboxed worker, the hidden checks judge here) and writes a small JSON result: the score,
the grader's text report, and why grading is incomplete if it is. Nothing else is printed: the
notebook cell shows the report, never the checks' code or their expected values beyond what the
report itself says.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from ..inert import visible
from ..training_budgets import BUDGETS, DEFAULT_BUDGET
from ..worker.sandbox import SandboxUnavailable


def grade_notebook(notebook: Path, exercise: str, budget: str, lang: str) -> dict:
    from ..report import FORMATS
    from ..runner import grade
    from ..settings import Settings, resolve_device

    settings = Settings(exercises=(exercise,), device=resolve_device("auto"), training_budget=budget, lang=lang)
    report = grade(notebook, settings)
    report.submission = notebook.name
    return {
        "score": report.score,
        "max_score": report.max_score,
        "text": FORMATS["text"](report),
        "incomplete": [reason(lang) for reason in report.incomplete],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.nbgrader.hidden")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("exercise")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--training-budget", choices=BUDGETS, default=DEFAULT_BUDGET)
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    status = 0
    try:
        result = grade_notebook(args.notebook, args.exercise, args.training_budget, args.lang)
    except SandboxUnavailable as exc:  # the cell says what is missing and how to fix it
        result, status = {"error": exc.text(args.lang)}, 2
    except Exception as exc:  # reported in the cell: the type and message only, no traceback
        result = {"error": visible(f"the grader could not grade {args.notebook.name}: {type(exc).__name__}: {exc}")}
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, args.out)
    return status


if __name__ == "__main__":
    sys.exit(main())
