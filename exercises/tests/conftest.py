"""pytest set-up of the public tests / 公开测试的 pytest 配置.

* Which package is tested: ``exercises`` (the student's code) by default;
  ``pytest exercises --target solutions`` or ``CNN_KIT_TARGET=solutions`` picks
  another package with the same module names. The ``submission`` fixture
  imports ``<target>.<module>``.
* A stub (a ``NotImplementedError`` raised by the tested package) fails with
  one short line instead of a traceback; a failed check (:class:`Mismatch`)
  prints its message, the falsifying example of a property test, and where the
  check is, without the traceback.
* The run ends with one line per exercise (练习小结), in the order of the API.
* Markers: one per exercise (``-m corr2d``), plus ``book``, ``property``,
  ``rules`` and ``errors``.
"""

from __future__ import annotations

import importlib
import linecache
import os
import re
import sys
from pathlib import Path

import pytest

from .expect import Mismatch

#: The exercise modules, in the order of the API table.
EXERCISES = ("corr2d", "conv_layer", "padding_stride", "channels", "pooling", "lenet", "training", "theory")
TARGET_ENV = "CNN_KIT_TARGET"
DEFAULT_TARGET = "exercises"
HERE = Path(__file__).resolve().parent
STUB_MESSAGE = re.compile(r"\bis not implemented yet\b")
MARKERS = {
    "book": "checks a printed output of the d2l book / 教材中的输出",
    "property": "hypothesis property test against PyTorch's built-ins / 基于性质的随机测试",
    "rules": "checks an exercise rule (no built-in convolution, one matrix product, ...) / 练习规则",
    "errors": "checks the ValueError behaviour / 检查 ValueError",
}
_RANK = {"passed": 0, "skipped": 1, "not_implemented": 2, "failed": 3, "error": 4}
_results: dict[str, str] = {}  # nodeid -> worst status of its setup/call/teardown


# --------------------------------------------------------------------------- target selection


def pytest_addoption(parser):
    group = parser.getgroup("cnn-kit", "cnn-kit public tests / 公开测试")
    group.addoption(
        "--target",
        action="store",
        default=None,
        metavar="PACKAGE",
        help=f"package whose exercise modules are tested (default: ${TARGET_ENV} or "
        f"'{DEFAULT_TARGET}'); e.g. --target solutions",
    )


def target_package(config) -> str:
    """The tested package: ``--target``, else ``$CNN_KIT_TARGET``, else ``exercises``."""
    value = (config.getoption("target", None) or os.environ.get(TARGET_ENV) or DEFAULT_TARGET).strip()
    if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", value):
        raise pytest.UsageError(
            f"--target / {TARGET_ENV} must be a package name such as 'exercises' or 'solutions', got {value!r}"
        )
    return value


def pytest_configure(config):
    target_package(config)
    for name in EXERCISES:
        config.addinivalue_line("markers", f"{name}: public tests of {name}.py")
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    _results.clear()


def pytest_report_header(config):
    return f"cnn-kit: testing package '{target_package(config)}' / 被测包"


@pytest.fixture(scope="session")
def target(pytestconfig) -> str:
    """Name of the tested package (``exercises`` or ``solutions``)."""
    return target_package(pytestconfig)


@pytest.fixture(scope="session")
def submission(target, pytestconfig):
    """``submission("corr2d")`` imports and returns ``<target>.corr2d``.

    A module that cannot be imported (syntax error, missing name, ...) fails the
    test set-up with one message that says which file and line, not the import machinery's traceback.
    """

    def load(module_name: str):
        if module_name not in EXERCISES:
            raise ValueError(f"unknown exercise module {module_name!r}; expected one of {EXERCISES}")
        try:
            return importlib.import_module(f"{target}.{module_name}")
        except Exception as error:  # noqa: BLE001 - reported to the student
            if isinstance(error, SyntaxError) and error.filename:
                where = f" ({_relative(error.filename, pytestconfig.rootpath)}:{error.lineno})"
                reason = f"SyntaxError: {error.msg}"
            else:
                frame = _innermost(error, skip_machinery=True)
                where = f" ({_relative(frame[0], pytestconfig.rootpath)}:{frame[1]})" if frame else ""
                reason = f"{type(error).__name__}: {error}"
            message = f"cannot import {target}.{module_name} / 无法导入: {reason}{where}"
        pytest.fail(message, pytrace=False)  # outside the except block: no chained traceback

    return load


def exercise_of(nodeid_or_path) -> str | None:
    """``exercises/tests/test_corr2d.py::test_x`` -> ``corr2d``."""
    name = os.path.basename(str(nodeid_or_path).split("::")[0])
    match = re.fullmatch(r"test_(\w+)\.py", name)
    return match.group(1) if match and match.group(1) in EXERCISES else None


def pytest_collection_modifyitems(config, items):
    """Mark each public test with its exercise and run the exercises in the order of the API."""
    ours = []
    for index, item in enumerate(items):
        if Path(item.path).resolve().parent == HERE and (name := exercise_of(item.path)):
            item.add_marker(name)
            ours.append(index)
    in_order = sorted((items[i] for i in ours), key=lambda item: EXERCISES.index(exercise_of(item.path)))
    for index, item in zip(ours, in_order):
        items[index] = item


# --------------------------------------------------------------------------- short failure reports


def _leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside (possibly nested) exception groups, e.g. from hypothesis."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _leaves(inner)]
    return [error]


