"""The grader's stages import in one direction only, and nothing imports in a circle.

A module of a stage may import its own stage and the stages before it (``autograder/__init__.py``):
the foundation (the table, settings, validation, text, reasons), then load, worker, checks, runner,
report, and last the front ends. Imports are read from the source (every ``import`` statement,
those inside functions too), so a late import cannot hide a wrong direction.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "autograder"
#: The stages in order; a name is a top-level module or package of ``autograder``.
LAYERS: list[set[str]] = [
    {"registry", "settings", "training_budgets", "validation", "text", "reasons", "provenance", "inert"},
    {"load"},
    {"worker"},
    {"checks"},
    {"runner"},
    {"report"},
    {"files", "config", "cli", "batch", "ship", "nbgrader", "calibrate", "insights", "__main__"},
]
STAGE = {name: index for index, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, nodes: list[ast.AST] | None = None) -> set[str]:
    """The ``autograder`` modules ``path`` imports (relative imports resolved): in ``nodes``, or
    anywhere in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in (n for top in (nodes if nodes is not None else [tree]) for n in ast.walk(top)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("autograder")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("autograder"):
                found.add(target)
                found |= {f"{target}.{alias.name}" for alias in node.names}
    return {m for m in found if m.count(".") >= 1}


def stage_of(module: str) -> str:
    return module.split(".")[1]


SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "templates" not in p.parts)


def test_every_module_belongs_to_a_stage():
    assert {stage_of(module_name(p)) for p in SOURCES if p != PACKAGE / "__init__.py"} <= set(STAGE)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_one_way(path):
    if path == PACKAGE / "__init__.py":
        return  # the package root names the public API lazily
    mine = STAGE[stage_of(module_name(path))]
    wrong = sorted(m for m in imports_of(path) if stage_of(m) in STAGE and STAGE[stage_of(m)] > mine)
    assert wrong == [], f"{path.relative_to(ROOT)} imports later stages: {wrong}"


def test_the_worker_runtime_imports_nothing_of_the_grader():
    """It is copied into the sandbox, where only the standard library, torch and cnnkit exist."""
    for path in (PACKAGE / "worker" / "runtime").glob("*.py"):
        outside = sorted(m for m in imports_of(path) if not m.startswith("autograder.worker.runtime"))
        assert outside == [], f"{path.name} imports {outside}"


def test_no_import_cycles():
    """Module-level imports form no cycle: with one, the import order decides what exists."""
    modules = {module_name(p): p for p in SOURCES}
    graph = {}
    for name, path in modules.items():
        top = [
            n for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, (ast.Import, ast.ImportFrom))
        ]
        graph[name] = {m for m in imports_of(path, top) if m in modules and m != name}
    cycles, done = [], set()

    def visit(node: str, stack: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt in stack:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in done:
                visit(nxt, stack + [nxt])
        done.add(node)

    for node in sorted(graph):
        if node not in done:
            visit(node, [node])
    assert cycles == []


def test_importing_the_package_is_cheap():
    """``autograder`` and its nbgrader runtime (imported by every notebook kernel) load no torch."""
    code = "import sys, autograder, autograder.registry, autograder.nbgrader.runtime; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
