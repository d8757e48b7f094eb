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

#: ``--training-budget``: ``full`` is the grader's own budget (``autograder/checks/training.py``);
#: ``small`` is a smoke test for CI and for trying a course out: the reference's LeNet needs the full
#: budget to leave the sigmoid plateau, so with ``small`` the accuracy threshold is not enforced
#: (every other training check is). Never grade a class with ``small``.
TRAINING_BUDGETS = ("small", "full")
SMALL_TRAINING = {"TRAIN_IMAGES": 2_000, "HELD_OUT_IMAGES": 500, "EPOCHS": 1, "THRESHOLD": 0.0}


def apply_training_budget(budget: str) -> None:
    """Set the training checks' budget for this grader process (``full``: leave the grader's own)."""
    if budget not in TRAINING_BUDGETS:
        raise ValueError(f"unknown training budget {budget!r}; choose from {', '.join(TRAINING_BUDGETS)}")
    if budget == "full":
        return
    from ..checks import training
    from ..checks.framework import Text

    for name, value in SMALL_TRAINING.items():
        if not hasattr(training, name):
            raise RuntimeError(f"autograder/checks/training.py has no {name}: update SMALL_TRAINING in {__name__}")
        setattr(training, name, value)
    for check in training.EXERCISE.checks:
        if check.name == "reaches_accuracy":
            check.title = Text("the trained LeNet is measured on the official test set (small training budget: "
                               "no accuracy threshold)",
                               "在官方测试集上测量训练后的 LeNet（小训练预算：不要求精度阈值）")


def grade_notebook(notebook: Path, exercise: str, budget: str, lang: str) -> dict:
    from ..checks.framework import Options
    from ..report.render import FORMATS
    from ..runner import grade

    if exercise == "training":
        apply_training_budget(budget)
    report = grade(notebook, only=[exercise], options=Options())
    report.submission = notebook.name
    return {"score": report.score, "max_score": report.max_score, "text": FORMATS["text"](report, lang),
            "incomplete": [reason(lang) for reason in report.incomplete]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.nbgrader.hidden")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("exercise")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--training-budget", choices=TRAINING_BUDGETS, default="full")
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    try:
        result = grade_notebook(args.notebook, args.exercise, args.training_budget, args.lang)
    except Exception as exc:  # reported in the cell: the type and message only, no traceback
        result = {"error": f"the grader could not grade {args.notebook.name}: {type(exc).__name__}: {exc}"}
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