def _innermost(error: BaseException, skip_machinery: bool = False) -> tuple[str, int] | None:
    """(file, line) of the innermost traceback entry; optionally skipping importlib and this file."""
    found, tb = None, error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        machinery = filename.startswith("<") or Path(filename).parent.name == "importlib" or filename == __file__
        if not (skip_machinery and machinery):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _relative(filename: str, rootpath: Path) -> str:
    try:
        return os.path.relpath(filename, rootpath)
    except ValueError:
        return filename


def _not_implemented_line(error: NotImplementedError, item) -> str | None:
    """One line for a stub's NotImplementedError; None for one raised inside PyTorch or elsewhere."""
    message = str(error).strip()
    first = message.splitlines()[0] if message else ""
    if STUB_MESSAGE.search(first):
        return f"{first} / 尚未实现"
    where = _innermost(error)
    package = sys.modules.get(target_package(item.config))
    package_dirs = [str(Path(p).resolve()) for p in getattr(package, "__path__", [])]
    if where and any(str(Path(where[0]).resolve()).startswith(d + os.sep) for d in package_dirs):
        if "NotImplementedError" in linecache.getline(where[0], where[1]):
            location = f"{_relative(where[0], item.config.rootpath)}:{where[1]}"
            detail = f": {first}" if first else ""
            return f"NotImplementedError{detail} ({location}): not implemented yet / 尚未实现"
    return None


def _mismatch_text(error: Mismatch, item) -> str:
    """The check's message, the notes hypothesis adds (falsifying example), and the check's location."""
    lines = [str(error)]
    lines.extend(note for note in getattr(error, "__notes__", []) if isinstance(note, str))
    tb, location = error.__traceback__, None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == Path(item.path).resolve():
            location = f"{_relative(tb.tb_frame.f_code.co_filename, item.config.rootpath)}:{tb.tb_lineno}"
        tb = tb.tb_next
    if location:
        lines.append(f"(check / 检查: {location})")
    return "\n".join(lines)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or not report.failed or not exercise_of(item.nodeid):
        return
    leaves = _leaves(call.excinfo.value)
    if leaves and all(isinstance(leaf, NotImplementedError) for leaf in leaves):
        line = _not_implemented_line(leaves[0], item)
        if line is not None:
            report.longrepr = line
            report.sections = [s for s in report.sections if "hypothesis" not in s[0].lower()]
            report.cnn_kit_not_implemented = True
    elif len(leaves) == 1 and isinstance(leaves[0], Mismatch):
        report.longrepr = _mismatch_text(leaves[0], item)


# --------------------------------------------------------------------------- per-exercise summary


def pytest_runtest_logreport(report):
    if exercise_of(report.nodeid) is None:
        return
    if report.failed:
        if getattr(report, "cnn_kit_not_implemented", False):
            status = "not_implemented"
        else:
            status = "failed" if report.when == "call" else "error"
    elif report.skipped:
        status = "skipped"
    elif report.when == "call":
        status = "passed"
    else:
        return
    previous = _results.get(report.nodeid)
    if previous is None or _RANK[status] > _RANK[previous]:
        _results[report.nodeid] = status


def _exercise_line(name: str, counts: dict[str, int]) -> tuple[str, dict]:
    total = sum(counts.values())
    passed, skipped = counts.get("passed", 0), counts.get("skipped", 0)
    failed, errors = counts.get("failed", 0), counts.get("error", 0)
    missing = counts.get("not_implemented", 0)
    if total == 0:
        return f"{name:<16}–  (not run / 未运行)", {"yellow": True}
    if failed == errors == missing == 0:
        if passed == 0:
            return f"{name:<16}–  ({skipped} skipped / {skipped} 个跳过)", {"yellow": True}
        return f"{name:<16}✓  ({passed} passed / 全部通过)", {"green": True}
    if missing == total:
        return f"{name:<16}✗  (not implemented / 尚未实现)", {"red": True}
    english, chinese = [], []
    for count, en, zh in (
        (failed, "failed", "个未通过"),
        (errors, "errors" if errors > 1 else "error", "个出错"),
        (missing, "not implemented", "个尚未实现"),
        (passed, "passed", "个通过"),
        (skipped, "skipped", "个跳过"),
    ):
        if count:
            english.append(f"{count} {en}")
            chinese.append(f"{count} {zh}")
    return f"{name:<16}✗  ({', '.join(english)} / {'，'.join(chinese)})", {"red": True}


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Wrapping pytest's own summary puts ours last, after the short test summary.
    yield
    counts: dict[str, dict[str, int]] = {name: {} for name in EXERCISES}
    for nodeid, status in _results.items():
        per = counts[exercise_of(nodeid)]
        per[status] = per.get(status, 0) + 1
    tr = terminalreporter
    tr.write_sep("=", f"exercise summary / 练习小结 ({target_package(config)})")
    complete = 0
    for name in EXERCISES:
        line, markup = _exercise_line(name, counts[name])
        complete += line[16:].startswith("✓")
        tr.write_line(line, **markup)
    selected = (
        config.getoption("markexpr", "")
        or config.getoption("keyword", "")
        or any(not counts[name] for name in EXERCISES)
    )
    en, zh = ("the selected public tests", "所选的公开测试") if selected else ("all their public tests", "全部公开测试")
    tr.write_line(
        f"{complete}/{len(EXERCISES)} exercises pass {en} / {complete}/{len(EXERCISES)} 个练习通过了{zh}",
        bold=True,
        green=complete == len(EXERCISES),
    )
