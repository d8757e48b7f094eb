"""cnn-kit's grader: load a submission, run hidden checks against it in a worker, score, report.

The stages, in the order of a grading run and of the imports (a stage imports only those before
it; ``tests/fast/test_layers.py`` enforces it; ``docs/architecture.md`` tells the whole story):

0. ``registry`` (the exercise table), ``settings`` (one object per run), ``training_budgets``,
   ``validation``, ``text``, ``reasons``: read by every stage;
1. ``load``: find a submission's modules (folders, repositories, notebooks, zips);
2. ``worker``: the sandboxed process student code runs in;
3. ``checks``: the hidden checks, one module per exercise;
4. ``runner``: grade one submission into results;
5. ``report``: render the results;
6. front ends: ``cli``, ``config``, ``batch`` (a class), ``ship`` (release, Gradescope), ``nbgrader``,
   ``calibrate``.
"""

from typing import Any

__all__ = ["grade"]


def __getattr__(name: str) -> Any:  # ``autograder.grade`` without importing torch for every submodule
    if name == "grade":
        from .runner import grade

        return grade
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
