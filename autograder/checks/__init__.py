"""Stage 3, checks: the hidden checks, one module per exercise of the table (``registry``).

Where is pooling checked? ``checks/pooling.py`` (training, the largest, is a package:
``checks/training/``). Each defines ``EXERCISE``, the exercise's checks in order, whose points add up
to the table's. ``framework`` says what a check is; ``expect`` and ``rules`` hold the comparisons
and rules the exercises share; ``strategies`` the hypothesis strategies.
"""

from __future__ import annotations

import importlib

from .. import registry
from .framework import ExerciseChecks


def checks_for(name: str) -> ExerciseChecks:
    """The checks of the exercise ``name``; a grader whose points disagree with the table refuses."""
    checks = importlib.import_module(f"{__name__}.{registry.get(name).name}").EXERCISE
    if checks.max_score != checks.exercise.points:
        raise RuntimeError(
            f"the checks of {name} add up to {checks.max_score:g} points, the exercise table says "
            f"{checks.exercise.points:g} (autograder/registry.py)"
        )
    return checks


def all_checks(names: tuple[str, ...] = registry.NAMES) -> list[ExerciseChecks]:
    """The checks of ``names`` (every exercise by default), in table order."""
    return [checks_for(name) for name in registry.select(names)]
