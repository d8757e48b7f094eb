"""nbgrader support: build a course from the kit, and read the notebooks students hand in.

* :mod:`.build` writes a ready nbgrader course directory (``autograde nbgrader build``): one
  notebook per exercise, generated from ``exercises/`` (statements, stubs), ``solutions/``
  (the code between ``### BEGIN SOLUTION`` / ``### END SOLUTION``) and the hidden checks' registry
  (points). Nothing in a notebook is written by hand.
* :mod:`.cells` generates the cells' sources; :mod:`.extract` turns a notebook (or a folder of
  them) back into module files for the grader (``autograde grade work.ipynb``);
  :mod:`.runtime` is what the notebooks call (public tests in the kernel, hidden tests through
  :mod:`.hidden` in a fresh process whose student code runs in the sandboxed worker).

This package imports nothing heavy at import time: ``autograder.load`` uses :mod:`.extract`,
which only needs the standard library.
"""
from __future__ import annotations

from ..checks import EXERCISE_NAMES

#: The default assignment name (d2l-zh chapter 6).
DEFAULT_ASSIGNMENT = "ch6"

#: Cell ids (nbgrader ``grade_id``), per exercise module ``m``.
CODE_ID = "code_{}"          # the student's module (a solution cell)
DEPENDENCY_ID = "dep_{}"     # a copy of an earlier module this exercise builds on (a solution cell)
PUBLIC_ID = "public_{}"      # the public tests (locked)
TESTS_ID = "tests_{}"        # the autograded tests: hidden checks, partial credit (grade cell)


def notebook_name(exercise: str) -> str:
    """``corr2d`` -> ``01_corr2d`` (the notebook's name without ``.ipynb``), in the table's order."""
    return f"{EXERCISE_NAMES.index(exercise) + 1:02d}_{exercise}"


def exercise_of_notebook(stem: str) -> str | None:
    """``04_channels`` -> ``channels``; None for a name that is not one of ours."""
    for name in EXERCISE_NAMES:
        if stem == notebook_name(name):
            return name
    return None
