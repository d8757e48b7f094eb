"""The exercise table: the one list of exercises that every stage reads.

Checks, loading, reports, the nbgrader build, the student release and Gradescope all take the
exercises, their order, their modules and their points from here. The public tests ship to
students without the grader, so ``exercises/tests/conftest.py`` keeps its own copy of the names;
``tests/fast/test_registry.py`` proves that copy agrees with this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exercise:
    """One row of the table.

    ``name`` is also the module students fill in (``exercises/<name>.py``); ``uses`` are the earlier
    exercise modules it imports (``from .corr2d import corr2d``); ``points`` is what the hidden
    checks of ``autograder/checks/<name>.py`` add up to; ``d2l_zh`` and ``d2l_en`` are the book's
    sections in the Chinese and the English edition.
    """

    name: str
    points: float
    d2l_zh: str
    d2l_en: str
    uses: tuple[str, ...] = ()

    @property
    def modules(self) -> tuple[str, ...]:
        """The modules a grading worker imports for this exercise, its own last."""
        return (*self.uses, self.name)

    @property
    def notebook(self) -> str:
        """The stem of its nbgrader notebook, numbered in table order: ``01_corr2d``."""
        return f"{NAMES.index(self.name) + 1:02d}_{self.name}"


EXERCISES: tuple[Exercise, ...] = (
    Exercise("corr2d", 14, "6.2.1", "7.2.1"),
    Exercise("conv_layer", 10, "6.2.2-6.2.4", "7.2.2-7.2.4", uses=("corr2d",)),
    Exercise("padding_stride", 12, "6.3", "7.3", uses=("corr2d",)),
    Exercise("channels", 14, "6.4", "7.4", uses=("corr2d",)),
    Exercise("pooling", 12, "6.5", "7.5"),
    Exercise("lenet", 10, "6.6.1", "7.6.1"),
    Exercise("training", 16, "6.6.2", "7.6.2"),
    Exercise("theory", 12, "6.2 and 6.4 exercises", "7.2 and 7.4 exercises"),
)
#: The exercise names, in table order.
NAMES: tuple[str, ...] = tuple(e.name for e in EXERCISES)
_BY_NAME = {e.name: e for e in EXERCISES}


class UnknownExercise(ValueError):
    """A name that is not in the table."""


def get(name: str) -> Exercise:
    """The row of ``name``; ``UnknownExercise`` names the choices."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UnknownExercise(f"unknown exercise {name!r}; choose from {', '.join(NAMES)}") from None


def select(names) -> tuple[str, ...]:
    """``names`` checked against the table and put in table order (all of them when empty)."""
    if not names:
        return NAMES
    unknown = [name for name in names if name not in _BY_NAME]
    if unknown:
        raise UnknownExercise(f"unknown exercise {', '.join(map(repr, unknown))}; choose from {', '.join(NAMES)}")
    return tuple(name for name in NAMES if name in set(names))


def by_notebook(stem: str) -> Exercise | None:
    """The exercise whose notebook is ``stem`` (``04_channels``), or None."""
    return next((e for e in EXERCISES if e.notebook == stem), None)
