"""What the generated notebooks call from their read-only cells.

* :func:`public_tests` runs the kit's public tests (``exercises/tests/test_<m>.py``) on the
  notebook's own definitions, in the kernel: the student's trust domain, like ``pytest exercises``.
* :func:`hidden_tests` scores the exercise: it hands the *saved notebook file* to a fresh grader
  process (:mod:`.hidden`), which extracts the code like ``autograde grade NOTEBOOK.ipynb`` and runs
  the same hidden checks, the student's code only in the sandboxed worker. Nothing the kernel
  defined is used for scoring. The cell prints the grader's explanation and its value is the
  score, which nbgrader records as partial credit.

Importing this module is cheap (no torch): the hidden-test cell must not write to stderr, and
anything heavy runs in the grader process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

PACKAGE = "cnnkit_notebook"


class GradingError(RuntimeError):
    """The hidden tests could not score this notebook (the grader itself failed or was incomplete)."""


def _kit_root() -> Path:
    return Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- hidden tests


def hidden_tests(
    notebook: str, exercise: str, points: float, training_budget: str = "standard", lang: str = "en"
) -> float:
    """Grade ``exercise`` from the saved ``notebook`` (relative to the kernel's folder) and return the score.

    The grader's report is printed (the same text as ``autograde grade``); the return value is the
    score scaled to ``points``. When the grader cannot run, or cannot finish (e.g. Fashion-MNIST
    is missing), this raises ``GradingError`` after printing why: nbgrader then gives 0 and the
    cell shows an error instead of a silent zero.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(notebook).resolve()
        if not path.is_file():
            raise GradingError(
                f"{notebook} was not found in {Path.cwd()}: the hidden tests read the saved "
                f"notebook file / 找不到已保存的笔记本文件 {notebook}"
            ) from None
        result = _run_grader(path, exercise, training_budget, lang)
    if "error" in result:
        print(result["error"])
        raise GradingError(result["error"]) from None
    print(result["text"], end="")
    if result.get("incomplete"):
        reasons = "; ".join(result["incomplete"])
        raise GradingError(f"grading is incomplete ({reasons}); fix this and grade again") from None
    score, max_score = float(result["score"]), float(result["max_score"])
    if max_score <= 0:
        raise GradingError(f"the grader has no checks for {exercise}") from None
    if abs(max_score - points) > 1e-9:
        print(f"(scaled from {score:g}/{max_score:g} to this cell's {points:g} points)")
    return round(min(points, max(0.0, score * points / max_score)), 4)


def _run_grader(path: Path, exercise: str, training_budget: str, lang: str) -> dict:
    """Run :mod:`.hidden` in a fresh interpreter; its stderr is kept out of the cell."""
    env = dict(os.environ)
    root = str(_kit_root())
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.setdefault("PYTHONWARNINGS", "ignore")
    with tempfile.TemporaryDirectory(prefix="cnnkit-nbgrade-") as scratch:
        out = Path(scratch) / "result.json"
        command = [
            sys.executable,
            "-m",
            "autograder.nbgrader.hidden",
            str(path),
            exercise,
            "--out",
            str(out),
            "--training-budget",
            training_budget,
            "--lang",
            lang,
        ]
        proc = subprocess.run(
            command, cwd=scratch, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            return json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            last = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            return {"error": f"the grader could not run (exit status {proc.returncode}): {last[0][:500]}"}


# --------------------------------------------------------------------------- public tests


class _Results:
    """A pytest plugin that keeps each test's outcome and its (friendly) failure text."""

    def __init__(self) -> None:
        self.outcomes: dict[str, tuple[str, str]] = {}

    def pytest_runtest_logreport(self, report) -> None:
        name = report.nodeid.split("::", 1)[-1]
        if report.failed:
            status = "failed" if report.when == "call" else "error"
            self.outcomes[name] = (status, self.explain(report))
        elif report.skipped and name not in self.outcomes:
            self.outcomes[name] = ("skipped", str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else "")
        elif report.when == "call" and report.passed:
            self.outcomes.setdefault(name, ("passed", ""))

    @staticmethod
    def explain(report) -> str:
        """The public tests' own message when they have one, else the exception and where it happened."""
        if isinstance(report.longrepr, str):  # the kit's conftest made it readable already
            return report.longrepr
        crash = getattr(report.longrepr, "reprcrash", None)
        if crash is None:
            return report.longreprtext
        message = crash.message.strip()
        where = "the public test" if f"exercises{os.sep}tests" in str(crash.path) else "your code / 你的代码"
        if (message.splitlines() or [""])[0].split(":")[0].strip() == "NotImplementedError":
            return f"not implemented yet / 尚未实现 ({where}, line {crash.lineno})"
        return f"{message}\n({where}, line {crash.lineno})"

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.outcomes[report.nodeid or "collection"] = ("error", report.longreprtext)


def public_tests(module: str, namespace: dict) -> None:
    """Run ``exercises/tests/test_<module>.py`` on the definitions in ``namespace`` (the notebook's).

    Skipped while nbgrader autogrades (``NBGRADER_EXECUTION=autograde``): the score comes from the
    hidden tests, and the public tests would only re-run the student's code in the kernel.
    """
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        print(
            "Public tests are not run while grading; the hidden tests below decide the score.\n"
            "评分时不运行公开测试；得分由下面的隐藏测试决定。"
        )
        return
    import importlib
    import types

    import pytest

    package = types.ModuleType(PACKAGE)
    package.__path__ = []
    target = types.ModuleType(f"{PACKAGE}.{module}")
    target.__dict__.update(
        {
            k: v
            for k, v in namespace.items()
            if not k.startswith("_") and k not in ("In", "Out", "get_ipython", "exit", "quit")
        }
    )
    sys.modules[PACKAGE] = package
    sys.modules[f"{PACKAGE}.{module}"] = target
    setattr(package, module, target)
    for name in [n for n in sys.modules if n == "exercises.tests" or n.startswith("exercises.tests.")]:
        del sys.modules[name]
    tests = Path(importlib.import_module("exercises").__file__).resolve().parent / "tests" / f"test_{module}.py"
    results = _Results()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = pytest.main(
            [
                str(tests),
                "--target",
                PACKAGE,
                "-p",
                "no:cacheprovider",
                "-p",
                "no:terminal",
                "--capture=sys",
                "-W",
                "ignore",
            ],
            plugins=[results],
        )
    outcomes = results.outcomes
    passed = sum(status == "passed" for status, _ in outcomes.values())
    print(f"public tests of {module} / {module} 的公开测试: {passed}/{len(outcomes)} passed / 通过")
    for name, (status, text) in outcomes.items():
        mark = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "-"}[status]
        print(f"  {mark} {name}")
        if status != "passed" and text:
            print("\n".join(f"      {line}" for line in text.strip().splitlines()[:30]))
    if code not in (0, 1) and not outcomes:
        print(f"pytest could not run the public tests (exit code {int(code)})")
