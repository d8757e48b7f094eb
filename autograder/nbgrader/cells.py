"""The sources of a notebook's cells, generated from the kit's single sources of truth.

* The statement: the exercise module's docstring (``exercises/<m>.py``), turned into Markdown.
* The code cell: the exercise stub (imports, signatures, docstrings) with each function body
  replaced by the reference solution's body between ``### BEGIN SOLUTION`` and
  ``### END SOLUTION``. ``nbgrader generate_assignment`` turns every region back into
  ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, so the student's notebook shows the
  stub's signatures and docstrings. Helpers of the reference (module-level functions the stub does
  not have, extra imports, and what the reference imports from modules the student does not
  provide here) sit in the region of the last function, after its body, so they vanish with it.
* Relative imports: a notebook is one namespace, so ``from .corr2d import corr2d`` is dropped
  from the code cell; the module it names is a cell of the same notebook (see
  ``registry.Exercise.uses``). :mod:`autograder.load.notebook` puts the import back when it turns the notebook
  into modules.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import registry

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


class GenerationError(RuntimeError):
    """The exercise stub and the reference solution do not fit together."""


# --------------------------------------------------------------------------- reading the sources


def package_dir(package: str) -> Path:
    """The folder of ``exercises`` or ``solutions`` (the installed kit, or this checkout)."""
    import importlib

    return Path(importlib.import_module(package).__file__).resolve().parent


@lru_cache(maxsize=None)
def _source(package: str, module: str) -> str:
    return (package_dir(package) / f"{module}.py").read_text(encoding="utf-8")


@dataclass
class Parsed:
    text: str
    tree: ast.Module
    lines: list[str]

    def segment(self, first: int, last: int) -> list[str]:
        """Lines ``first``..``last`` (1-based, inclusive)."""
        return self.lines[first - 1 : last]


def parse(package: str, module: str) -> Parsed:
    text = _source(package, module)
    return Parsed(text, ast.parse(text), text.splitlines())


def docstring_of(package: str, module: str) -> str:
    return ast.get_docstring(parse(package, module).tree, clean=True) or ""


# --------------------------------------------------------------------------- the statement


def statement_markdown(module: str, points: float, dependencies: list[str]) -> str:
    """The bilingual statement (the stub's docstring) as Markdown, with the notebook's instructions."""
    text = docstring_of("exercises", module)
    lines = text.splitlines()
    out: list[str] = []
    title = lines[0].strip() if lines else module
    out.append(f"# {title}")
    i = 1
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"-{3,}|={3,}", nxt.strip() or "x"):
            out.append(f"## {line.strip()}")
            i += 2
            continue
        if line.startswith("Test / 测试:"):
            out.append("Test / 测试: run the public-test cell below / 运行下面的公开测试单元格。")
            i += 1
            continue
        if line.rstrip().endswith("::"):
            # A literal block: the indented lines after a paragraph ending in "::".
            head = line.rstrip()[:-1]
            if head.endswith(" :") or head.strip() == ":":
                head = head[:-2]
            out.append(_inline(head))
            i += 1
            block: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                block.append(lines[i])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            code = textwrap.dedent("\n".join(b.replace("<BLANKLINE>", "") for b in block)).strip("\n")
            out += ["", "```python", code, "```", ""]
            continue
        out.append(_inline(line))
        i += 1
    points_text = f"{points:g}"
    out += [
        "",
        "---",
        "",
        f"**Points / 分值: {points_text}.** Write your code in the cell marked *YOUR CODE HERE* "
        f"(keep the names and signatures), run the public tests, then save. The hidden tests are "
        f"the same checks as `autograde grade` and run when your notebook is graded. / "
        f"在标有 *YOUR CODE HERE* 的单元格中编写代码（不要修改函数名和签名），运行公开测试后保存。"
        f"隐藏测试与 `autograde grade` 的检查相同，在评分时运行。",
    ]
    if dependencies:
        names = ", ".join(f"`{d}` ({registry.get(d).notebook}.ipynb)" for d in dependencies)
        out += [
            "",
            f"This exercise builds on your earlier work: {names}. Copy your code into the cell(s) "
            f"provided below; it is graded in its own notebook, here it is only used. / "
            f"本题用到你之前的代码：{names}。请把它复制到下面对应的单元格中；它在自己的笔记本中评分，"
            f"这里只是被调用。",
        ]
    return "\n".join(out).strip() + "\n"


def _inline(line: str) -> str:
    """reStructuredText inline markup to Markdown: ``code`` -> `code`, escaped spaces removed."""
    line = line.replace("\\ ", "")
    return re.sub(r"``(.+?)``", r"`\1`", line)


# --------------------------------------------------------------------------- the code cell


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _reindent(lines: list[str], new_indent: str) -> list[str]:
    """Dedent ``lines`` as a block and indent them by ``new_indent`` (blank lines stay blank)."""
    block = textwrap.dedent("\n".join(lines)).splitlines()
    return [new_indent + line if line.strip() else "" for line in block]


def _has_docstring(body: list[ast.stmt]) -> bool:
    return (
        bool(body)
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno] + [d.lineno for d in decorators])


def _bound_names(node: ast.stmt) -> list[str]:
    """Names a top-level statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return []


def _used_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


class _Inliner:
    """Definitions a reference module imports from modules the student does not provide here.

    ``from .padding_stride import to_pair`` in the reference of pooling becomes the definition of
    ``to_pair`` (and whatever it needs, recursively), all inside a solution region. Imports the
    cell already has (``known``) are not repeated.
    """

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.emitted: set[tuple[str, str]] = set()
        self.imports: list[str] = []
        self.definitions: list[str] = []

    def need(self, module: str, name: str, alias: str | None = None) -> None:
        if (module, name) in self.emitted:
            if alias and alias != name:
                self.definitions.append(f"{alias} = {name}")
            return
        self.emitted.add((module, name))
        parsed = parse("solutions", module)
        index = {bound: node for node in parsed.tree.body for bound in _bound_names(node)}
        if name not in index:
            raise GenerationError(f"solutions/{module}.py has no top-level {name}")
        node = index[name]
        if isinstance(node, ast.ImportFrom) and node.level:
            original = next(a.name for a in node.names if (a.asname or a.name) == name)
            self.need(node.module, original, name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if name not in self.known:
                self.known.add(name)
                statement = (
                    ast.Import(names=[a for a in node.names if (a.asname or a.name).split(".")[0] == name])
                    if isinstance(node, ast.Import)
                    else ast.ImportFrom(
                        module=node.module, names=[a for a in node.names if (a.asname or a.name) == name], level=0
                    )
                )
                self.imports.append(ast.unparse(statement))
        else:
            for used in sorted(_used_names(node) - {name}):
                if used in index:
                    self.need(module, used)
            self.definitions.append("\n".join(parsed.segment(_first_line(node), node.end_lineno)))
        if alias and alias != name:
            self.definitions.append(f"{alias} = {name}")


def _merge_function(
    stub: Parsed, sol: Parsed, stub_fn: ast.FunctionDef, sol_fn: ast.FunctionDef, tail: list[str] | None
) -> list[str]:
    """The stub's header and docstring, then the reference body in a solution region.

    Leading statements the stub and the reference share (e.g. ``super().__init__()``) stay
    outside the region. ``tail`` (helpers) goes into the region after the body, dedented to the
    module level.
    """
    header_end = stub_fn.body[0].lineno - 1
    if header_end < stub_fn.lineno:
        raise GenerationError(f"{stub_fn.name}: a one-line definition cannot hold a solution region")
    out = stub.segment(_first_line(stub_fn), header_end)
    stub_body, sol_body = list(stub_fn.body), list(sol_fn.body)
    indent = _indent_of(stub.lines[stub_body[0].lineno - 1])
    if _has_docstring(stub_body):
        out += stub.segment(stub_body[0].lineno, stub_body[0].end_lineno)
        stub_body = stub_body[1:]
    if _has_docstring(sol_body):
        sol_body = sol_body[1:]
    shared = 0
    while shared < min(len(stub_body), len(sol_body)) and ast.dump(stub_body[shared]) == ast.dump(sol_body[shared]):
        shared += 1
    for node in stub_body[:shared]:
        out += stub.segment(node.lineno, node.end_lineno)
    if shared == len(sol_body):
        raise GenerationError(f"{stub_fn.name}: the reference adds nothing to the stub")
    start = sol_body[shared].lineno
    body = sol.segment(start, sol_fn.end_lineno)
    out.append(indent + BEGIN)
    out += _reindent(body, indent)
    if tail:
        out += ["", ""] + tail
        out.append(END)
    else:
        out.append(indent + END)
    return out


def _merge_class(
    stub: Parsed, sol: Parsed, stub_cls: ast.ClassDef, sol_cls: ast.ClassDef, tail: list[str] | None
) -> list[str]:
    sol_members = {n.name: n for n in sol_cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    stub_methods = [n for n in stub_cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not stub_methods:
        raise GenerationError(f"class {stub_cls.name}: the stub has no method to hold a solution region")
    extra = [
        n
        for n in sol_cls.body
        if not (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(m.name == n.name for m in stub_methods))
        and not (n is sol_cls.body[0] and _has_docstring(sol_cls.body))
    ]
    member_indent = _indent_of(stub.lines[stub_methods[0].lineno - 1])
    extra_lines: list[str] = []
    for node in extra:
        extra_lines += [""] + _reindent(sol.segment(_first_line(node), node.end_lineno), member_indent)
    out = stub.segment(_first_line(stub_cls), stub_cls.body[0].lineno - 1)
    previous_end = stub_cls.body[0].lineno - 1
    for node in stub_cls.body:
        gap = stub.segment(previous_end + 1, _first_line(node) - 1)
        out += gap
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name not in sol_members:
                raise GenerationError(f"{stub_cls.name}.{node.name} is missing from the reference")
            last = node is stub_methods[-1]
            own_tail = (extra_lines + (["", ""] + tail if tail else [])) if last else None
            out += _merge_function(stub, sol, node, sol_members[node.name], own_tail or None)
        else:
            out += stub.segment(_first_line(node), node.end_lineno)
        previous_end = node.end_lineno
    return out


def solution_cell(module: str, dependencies: list[str] | None = None) -> str:
    """The code cell of ``module``: the stub with the reference solution in solution regions.

    ``dependencies``: modules whose cells come earlier in the same notebook (their names are in the
    notebook's namespace); defaults to the exercise's ``uses`` in the table.
    """
    if dependencies is None:
        dependencies = list(registry.get(module).uses)
    stub, sol = parse("exercises", module), parse("solutions", module)
    sol_index = {bound: node for node in sol.tree.body for bound in _bound_names(node)}
    stub_body = list(stub.tree.body)
    if _has_docstring(stub_body):
        stub_body = stub_body[1:]
    definitions = [n for n in stub_body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    if not definitions:
        raise GenerationError(f"exercises/{module}.py defines nothing to implement")
    stub_names = {name for node in stub_body for name in _bound_names(node)}

    # Helpers of the reference: what it has beyond the stub.
    inliner = _Inliner(set(stub_names))
    own_helpers: list[str] = []
    for node in sol.tree.body:
        if node is sol.tree.body[0] and _has_docstring(sol.tree.body):
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.module not in dependencies:
                for alias in node.names:
                    inliner.need(node.module, alias.name, alias.asname)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                inliner.need(module, (alias.asname or alias.name).split(".")[0])
            continue
        if set(_bound_names(node)) & {d.name for d in definitions}:
            continue
        own_helpers.append("\n".join(sol.segment(_first_line(node), node.end_lineno)))
    tail: list[str] = list(inliner.imports)
    for block in inliner.definitions + own_helpers:
        tail += (["", ""] if tail else []) + block.splitlines()

    out: list[str] = []
    previous_end = 0
    for node in stub_body:
        first = _first_line(node)
        gap = [line for line in stub.segment(previous_end + 1, first - 1)] if previous_end else []
        out += gap
        previous_end = node.end_lineno
        if isinstance(node, ast.ImportFrom) and node.level:
            names = ", ".join(a.asname or a.name for a in node.names)
            out.append(f"# {names}: from your {node.module} cell above / 来自上面 {node.module} 的单元格")
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name not in sol_index or not isinstance(sol_index[node.name], type(node)):
                raise GenerationError(f"solutions/{module}.py has no {type(node).__name__} {node.name}")
            last = node is definitions[-1]
            merge = _merge_class if isinstance(node, ast.ClassDef) else _merge_function
            out += merge(stub, sol, node, sol_index[node.name], tail if last and tail else None)
            continue
        out += stub.segment(first, node.end_lineno)
    source = "\n".join(out).strip("\n") + "\n"
    try:
        compile(source, f"<{module} cell>", "exec")
    except SyntaxError as exc:  # a bug here, not in a submission
        raise GenerationError(f"the generated cell of {module} does not parse: {exc}") from exc
    return source


def cleared(source: str, stub: str = "# YOUR CODE HERE\nraise NotImplementedError()") -> str:
    """What ``nbgrader generate_assignment`` makes of a solution cell (for checks and tests)."""
    out, inside = [], False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            inside = True
            out += [_indent_of(line) + s for s in stub.split("\n")]
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


# --------------------------------------------------------------------------- test cells


def public_cell(module: str) -> str:
    return (
        f"# Public tests of {module} (read-only): the same as `pytest exercises/tests/test_{module}.py`.\n"
        f"# 公开测试（只读），与 `pytest exercises/tests/test_{module}.py` 相同。\n"
        f"from autograder.nbgrader.runtime import public_tests\n"
        f"public_tests({module!r}, globals())\n"
    )


def tests_cell(module: str, notebook: str, points: float, budget: str, lang: str) -> str:
    """The autograded cell: a visible comment, and a hidden call of the grader's own checks.

    The hidden part hands the saved notebook to a fresh grader process (the student's code runs
    only in its sandboxed worker), prints the grader's explanation and ends with the score, which
    nbgrader takes as partial credit.
    """
    return (
        f"# Autograded tests of {module} ({points:g} points): the hidden checks of `autograde grade` run\n"
        f"# here when your notebook is graded; the score is this cell's value.\n"
        f"# 自动评分（{points:g} 分）：评分时在此运行 `autograde grade` 的隐藏检查，本单元格的值即得分。\n"
        f"### BEGIN HIDDEN TESTS\n"
        f"import warnings\n"
        f"with warnings.catch_warnings():  # nothing may reach stderr: nbgrader would give 0 points\n"
        f"    warnings.simplefilter('ignore')\n"
        f"    from autograder.nbgrader.runtime import hidden_tests\n"
        f"hidden_tests({notebook + '.ipynb'!r}, {module!r}, points={points!r}, "
        f"training_budget={budget!r}, lang={lang!r})\n"
        f"### END HIDDEN TESTS\n"
    )
