"""What a hidden check is, and the context it runs in.

A check is a function ``check(ctx)`` registered on its exercise with points and a bilingual
title. It asks the worker for results through ``ctx`` and judges them here, in the trusted
parent: it returns to pass, raises ``CheckFailed`` to fail with an explanation, or ``SkipCheck``
when something outside the submission (e.g. the data set) is missing.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from hypothesis import HealthCheck, Verbosity, given, seed as hypothesis_seed, settings

from ..worker.client import WorkerError, WorkerProcess
from ..worker.protocol import Opaque


@dataclass(frozen=True)
class Text:
    """A message in English and Chinese."""

    en: str
    zh: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def __add__(self, other: "Text") -> "Text":
        return Text(self.en + other.en, self.zh + other.zh)


class CheckFailed(Exception):
    """The submission's answer is wrong; ``text`` says why, ``hint`` where to look."""

    def __init__(self, text: Text, hint: Text | None = None):
        super().__init__(text.en)
        self.text, self.hint = text, hint


class SkipCheck(Exception):
    """The check cannot run on this machine (not the submission's fault)."""

    def __init__(self, text: Text):
        super().__init__(text.en)
        self.text = text


class StopCheck(BaseException):
    """Ends a check at once, through hypothesis too (which only catches ``Exception``).

    Raised for a missing implementation and for a lost worker: shrinking cannot help there.
    """

    def __init__(self, text: Text, status: str, hint: Text | None = None):
        super().__init__(text.en)
        self.text, self.status, self.hint = text, status, hint


class Raised(NamedTuple):
    """An exception the student's code raised, as names: its class, its message, and every class it
    is an instance of."""

    name: str
    message: str
    classes: tuple[str, ...]


@dataclass
class Check:
    """A check raises ``CheckFailed``/``SkipCheck``/``StopCheck``, or passes; when it passes it may
    return a ``Text`` that the report shows beside the pass (e.g. the accuracy it measured)."""

    name: str
    title: Text
    points: float
    run: Callable[["Context"], "Text | None"]


@dataclass
class Exercise:
    """One row of the exercise table: the modules it loads and its checks, in order."""

    name: str
    modules: tuple[str, ...]
    checks: list[Check] = field(default_factory=list)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    def check(self, points: float, en: str, zh: str):
        """Decorator registering ``fn(ctx)`` as a check of this exercise."""

        def register(fn: Callable[["Context"], "Text | None"]) -> Callable[["Context"], "Text | None"]:
            self.checks.append(Check(fn.__name__, Text(en, zh), points, fn))
            return fn

        return register


@dataclass
class Options:
    """Grading options shared by every check of a run."""

    seed: int | None = None
    max_examples: int = 30
    data_root: str | None = None
    #: Where the submission's ``train_ch6`` trains (``--device``; "cpu" or "cuda").
    device: str = "cpu"
    #: ``--training-budget``: a key of ``checks.training.BUDGETS``.
    training_budget: str = "standard"


