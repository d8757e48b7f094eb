"""Run the checks of the selected exercises, each against a fresh worker, into ``ExerciseResult``s."""

from __future__ import annotations

import time
from typing import Any

import torch

from ..checks import all_checks
from ..checks.framework import CheckFailed, Context, ExerciseChecks, SkipCheck, StopCheck, worker_failure
from ..reasons import Reason
from ..settings import Settings
from ..text import Text
from ..worker.client import WorkerError, WorkerHandle
from .results import CheckResult, ExerciseResult
from .workers import Reference, WorkerPool

#: After this many lost workers in one exercise its remaining checks are not run.
MAX_LOST_WORKERS = 2


def load_modules(worker: WorkerHandle, exercise: ExerciseChecks) -> tuple[Text, Reason] | None:
    """Import the exercise's modules in the worker; explain the failure if that goes wrong."""
    try:
        reply = worker.request({"op": "load", "modules": list(exercise.modules)})
    except WorkerError as exc:
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


def run_check(check: Any, ctx: Context, result: CheckResult) -> None:
    """Run one check and record its outcome in ``result``; a bug in a check costs that check only."""
    try:
        note = check.run(ctx)
        if isinstance(note, Text):
            result.message = note
    except CheckFailed as failure:
        result.status, result.message, result.hint = "failed", failure.text, failure.hint
    except StopCheck as stop:
        result.status, result.message, result.hint, result.reason = stop.status, stop.text, stop.hint, stop.reason
    except SkipCheck as skip:
        result.status, result.message, result.reason = "skipped", skip.text, skip.reason
    except Exception as exc:  # a bug in a check must not cost the whole report
        result.status, result.reason = "error", Reason.INTERNAL_ERROR
        result.message = Text(
            f"internal grader error: {type(exc).__name__}: {exc}", f"评分程序内部错误：{type(exc).__name__}：{exc}"
        )


def run_exercise(
    exercise: ExerciseChecks, pool: WorkerPool, reference: Reference, settings: Settings, spare: bool
) -> ExerciseResult:
    """Run every check of one exercise; a lost worker is replaced and costs only its check."""
    results, outputs, lost, memo, attachments = [], [], 0, {}, {}
    worker = pool.take(spare)
    problem = load_modules(worker, exercise)
    for check in exercise.checks:
        start = time.perf_counter()
        result = CheckResult(check.name, check.title, "passed", check.points)
        if problem is not None:
            result.status = "error" if not worker.alive else "failed"
            result.message, result.reason = problem
        elif lost >= MAX_LOST_WORKERS:
            result.status, result.reason = "error", Reason.WORKER_LOST
            result.message = Text(
                "not run: your code stopped the worker twice in this exercise",
                "未运行：本练习中代码已两次使工作进程终止",
            )
        else:
            run_check(check, Context(worker, reference, exercise, settings, memo, attachments), result)
            if not worker.alive:
                lost += 1
                outputs.append(worker.output())
                worker.kill()
                worker = pool.take(spare)
                problem = load_modules(worker, exercise)
        result.seconds = time.perf_counter() - start
        results.append(result)
    outputs.append(worker.output())
    worker.kill()
    return ExerciseResult(exercise.name, results, output="".join(outputs)[-16384:], attachments=attachments)


def run_exercises(pool: WorkerPool, reference: Reference, settings: Settings) -> list[ExerciseResult]:
    """Run the checks of every exercise of ``settings``, in table order."""
    # The parent's oracles are tiny: one thread spares each of them the thread hand-off and
    # leaves the cores to the workers.
    torch.set_num_threads(1)
    selected = all_checks(settings.exercises)
    return [
        run_exercise(exercise, pool, reference, settings, spare=index + 1 < len(selected))
        for index, exercise in enumerate(selected)
    ]
