"""Notebooks of ``autograde nbgrader build`` turned back into exercise modules for the grader.

A submission may be one ``.ipynb`` or a folder of them (e.g. nbgrader's
``submitted/<student>/ch6/``). The student's code is in the code cells whose nbgrader
``grade_id`` is ``code_<module>`` (the exercise of that notebook) or ``dep_<module>`` (a copy of
an earlier exercise the notebook builds on); see :func:`notebook_files` for which cell becomes
which module.

A notebook is one namespace, so a cell uses the names of the cells above it without importing
them. Each extracted module therefore starts with ``from .<earlier> import *`` for the cells
above it in its notebook, on the cell's first line when that keeps Python happy, so that line
numbers in the grader's messages are the cell's.

Nothing is executed here (only ``json`` and ``compile``). A notebook that cannot be read, a
missing cell or code that does not parse becomes a module that raises ``NotebookProblem`` with a
plain explanation when the worker imports it, so the grader reports it for that exercise only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import registry
from .directory import MAX_MODULE_BYTES, has_modules, link_problem

MAX_NOTEBOOK_BYTES = 64 << 20
#: Cell ids (nbgrader ``grade_id``), per exercise module ``m``: the student's module (a solution
#: cell), a copy of an earlier module this exercise builds on (a solution cell), the public tests
#: (locked) and the autograded tests (grade cell, partial credit).
CODE_ID = "code_{}"
DEPENDENCY_ID = "dep_{}"
PUBLIC_ID = "public_{}"
TESTS_ID = "tests_{}"
_ID = re.compile(r"(code|dep)_(\w+)")


class NotebookError(Exception):
    """A notebook that cannot be used at all (its explanation goes into the report)."""


@dataclass
class Cell:
    notebook: str  # file name, e.g. 02_conv_layer.ipynb
    module: str
    primary: bool  # code_<module> (True) or dep_<module> (False)
    source: str


# --------------------------------------------------------------------------- which submissions


def is_notebook_submission(path: Path) -> bool:
    """An ``.ipynb`` file, or a folder with notebooks and no exercise modules."""
    path = Path(path)
    if path.suffix == ".ipynb" and not path.is_dir():
        return True
    return path.is_dir() and not has_modules(path) and any(_notebooks_in(path))


def _notebooks_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.ipynb") if p.is_file() or p.is_symlink())


# --------------------------------------------------------------------------- reading one notebook


def read_cells(path: Path) -> list[Cell]:
    """Our code cells of one notebook, in order; ``NotebookError`` if the file is not a usable notebook
    (a symbolic link is never followed)."""
    problem = link_problem(path, "the notebook")
    if problem is not None:
        raise NotebookError(problem)
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"{path.name} is too large ({size} bytes)")
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{path.name} is not UTF-8 text: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{path.name} is not a valid notebook: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
        ) from None
    except OSError as exc:
        raise NotebookError(f"{path.name} cannot be read: {exc.strerror or exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        if isinstance(data, dict) and "worksheets" in data:
            raise NotebookError(f"{path.name} is an nbformat 3 notebook; save it with Jupyter (nbformat 4)")
        raise NotebookError(f"{path.name} is not a valid notebook: no list of cells")
    cells: list[Cell] = []
    for raw in data["cells"]:
        if not isinstance(raw, dict) or raw.get("cell_type") != "code":
            continue
        meta = raw.get("metadata")
        nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
        match = _ID.fullmatch(grade_id) if isinstance(grade_id, str) else None
        if not match or match.group(2) not in registry.NAMES:
            continue
        source = raw.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"{path.name}: cell {grade_id} has no readable source")
        cells.append(Cell(path.name, match.group(2), match.group(1) == "code", source))
    return cells


# --------------------------------------------------------------------------- building modules


def _without_magics(source: str) -> str:
    """IPython line magics and shell escapes (``%time``, ``!pip``) become ``pass`` (line numbers kept).

    Only for code that is not valid Python as it is, so that no valid line is ever changed.
    """
    try:
        compile(source, "<cell>", "exec", dont_inherit=True)
        return source
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    lines = source.split("\n")
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines[i] = f"{line[: len(line) - len(stripped)]}pass  # notebook magic removed: {stripped[:60]}"
    return "\n".join(lines)


def problem_module(message: str) -> bytes:
    """A module whose import fails with ``message`` (how a notebook problem reaches the report)."""
    return (f"class NotebookProblem(Exception):\n    pass\n\n\nraise NotebookProblem({message!r})\n").encode()


def private_name(cell: Cell) -> str:
    """The module of a copied dependency: ``_02_conv_layer__corr2d`` for corr2d in 02_conv_layer.ipynb."""
    return "_" + re.sub(r"\W", "_", Path(cell.notebook).stem) + "__" + cell.module


def module_source(cell: Cell, earlier: list[str]) -> bytes:
    """The module file for one cell: ``from .<m> import *`` for each module in ``earlier``, then its code."""
    where = f"{cell.notebook}, cell {(CODE_ID if cell.primary else DEPENDENCY_ID).format(cell.module)}"
    code = _without_magics(cell.source)
    if len(code.encode()) > MAX_MODULE_BYTES:
        return problem_module(f"{where}: the code is larger than {MAX_MODULE_BYTES} bytes")
    try:
        compile(code, where, "exec", dont_inherit=True)
    except SyntaxError as exc:
        text = (exc.text or "").strip()
        shown = f": {text!r}" if text else ""
        return problem_module(f"{where}, line {exc.lineno}: SyntaxError: {exc.msg}{shown}")
    except (ValueError, RecursionError, MemoryError) as exc:
        return problem_module(f"{where}: the code cannot be compiled ({type(exc).__name__})")
    if not earlier:
        return code.encode()
    preamble = "; ".join(f"from .{m} import *" for m in earlier)
    lines = code.split("\n")
    first = lines[0]
    simple = (
        first.strip()
        and not first[:1].isspace()
        and not first.lstrip().startswith(
            (
                "def ",
                "class ",
                "@",
                "async ",
                "if ",
                "elif",
                "else",
                "for ",
                "while ",
                "with ",
                "try",
                "except",
                "finally",
                "match ",
                "#",
                '"',
                "'",
            )
        )
    )
    if simple:
        joined = "\n".join([f"{preamble}; {first}"] + lines[1:])
        try:
            compile(joined, where, "exec", dont_inherit=True)
            return joined.encode()
        except SyntaxError:
            pass
    return f"{preamble}\n{code}".encode()


def _missing(module: str, found_in: str, single: bool) -> bytes:
    expected = f"{registry.get(module).notebook}.ipynb"
    if single:
        return problem_module(
            f"{module} is not part of this submission ({found_in}); its notebook is {expected}: "
            f"grade the folder that holds every notebook"
        )
    return problem_module(
        f"no notebook of {found_in} contains {module} (expected {expected} with its cell {CODE_ID.format(module)})"
    )


def notebook_files(path: Path) -> tuple[dict[str, bytes], list[str]]:
    """Module files (name -> bytes) of a notebook or a folder of notebooks, and the problems met.

    * ``<module>.py`` comes from the cell ``code_<module>`` (in a folder: of the first notebook,
      by name, that has it). Only a single notebook falls back to a copy (``dep_<module>``):
      in a folder, the exercise is graded from its own notebook, like nbgrader does.
    * Each copy becomes a private module of its notebook, which the cells below it import: a
      notebook's code runs with its own copies, exactly as in the notebook (and in nbgrader).

    Raises ``NotebookError`` when nothing at all can be read.
    """
    path = Path(path)
    single = not path.is_dir()
    if single:
        if not path.exists():
            raise NotebookError(f"submission {path} does not exist")
        notebooks = [path]
    else:
        notebooks = _notebooks_in(path)
    problems: list[str] = []
    broken: dict[str, str] = {}  # module -> why its notebook could not be used
    chosen: dict[str, tuple[Cell, list[str]]] = {}
    copies: dict[str, tuple[Cell, list[str]]] = {}
    files: dict[str, bytes] = {}
    readable = 0
    for notebook in notebooks:
        own = getattr(registry.by_notebook(notebook.stem), "name", None)
        try:
            cells = read_cells(notebook)
        except NotebookError as exc:
            problems.append(str(exc))
            if own is not None:
                broken[own] = str(exc)
            continue
        readable += 1
        names: list[str] = []  # module names of this notebook's cells, in order
        for cell in cells:
            if cell.primary:
                name = cell.module if cell.module not in chosen else None
                if name:
                    chosen[cell.module] = (cell, list(names))
                else:
                    name = private_name(cell) + "_again"
                    files[f"{name}.py"] = module_source(cell, list(names))
            else:
                name = private_name(cell)
                files[f"{name}.py"] = module_source(cell, list(names))
                copies.setdefault(cell.module, (cell, list(names)))
            names.append(name)
        if own is not None and not any(c.primary and c.module == own for c in cells):
            problem = f"{notebook.name} has no cell {CODE_ID.format(own)} with your code" + (
                "" if cells else " (was it generated by `autograde nbgrader build`?)"
            )
            problems.append(problem)
            broken.setdefault(own, problem)
    if readable == 0 or not (chosen or copies):
        detail = "; ".join(problems) if problems else "no notebook found"
        raise NotebookError(f"no exercise code could be read from {path}: {detail}")
    for module in registry.NAMES:
        if module in chosen:
            cell, earlier = chosen[module]
            files[f"{module}.py"] = module_source(cell, earlier)
        elif single and module in copies:
            cell, earlier = copies[module]
            files[f"{module}.py"] = module_source(cell, earlier)
        elif module in broken:
            files[f"{module}.py"] = problem_module(broken[module])
        else:
            files[f"{module}.py"] = _missing(module, path.name, single)
    return files, problems