class Context:
    """A check's access to the worker, the reference worker and the run's options."""

    def __init__(self, worker: WorkerProcess, reference: Callable[[], WorkerProcess],
                 exercise: Exercise, options: Options, memo: dict | None = None,
                 attachments: dict[str, bytes] | None = None):
        self._worker, self._reference = worker, reference
        self.exercise, self.options = exercise, options
        #: Shared by the checks of one exercise in one run (e.g. one training serves three checks).
        self.memo = {} if memo is None else memo
        #: Files for the student's feedback (e.g. the training curve), drawn here, by name.
        self.attachments = {} if attachments is None else attachments

    def attach(self, name: str, data: bytes) -> None:
        """Add a file (made by the grader, never by the worker) to this exercise's feedback."""
        self.attachments[name] = data

    # -- talking to the worker -------------------------------------------------------------
    def _ask(self, worker: WorkerProcess, request: dict, timeout: float | None) -> dict:
        try:
            reply = worker.request(request, timeout)
        except WorkerError as exc:
            raise StopCheck(worker_failure(exc), "error") from None
        if not reply.get("ok"):
            raise student_exception(reply)
        return reply

    def call(self, target: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call ``module.function`` of the submission with these arguments; return its result."""
        request = {"op": "call", "target": target, "args": list(args), "kwargs": kwargs}
        return self._ask(self._worker, request, timeout)["value"]

    def call_expecting_error(self, target: str, *args: Any, timeout: float | None = None,
                             **kwargs: Any) -> Raised | None:
        """Call ``module.function`` for a case where it should raise.

        Returns the exception's class name, message and the names of the classes it is an instance
        of, or ``None`` when the call returned (only names cross the worker boundary).
        An unimplemented function (``NotImplementedError``) and a lost worker stop the check
        exactly as in :meth:`call`.
        """
        request = {"op": "call", "target": target, "args": list(args), "kwargs": kwargs}
        try:
            reply = self._worker.request(request, timeout)
        except WorkerError as exc:
            raise StopCheck(worker_failure(exc), "error") from None
        if reply.get("ok"):
            return None
        if isinstance(problem := student_exception(reply), StopCheck):
            raise problem
        classes = reply.get("classes")
        return Raised(str(reply.get("error", "Error")), str(reply.get("message", "")),
                      tuple(map(str, classes)) if isinstance(classes, list) else ())

    def call_with_ops(self, target: str, *args: Any, **kwargs: Any) -> tuple[Any, Counter]:
        """Like :meth:`call`, also returning how often each ATen operator was reached."""
        request = {"op": "call", "target": target, "args": list(args), "kwargs": kwargs, "record_ops": True}
        reply = self._ask(self._worker, request, None)
        return reply["value"], op_counts(reply)

    def reference_call(self, target: str, *args: Any) -> Any:
        """The reference solution's result for the same call (from its own, trusted worker)."""
        return self._ask(self._reference(), {"op": "call", "target": target, "args": list(args)}, None)["value"]

    def call_returning_args(self, target: str, *args: Any) -> tuple[Any, list]:
        """Call and also get the arguments back as the function left them (to catch mutation)."""
        reply = self._ask(self._worker, {"op": "call", "target": target, "args": list(args),
                                         "return_args": True}, None)
        return reply["value"], reply["args"]

    def probe(self, name: str, *args: Any, timeout: float | None = None) -> Any:
        """Run a trusted driver of the worker (see ``worker/probes.py``) over the submission."""
        return self._ask(self._worker, {"op": "probe", "probe": name, "args": list(args)}, timeout)["value"]

    def probe_ops(self, name: str, *args: Any) -> Counter:
        """The ATen operators (with counts) that running a probe reached."""
        reply = self._ask(self._worker, {"op": "probe", "probe": name, "args": list(args), "record_ops": True}, None)
        return op_counts(reply)

    def time_calls(self, target: str, inputs: list[tuple], reference: bool = False) -> tuple[float, list]:
        """Fastest wall-clock time, seen from the parent, of one call per input tuple, and the results."""
        worker = self._reference() if reference else self._worker
        best, results = float("inf"), []
        for args in inputs:
            start = time.perf_counter()
            results.append(self._ask(worker, {"op": "call", "target": target, "args": list(args)}, None)["value"])
            best = min(best, time.perf_counter() - start)
        return best, results

    # -- property-based testing --------------------------------------------------------------
    def given(self, *strategies, max_examples: int | None = None):
        """``hypothesis.given`` with the run's settings: seeded, derandomized, no database."""
        derandomize = self.options.seed is None
        run_settings = settings(
            max_examples=max_examples or self.options.max_examples, derandomize=derandomize,
            database=None, deadline=None, print_blob=False, verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck))

        def decorate(fn):
            test = run_settings(given(*strategies)(fn))
            return test if derandomize else hypothesis_seed(self.options.seed)(test)

        return decorate


def op_counts(reply: dict) -> Counter:
    """The operator counts of a reply, keeping only well-formed entries."""
    ops = reply.get("ops")
    return Counter({str(k): v for k, v in ops.items() if type(v) is int}) if isinstance(ops, dict) else Counter()


def worker_failure(exc: WorkerError) -> Text:
    """Explain a dead, hung or garbled worker."""
    if exc.reason == "timeout":
        return Text(f"Your code did not finish in time ({exc.detail}); look for an endless loop.",
                    f"代码未能在限定时间内结束（{exc.detail}）；请检查是否有死循环。")
    if exc.reason == "crashed":
        return Text(f"Your code stopped the Python process ({exc.detail}).",
                    f"代码使 Python 进程终止（{exc.detail}）。")
    return Text(f"Your code disturbed the grader's channel ({exc.detail}).",
                f"代码干扰了评分程序的通信（{exc.detail}）。")


def student_exception(reply: dict) -> Exception | StopCheck:
    """Turn an exception the student's code raised into a failure (or a stop, if unimplemented)."""
    error, message, where = reply.get("error", "Error"), reply.get("message", ""), reply.get("where")
    at = f" ({where})" if where else ""
    if error == "NotImplementedError":
        text = Text(f"not implemented yet{at}: {message}", f"尚未实现{at}：{message}")
        return StopCheck(text, "failed")
    if not message:  # e.g. StopIteration from next() on an empty iterator
        return CheckFailed(Text(f"raised {error}{at} (with no message)", f"抛出了 {error}{at}（没有错误信息）"))
    return CheckFailed(Text(f"raised {error}{at}: {message}", f"抛出了 {error}{at}：{message}"))


def type_name(value: Any) -> str:
    """A readable name for whatever came back."""
    return value.type_name if isinstance(value, Opaque) else type(value).__name__
