"""nbgrader support: build a course from the kit, and grade its notebooks with the kit's checks.

* :mod:`.build` writes a ready nbgrader course directory (``autograde nbgrader build``): one
  notebook per exercise of the table, generated from ``exercises/`` (statements, stubs),
  ``solutions/`` (the code between ``### BEGIN SOLUTION`` / ``### END SOLUTION``) and the table
  (points). Nothing in a notebook is written by hand.
* :mod:`.cells` generates the cells' sources; :mod:`.runtime` is what the notebooks call (public
  tests in the kernel, hidden tests through :mod:`.hidden` in a fresh process whose student code
  runs in the sandboxed worker). Turning a notebook back into modules is loading:
  ``autograder/load/notebook.py``.

Importing this package is cheap (no torch): the notebooks' kernels import :mod:`.runtime`.
"""

from __future__ import annotations


def add_parser(commands) -> None:
    """The ``nbgrader`` command group of ``autograde``."""
    from .build import add_parser as add_build

    add_build(commands)
