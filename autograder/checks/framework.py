"""What a hidden check is, and the context it runs in.

A check is a function ``check(ctx, *observations)`` registered on its exercise with points and a
bilingual title. It asks the worker for results through ``ctx`` and judges them here, in the
trusted parent: it returns to pass (a ``Partial`` for part of its points), raises ``CheckFailed`` to
fail with an explanation, or ``SkipCheck`` when something outside the submission (e.g. the data
set) is missing. A *rule* check (``ExerciseChecks.rule``) judges a rule that the exercise's
statement adds to the book (no built-in convolution, an int meaning (k, k), a ``ValueError``, ...);
the statement's Rules section lists each with its points. An ``Observation`` is an expensive look at
the submission (a whole training run, say) that several checks judge: each check declares the
observations it needs, and each is made once per run.
"""

from __future__ import annotations

import functools
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
from .deadline import SHRINKING_STOPPED, Deadline

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


@dataclass(frozen=True)
class Partial:
    """A check's verdict of partial credit, returned by its judge: ``fraction`` of its points, strictly
    between 0 and 1 (a judge passes with all of them by returning, and fails with none by raising
    ``CheckFailed``); ``text`` says what was measured and how the fraction follows from it, ``hint``
    how to earn the rest."""

    fraction: float
    text: Text
    hint: Text | None = None

    def __post_init__(self) -> None:
        if not 0 < self.fraction < 1:
            raise ValueError(f"a partial credit is a fraction strictly between 0 and 1, got {self.fraction!r}")


class _ShrinkingStopped(BaseException):
    """Ends a hypothesis run whose shrinking the deadline stopped (hypothesis only catches ``Exception``)."""


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


#: What a judge returns: None or a ``Text`` (shown beside the pass, e.g. the accuracy it measured)
#: to pass, a ``Partial`` for part of the points.
Verdict = Text | Partial | None


@dataclass
class Check:
    """A check raises ``CheckFailed``/``SkipCheck``/``StopCheck``, or returns a ``Verdict``.
    ``needs`` are the observations passed to ``judge`` after the context, in order; ``rule`` marks a
    check of a rule the statement adds to the book."""

    name: str
    title: Text
    points: float
    judge: Callable[..., Verdict]
    needs: tuple[Observation, ...] = ()
    rule: bool = False

    def run(self, ctx: "Context") -> Verdict:
        return self.judge(ctx, *(ctx.observe(observation) for observation in self.needs))


@dataclass
class ExerciseChecks:
    """The hidden checks of one exercise of the table (``registry``), in order."""

    exercise: registry.Exercise
    checks: list[Check] = field(default_factory=list)
    #: Seconds this exercise may take beyond the run's exercise budget (training adds the time limit
    #: of its training run), given the run's settings.
    extra_seconds: Callable[[Settings], float] = lambda settings: 0.0

    @property
    def name(self) -> str:
        return self.exercise.name

    @property
    def modules(self) -> tuple[str, ...]:
        return self.exercise.modules

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def rules(self) -> list[Check]:
        """The checks of the rules the statement adds to the book, in order."""
        return [c for c in self.checks if c.rule]

    def check(self, points: float, en: str, zh: str, needs: tuple[Observation, ...] = (), rule: bool = False):
        """Decorator registering ``fn(ctx, *observations)`` as a check of this exercise."""

        def register(fn: Callable[..., Verdict]) -> Callable[..., Verdict]:
            self.checks.append(Check(fn.__name__, Text(en, zh), points, fn, tuple(needs), rule))
            return fn

        return register

    def rule(self, points: float, en: str, zh: str, needs: tuple[Observation, ...] = ()):
        """Decorator registering a check of a rule the statement adds to the book (its Rules section
        lists it with these points)."""
        return self.check(points, en, zh, needs, rule=True)


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
        deadline: Deadline | None = None,
    ):
        self._worker, self._reference = worker, reference
        self.exercise, self.settings = exercise, settings
        #: When this exercise's checks must stop (its time budget or the submission's).
        self.deadline = deadline or Deadline.unbounded()
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
    def _request(self, worker: WorkerHandle, request: dict, timeout: float | None) -> dict:
        """One request, waiting at most its time limit and never past the deadline; a lost worker,
        or the deadline reached, stops the check."""
        limit = worker.config.call_timeout if timeout is None else timeout
        left = self.deadline.left()
        if left <= 0:
            raise StopCheck(self.deadline.ran_out(), "error", Reason.BUDGET_SPENT)
        try:
            return worker.request(request, min(limit, left))
        except WorkerError as exc:
            if exc.reason == Reason.TIMEOUT and left < limit:
                raise StopCheck(self.deadline.ran_out(), "error", Reason.BUDGET_SPENT) from None
            raise StopCheck(worker_failure(exc), "error", exc.reason) from None

    def _ask(self, worker: WorkerHandle, request: dict, timeout: float | None) -> dict:
        reply = self._request(worker, request, timeout)
        if not reply.get("ok"):
            raise student_exception(reply)
        return reply

    def _expecting_error(self, request: dict, timeout: float | None) -> Raised | None:
        """The exception a request's student code raised, as names, or ``None`` when it returned."""
        reply = self._request(self._worker, request, timeout)
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
        return self._expecting_error({"op": "call", "target": target, "args": list(args), "kwargs": kwargs}, timeout)

    def probe_expecting_error(self, name: str, *args: Any, timeout: float | None = None) -> Raised | None:
        """Run a probe (see :meth:`probe`) for a case where the student's code should raise; like
        :meth:`call_expecting_error`."""
        return self._expecting_error({"op": "probe", "probe": name, "args": list(args)}, timeout)

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

    def probe_with_ops(self, name: str, *args: Any) -> tuple[Any, Counter]:
        """Like :meth:`probe`, also returning the ATen operators (with counts) that the probe reached."""
        reply = self._ask(self._worker, {"op": "probe", "probe": name, "args": list(args), "record_ops": True}, None)
        return reply["value"], op_counts(reply)

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
        """``hypothesis.given`` with the run's settings: seeded, derandomized, no database.

        Once an example has failed, hypothesis shrinks it, calling the submission again and again;
        when the deadline says the check has used its share of the time, shrinking stops and the
        last failing example (the smallest found so far) is reported.

        Every property check is all or nothing: hypothesis stops at the first failing example and
        shrinks it, and the share of drawn examples that pass measures how the strategy draws
        shapes, not how close the code is (each check says why this is the fair verdict for it)."""
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
            failures: list[CheckFailed] = []

            @functools.wraps(fn)
            def example(*args, **kwargs):
                if failures and not self.deadline.may_shrink():
                    raise _ShrinkingStopped
                try:
                    return fn(*args, **kwargs)
                except CheckFailed as failure:
                    failures.append(failure)
                    raise

            test = run_settings(given(*strategies)(example))
            test = test if derandomize else hypothesis_seed(self.settings.seed)(test)

            def run() -> None:
                try:
                    test()
                except _ShrinkingStopped:
                    raise CheckFailed(failures[-1].text + SHRINKING_STOPPED, failures[-1].hint) from None

            return run

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
