"""What a hidden check is, and the context it runs in.

A check is a function ``check(ctx, *observations)`` registered on its exercise with points and a
bilingual title. It asks the worker for results through ``ctx`` and judges them here, in the
trusted parent: it returns to pass, raises ``CheckFailed`` to fail with an explanation, or
``SkipCheck`` when something outside the submission (e.g. the data set) is missing. An
``Observation`` is an expensive look at the submission (a whole training run, say) that several
checks judge: each check declares the observations it needs, and each is made once per run.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, NamedTuple, TypeVar

from hypothesis import HealthCheck, Verbosity, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as hypothesis_settings

from .. import registry
from ..reasons import Reason
from ..settings import Settings
from ..text import Text
from ..worker.client import WorkerError, WorkerHandle
from ..worker.runtime.protocol import Opaque

T = TypeVar("T")


class CheckFailed(Exception):
    """The submission's answer is wrong; ``text`` says why, ``hint`` where to look."""

    def __init__(self, text: Text, hint: Text | None = None):
        super().__init__(text.en)
        self.text, self.hint = text, hint


class SkipCheck(Exception):
    """The check cannot run on this machine (not the submission's fault)."""

    def __init__(self, text: Text, reason: Reason = Reason.ENVIRONMENT):
        super().__init__(text.en)
        self.text, self.reason = text, reason


class StopCheck(BaseException):
    """Ends a check at once, through hypothesis too (which only catches ``Exception``).

    Raised for a missing implementation and for a lost worker: shrinking cannot help there.
    ``reason`` says which (a ``Reason``), for batch statistics and reports.
    """

    def __init__(self, text: Text, status: str, reason: Reason, hint: Text | None = None):
        super().__init__(text.en)
        self.text, self.status, self.reason, self.hint = text, status, reason, hint


class Raised(NamedTuple):
    """An exception the student's code raised, as names: its class, its message, and every class it
    is an instance of."""

    name: str
    message: str
    classes: tuple[str, ...]


@dataclass(frozen=True)
class Observation(Generic[T]):
    """A look at the submission that several checks judge, made at most once per grading run.

    ``make(ctx)`` returns the observation or raises ``CheckFailed``/``StopCheck``/``SkipCheck``; that
    answer, or that failure, is what every check that declares the observation gets.
    """

    name: str
    make: Callable[["Context"], T]


@dataclass
class Check:
    """A check raises ``CheckFailed``/``SkipCheck``/``StopCheck``, or passes; when it passes it may
    return a ``Text`` that the report shows beside the pass (e.g. the accuracy it measured).
    ``needs`` are the observations passed to ``judge`` after the context, in order."""

    name: str
    title: Text
    points: float
    judge: Callable[..., "Text | None"]
    needs: tuple[Observation, ...] = ()

    def run(self, ctx: "Context") -> "Text | None":
        return self.judge(ctx, *(ctx.observe(observation) for observation in self.needs))


@dataclass
class ExerciseChecks:
    """The hidden checks of one exercise of the table (``registry``), in order."""

    exercise: registry.Exercise
    checks: list[Check] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.exercise.name

    @property
    def modules(self) -> tuple[str, ...]:
        return self.exercise.modules

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    def check(self, points: float, en: str, zh: str, needs: tuple[Observation, ...] = ()):
        """Decorator registering ``fn(ctx, *observations)`` as a check of this exercise."""

        def register(fn: Callable[..., "Text | None"]) -> Callable[..., "Text | None"]:
            self.checks.append(Check(fn.__name__, Text(en, zh), points, fn, tuple(needs)))
            return fn

        return register


def checks_of(name: str) -> ExerciseChecks:
    """An empty list of checks for the exercise ``name`` of the table (a check module's ``EXERCISE``)."""
    return ExerciseChecks(registry.get(name))


