"""Grade one submission: run each exercise's checks against a fresh worker, collect a ``Report``."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from ..checks import all_checks
from ..checks.deadline import Deadline
from ..checks.framework import (
    Check,
    CheckFailed,
    Context,
    ExerciseChecks,
    Partial,
    SkipCheck,
    StopCheck,
    worker_failure,
)
from ..load import Submission, load_submission, reference_submission
from ..reasons import Reason
from ..settings import Settings, WorkerConfig
from ..text import Text
from ..worker import sandbox
from ..worker.client import WorkerError, WorkerProcess
from ..worker.space import prepare_space
from .results import CheckResult, ExerciseResult, Report

#: After this many lost workers in one exercise its remaining checks are not run.
MAX_LOST_WORKERS = 2


class WorkerPool:
    """Fresh workers for one package, each in its own scratch space; one spare starts ahead."""

    def __init__(self, submission: Submission, scratch: Path, config: WorkerConfig):
        self.submission, self.scratch, self.config = submission, scratch, config
        self._count = 0
        self._spare: WorkerProcess | None = None

    def _spawn(self) -> WorkerProcess:
        self._count += 1
        return WorkerProcess(prepare_space(self.scratch / f"worker{self._count}", self.submission.files), self.config)

    def take(self, spare: bool = True) -> WorkerProcess:
        """A worker (already starting); with ``spare``, also start the next one in the background."""
        worker, self._spare = self._spare or self._spawn(), None
        if spare:
            self._spare = self._spawn()
        return worker

    def close(self) -> None:
        if self._spare is not None:
            self._spare.kill()
            self._spare = None


class Reference:
    """The reference solutions in a worker of their own, started on first use (timing and rule
    checks compare with it), so a submission that never gets that far costs no extra worker."""

    def __init__(self, scratch: Path, config: WorkerConfig):
        self._pool = WorkerPool(reference_submission(), scratch, config)
        self._worker: WorkerProcess | None = None

    def __call__(self) -> WorkerProcess:
        if self._worker is None or not self._worker.alive:
            self._worker = self._pool.take(spare=False)
            reply = self._worker.request(
                {
                    "op": "load",
                    "modules": [n.removesuffix(".py") for n in self._pool.submission.files if n != "__init__.py"],
                }
            )
            if not reply.get("ok"):
                raise RuntimeError(f"the reference solutions failed to load: {reply}")
        return self._worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()


def load_modules(worker: WorkerProcess, exercise: ExerciseChecks, deadline: Deadline) -> tuple[Text, Reason] | None:
    """Import the exercise's modules in the worker (never past the deadline); explain the failure if
    that goes wrong."""
    limit = worker.config.call_timeout
    try:
        reply = worker.request({"op": "load", "modules": list(exercise.modules)}, min(limit, deadline.left()))
    except WorkerError as exc:
        if exc.reason == Reason.TIMEOUT and deadline.left() < limit:
            return Text("While importing your module: ", "导入模块时：") + deadline.ran_out(), Reason.BUDGET_SPENT
        return Text("While importing your module: ", "导入模块时：") + worker_failure(exc), exc.reason
    if reply.get("ok"):
        return None
    where = f" ({reply['where']})" if reply.get("where") else ""
    names = ", ".join(m + ".py" for m in exercise.modules)
    return (
        Text(
            f"could not import {names}{where}: {reply.get('error')}: {reply.get('message')}",
            f"无法导入 {names}{where}：{reply.get('error')}：{reply.get('message')}",
        ),
        Reason.IMPORT_ERROR,
    )


def run_check(check: Check, ctx: Context) -> CheckResult:
    """Run one check; its outcome as a result (a bug in a check costs that check only)."""
    result = CheckResult(check.name, check.title, "error", check.points)
    try:
        verdict = check.run(ctx)
    except CheckFailed as failure:
        result.status, result.message, result.hint = "failed", failure.text, failure.hint
    except StopCheck as stop:
        result.status, result.message, result.hint, result.reason = stop.status, stop.text, stop.hint, stop.reason
    except SkipCheck as skip:
        result.status, result.message, result.reason = "skipped", skip.text, skip.reason
    except Exception as exc:  # a bug in a check must not cost the whole report
        result.reason = Reason.INTERNAL_ERROR
        result.message = Text(
            f"internal grader error: {type(exc).__name__}: {exc}", f"评分程序内部错误：{type(exc).__name__}：{exc}"
        )
    else:
        if isinstance(verdict, Partial):
            return CheckResult(
                check.name,
                check.title,
                "partial",
                check.points,
                verdict.text,
                verdict.hint,
                score=verdict.fraction * check.points,
            )
        return CheckResult(check.name, check.title, "passed", check.points, verdict)
    return result


def not_run(check: Check, status: str, message: Text, reason: Reason) -> CheckResult:
    """The result of a check that could not run (import failed, workers lost, time budget spent)."""
    return CheckResult(check.name, check.title, status, check.points, message, reason=reason)


def run_exercise(
    exercise: ExerciseChecks,
    pool: WorkerPool,
    reference: Reference,
    settings: Settings,
    spare: bool,
    submission_end: float = float("inf"),
) -> ExerciseResult:
    """Run every check of one exercise; a lost worker is replaced and costs only its check. The
    checks stop at the exercise's time budget or at the submission's (``submission_end``,
    ``time.monotonic()``), whichever comes first: the checks not run by then score nothing."""
    config = settings.worker
    deadline = Deadline.first_of(
        config.exercise_seconds + exercise.extra_seconds(settings), submission_end, config.submission_seconds
    )
    if deadline.left() <= 0:  # the submission's budget is spent: start no worker
        return ExerciseResult(
            exercise.name, [not_run(c, "error", deadline.not_run(), Reason.BUDGET_SPENT) for c in exercise.checks]
        )
    results, outputs, lost, memo, attachments = [], [], 0, {}, {}
    worker, retired = pool.take(spare), False
    problem = load_modules(worker, exercise, deadline)
    for index, check in enumerate(exercise.checks):
        start = time.perf_counter()
        if problem is not None:
            result = not_run(check, "error" if not worker.alive else "failed", *problem)
        elif lost >= MAX_LOST_WORKERS:
            result = not_run(
                check,
                "error",
                Text(
                    "not run: your code stopped the worker twice in this exercise",
                    "未运行：本练习中代码已两次使工作进程终止",
                ),
                Reason.WORKER_LOST,
            )
        elif deadline.left() <= 0:
            result = not_run(check, "error", deadline.not_run(), Reason.BUDGET_SPENT)
        else:
            deadline.start_check(len(exercise.checks) - index)
            result = run_check(check, Context(worker, reference, exercise, settings, memo, attachments, deadline))
            if not worker.alive and not retired:
                lost += 1
                outputs.append(worker.output())
                worker.kill()
                retired = True
                if lost < MAX_LOST_WORKERS and deadline.left() > 0:  # else no check will need another
                    worker, retired = pool.take(spare), False
                    problem = load_modules(worker, exercise, deadline)
        result.seconds = time.perf_counter() - start
        results.append(result)
    if not retired:
        outputs.append(worker.output())
        worker.kill()
    return ExerciseResult(exercise.name, results, output="".join(outputs)[-16384:], attachments=attachments)


def grade(path: str | Path | Submission, settings: Settings | None = None, **changes: Any) -> Report:
    """Grade the submission at ``path`` (or one already read, e.g. sent to a cluster worker) under
    ``settings`` (the defaults, with ``changes`` applied, e.g. ``grade(path, exercises=["corr2d"])``);
    raise ``SubmissionError`` if it cannot be read and ``sandbox.SandboxUnavailable`` if its code could
    not be isolated here (nothing runs then)."""
    settings = (settings or Settings()).replace(**changes) if changes else (settings or Settings())
    sandbox.require(settings.worker)
    # The parent's oracles are tiny: one thread spares each of them the thread hand-off and
    # leaves the cores to the workers.
    torch.set_num_threads(1)
    started = time.perf_counter()
    submission_end = time.monotonic() + settings.worker.submission_seconds
    submission = path if isinstance(path, Submission) else load_submission(path)
    selected = all_checks(settings.exercises)
    report = Report(
        exercises=[],
        submission=str(path.path if isinstance(path, Submission) else path),
        settings=settings,
        sandbox=sandbox.describe_isolation(settings.worker),
    )
    with tempfile.TemporaryDirectory(prefix="cnnkit-grade-") as scratch:
        pool = WorkerPool(submission, Path(scratch) / "submission", settings.worker)
        reference = Reference(Path(scratch) / "reference", settings.worker)  # started by the first check that needs it
        try:
            for index, exercise in enumerate(selected):
                report.exercises.append(
                    run_exercise(exercise, pool, reference, settings, index + 1 < len(selected), submission_end)
                )
        finally:
            pool.close()
            reference.close()
    report.seconds = time.perf_counter() - started
    return report
