"""A generated class for the class and similarity reports: who submitted what, and what must follow.

Every student is a folder of the eight exercise modules (plus the stubs' ``__init__.py``), each module
taken from a ``Source``: the reference (``solutions/``), the released stub (``exercises/``), a case of
the corpus (``tests/corpus/{correct,wrong}/...``), or one of these with its local variables renamed
and its comments and docstrings rewritten (``renamed``). A source's ``family`` says where its code
comes from: two students' modules of one family are copies (the similarity report must flag them),
modules of different families were written independently (it must not), and a stub is nobody's code.

The corpus' other correct variants (``corr2d/unfold``, ``pooling/unfold``, ...) are one-line edits of
the reference or of each other and share its helper functions verbatim, so they belong to the
reference's family; ``INDEPENDENT`` lists the variants written from scratch.
"""

from __future__ import annotations

import ast
import builtins
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.registry import NAMES
from tests.slow.test_corpus import CAUGHT_BY, Case

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
REFERENCE = "reference"
STUB = "stub"
#: Rule checks are scored only on a correct result (``checks/rules.py``): a wrong case whose results are
#: wrong loses them as well as its ``CAUGHT_BY`` checks.
RULES_LOST = {
    "wrong/pooling/wrong_divisor": {"no_builtin"},
    "wrong/channels/stack_dim1": {"no_builtin", "speed"},
}
#: Correct variants of the corpus that share no code with the reference or with each other.
INDEPENDENT = {
    "padding_stride": ("math_floor",),
    "pooling": ("as_strided",),
    "lenet": ("hooks_trace",),
    "channels": ("einsum",),
}


@dataclass(frozen=True)
class Source:
    """Where one module of a student comes from."""

    origin: str  # "reference", "stub", or "<category>/<exercise>/<case>" of the corpus
    family: str | None  # whose code it is (None: the stub, nobody's)
    renamed: bool = False

    @property
    def fails(self) -> set[str]:
        """The checks this module fails: a wrong case's ``CAUGHT_BY`` checks and the rules it loses."""
        category, _, key = self.origin.partition("/")
        return CAUGHT_BY[key] | RULES_LOST.get(self.origin, set()) if category == "wrong" else set()

    @property
    def attempted(self) -> bool:
        return self.origin != STUB


def reference() -> Source:
    return Source(REFERENCE, REFERENCE)


def stub() -> Source:
    return Source(STUB, None)


def corpus(case: str) -> Source:
    """A corpus case, ``category/exercise/name``; its family is its own when it was written independently."""
    category, exercise, name = case.split("/")
    independent = category == "correct" and name in INDEPENDENT.get(exercise, ())
    return Source(case, case if independent else REFERENCE)


def renamed(source: Source) -> Source:
    return replace(source, renamed=True)


@dataclass(frozen=True)
class Student:
    id: str
    modules: dict[str, Source]


def student(sid: str, default: Source | None = None, **modules: Source) -> Student:
    base = default or reference()
    return Student(sid, {name: modules.get(name, base) for name in NAMES})


def small_class() -> list[Student]:
    """Reference copies, stubs, a partial submission, wrong and independent ones, two near-copies and
    a renamed copy of the reference (the wrong cases replace modules that no other exercise imports)."""
    near = {"lenet": corpus("correct/lenet/hooks_trace"), "channels": corpus("correct/channels/einsum")}
    return [
        student("ref01"),
        student("ref02"),
        student("ref_renamed", renamed(reference())),
        student("stub01", stub()),
        student("stub02", stub()),
        student("partial01", stub(), corr2d=reference(), padding_stride=reference(), pooling=reference()),
        student(
            "wrong01",
            pooling=corpus("wrong/pooling/wrong_divisor"),
            channels=corpus("wrong/channels/stack_dim1"),
        ),
        student(
            "wrong02",
            lenet=corpus("wrong/lenet/relu"),
            theory=corpus("wrong/theory/conv_cost_no_bias"),
            padding_stride=corpus("wrong/padding_stride/ceil_division"),
        ),
        student(
            "indep01",
            padding_stride=corpus("correct/padding_stride/math_floor"),
            pooling=corpus("correct/pooling/as_strided"),
        ),
        student("near_a", **near),
        student("near_b", **{name: renamed(source) for name, source in near.items()}),
    ]


def module_source(exercise: str, source: Source) -> str:
    """The text of ``exercise``'s module for ``source``."""
    if source.origin == REFERENCE:
        text = (ROOT / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")
    elif source.origin == STUB:
        text = (ROOT / "exercises" / f"{exercise}.py").read_text(encoding="utf-8")
    else:
        category, case_exercise, name = source.origin.split("/")
        if case_exercise != exercise:
            raise ValueError(f"{source.origin} is a case of {case_exercise}, not of {exercise}")
        folder = CORPUS / category / exercise
        path = next(p for p in (folder / f"{name}.py", folder / f"{name}.toml") if p.is_file())
        text = Case(category, exercise, name, path).source
    return rename_locals(text) if source.renamed else text


def write_student(directory: Path, student: Student) -> Path:
    folder = directory / student.id
    folder.mkdir(parents=True)
    shutil.copyfile(ROOT / "exercises" / "__init__.py", folder / "__init__.py")
    for exercise, source in student.modules.items():
        (folder / f"{exercise}.py").write_text(module_source(exercise, source), encoding="utf-8")
    return folder


def write_class(directory: Path, students: list[Student]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for one in students:
        write_student(directory, one)
    return directory


def expected_copies(students: list[Student], exercise: str) -> set[tuple[str, str]]:
    """The pairs of students (sorted ids) whose ``exercise`` modules are copies of one another."""
    return {
        (a.id, b.id)
        for i, a in enumerate(students)
        for b in students[i + 1 :]
        if a.modules[exercise].family is not None and a.modules[exercise].family == b.modules[exercise].family
    }


def expected_passes(students: list[Student], exercise: str, check: str) -> tuple[int, int]:
    """(students who pass ``check``, students who attempted ``exercise``): a stub is no attempt."""
    attempted = [one.modules[exercise] for one in students if one.modules[exercise].attempted]
    return sum(check not in source.fails for source in attempted), len(attempted)


# --------------------------------------------------------------------------- renaming


def local_names(tree: ast.AST) -> set[str]:
    """Variables assigned inside functions (not parameters: the grader passes some by keyword)."""
    top = {
        alias.asname or alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    } | {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    parameters = {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
    found = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                found.add(node.id)
    return found - top - parameters - set(dir(builtins))


class Disguise(ast.NodeTransformer):
    """Renames the given variables and rewrites every docstring."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.generic_visit(node)
        if ast.get_docstring(node) is not None:
            node.body[0] = ast.Expr(ast.Constant("My own solution."))
        return node


def rename_locals(text: str, tag: str = "x") -> str:
    """``text`` with its local variables renamed (``tag`` in every new name), its docstrings rewritten and
    its comments replaced: what a student who copies and disguises a module does. It still runs the same."""
    tree = ast.parse(text)
    mapping = {name: f"{name}_{index}{tag}" for index, name in enumerate(sorted(local_names(tree)))}
    tree = ast.fix_missing_locations(Disguise(mapping).visit(tree))
    if ast.get_docstring(tree) is not None:
        tree.body[0] = ast.Expr(ast.Constant("My answer to the exercise."))
    return "# Written by me, for this course.\n" + ast.unparse(tree) + "\n"
