"""Run the checks of the selected exercises, each against a fresh worker, into ``ExerciseResult``s."""

from __future__ import annotations

import time

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
from ..reasons import Reason
from ..settings import Settings
from ..text import Text
from ..worker.client import WorkerError, WorkerHandle
from .results import CheckResult, ExerciseResult
from .workers import Reference, WorkerPool

#: After this many lost workers in one exercise its remaining checks are not run.
MAX_LOST_WORKERS = 2


def load_modules(worker: WorkerHandle, exercise: ExerciseChecks, deadline: Deadline) -> tuple[Text, Reason] | None:
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


def run_exercises(
    pool: WorkerPool, reference: Reference, settings: Settings, submission_end: float = float("inf")
) -> list[ExerciseResult]:
    """Run the checks of every exercise of ``settings``, in table order, until the submission's time
    budget ends (``submission_end``, ``time.monotonic()``)."""
    # The parent's oracles are tiny: one thread spares each of them the thread hand-off and
    # leaves the cores to the workers.
    torch.set_num_threads(1)
    selected = all_checks(settings.exercises)
    return [
        run_exercise(exercise, pool, reference, settings, index + 1 < len(selected), submission_end)
        for index, exercise in enumerate(selected)
    ]