class Context:
    """A check's access to the worker, the reference worker and the run's settings."""

    def __init__(
        self,
        worker: WorkerHandle,
        reference: Callable[[], WorkerHandle],
        exercise: ExerciseChecks,
        settings: Settings,
        memo: dict | None = None,
        attachments: dict[str, bytes] | None = None,
    ):
        self._worker, self._reference = worker, reference
        self.exercise, self.settings = exercise, settings
        #: Shared by the checks of one exercise in one run: the observations made so far.
        self.memo = {} if memo is None else memo
        #: Files for the student's feedback (e.g. the training curve), drawn here, by name.
        self.attachments = {} if attachments is None else attachments

    def attach(self, name: str, data: bytes) -> None:
        """Add a file (made by the grader, never by the worker) to this exercise's feedback."""
        self.attachments[name] = data

    def observe(self, observation: Observation[T]) -> T:
        """``observation`` for this run, made on first use: its answer, or the failure it raised."""
        if observation.name not in self.memo:
            try:
                self.memo[observation.name] = ("ok", observation.make(self))
            except (CheckFailed, StopCheck, SkipCheck) as exc:
                self.memo[observation.name] = ("raised", exc)
        kind, value = self.memo[observation.name]
        if kind == "raised":
            raise value
        return value

    # -- talking to the worker -------------------------------------------------------------
    def _ask(self, worker: WorkerHandle, request: dict, timeout: float | None) -> dict:
        try:
            reply = worker.request(request, timeout)
        except WorkerError as exc:
            raise StopCheck(worker_failure(exc), "error", exc.reason) from None
        if not reply.get("ok"):
            raise student_exception(reply)
        return reply

    def call(self, target: str, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Call ``module.function`` of the submission with these arguments; return its result."""
        request = {"op": "call", "target": target, "args": list(args), "kwargs": kwargs}
        return self._ask(self._worker, request, timeout)["value"]

    def call_expecting_error(
        self, target: str, *args: Any, timeout: float | None = None, **kwargs: Any
    ) -> Raised | None:
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
            raise StopCheck(worker_failure(exc), "error", exc.reason) from None
        if reply.get("ok"):
            return None
        if isinstance(problem := student_exception(reply), StopCheck):
            raise problem
        classes = reply.get("classes")
        return Raised(
            str(reply.get("error", "Error")),
            str(reply.get("message", "")),
            tuple(map(str, classes)) if isinstance(classes, list) else (),
        )

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
        reply = self._ask(self._worker, {"op": "call", "target": target, "args": list(args), "return_args": True}, None)
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
        derandomize = self.settings.seed is None
        run_settings = hypothesis_settings(
            max_examples=max_examples or self.settings.max_examples,
            derandomize=derandomize,
            database=None,
            deadline=None,
            print_blob=False,
            verbosity=Verbosity.quiet,
            report_multiple_bugs=False,
            suppress_health_check=list(HealthCheck),
        )

        def decorate(fn):
            test = run_settings(given(*strategies)(fn))
            return test if derandomize else hypothesis_seed(self.settings.seed)(test)

        return decorate


def op_counts(reply: dict) -> Counter:
    """The operator counts of a reply, keeping only well-formed entries."""
    ops = reply.get("ops")
    return Counter({str(k): v for k, v in ops.items() if type(v) is int}) if isinstance(ops, dict) else Counter()


def worker_failure(exc: WorkerError) -> Text:
    """Explain a dead, hung or garbled worker."""
    if exc.reason == "timeout":
        return Text(
            f"Your code did not finish in time ({exc.detail}); look for an endless loop.",
            f"代码未能在限定时间内结束（{exc.detail}）；请检查是否有死循环。",
        )
    if exc.reason == "memory_limit":
        return Text(
            f"Your code used too much memory ({exc.detail}); all its processes were stopped.",
            f"代码占用内存过多（{exc.detail_zh}）；其所有进程均已被终止。",
        )
    if exc.reason == "crashed":
        return Text(
            f"Your code stopped the Python process ({exc.detail}).", f"代码使 Python 进程终止（{exc.detail}）。"
        )
    return Text(
        f"Your code disturbed the grader's channel ({exc.detail}).", f"代码干扰了评分程序的通信（{exc.detail}）。"
    )


def student_exception(reply: dict) -> Exception | StopCheck:
    """Turn an exception the student's code raised into a failure (or a stop, if unimplemented)."""
    error, message, where = reply.get("error", "Error"), reply.get("message", ""), reply.get("where")
    at = f" ({where})" if where else ""
    if error == "NotImplementedError":
        text = Text(f"not implemented yet{at}: {message}", f"尚未实现{at}：{message}")
        return StopCheck(text, "failed", Reason.NOT_IMPLEMENTED)
    if not message:  # e.g. StopIteration from next() on an empty iterator
        return CheckFailed(Text(f"raised {error}{at} (with no message)", f"抛出了 {error}{at}（没有错误信息）"))
    return CheckFailed(Text(f"raised {error}{at}: {message}", f"抛出了 {error}{at}：{message}"))


def type_name(value: Any) -> str:
    """A readable name for whatever came back."""
    return value.type_name if isinstance(value, Opaque) else type(value).__name__
