"""Grade one submission: run each exercise's checks against a fresh worker, collect a ``Report``."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from ..checks import all_checks
from ..checks.framework import CheckFailed, Context, ExerciseChecks, SkipCheck, StopCheck, worker_failure
from ..load import Submission, load_submission, reference_submission
from ..reasons import Reason
from ..settings import Settings, WorkerConfig
from ..text import Text
from ..worker import sandbox
from ..worker.client import WorkerError, WorkerHandle, WorkerProcess
from ..worker.space import WorkerSpace, prepare_space
from ..worker.zygote import Zygote
from .results import CheckResult, ExerciseResult, Report

#: After this many lost workers in one exercise its remaining checks are not run.
MAX_LOST_WORKERS = 2


class WorkerPool:
    """Fresh workers for one package, each in its own scratch space: forked by the package's zygote
    where the sandbox allows it (``worker.zygote``), else started as new processes, one spare ahead."""

    def __init__(self, submission: Submission, scratch: Path, config: WorkerConfig):
        self.submission, self.scratch, self.config = submission, scratch, config
        self._count = 0
        self._spare: WorkerHandle | None = None
        self._zygote = Zygote(self._space(), config) if config.zygote and sandbox.plan(config).forks else None

    def _space(self) -> WorkerSpace:
        self._count += 1
        return prepare_space(self.scratch / f"worker{self._count}", self.submission.files)

    def _spawn(self) -> WorkerHandle:
        if self._zygote is not None:
            try:
                return self._zygote.fork()
            except WorkerError:  # a zygote that cannot fork: new processes from now on
                self._zygote.kill()
                self._zygote = None
        return WorkerProcess(self._space(), self.config)

    def take(self, spare: bool = True) -> WorkerHandle:
        """A worker (already starting); with ``spare``, also start the next one in the background
        (not with a zygote: a worker is forked when it is needed, after the previous one is gone)."""
        worker, self._spare = self._spare or self._spawn(), None
        if spare and self._zygote is None:
            self._spare = self._spawn()
        return worker

    def close(self) -> None:
        if self._spare is not None:
            self._spare.kill()
            self._spare = None
        if self._zygote is not None:
            self._zygote.kill()
            self._zygote = None


class Reference:
    """The reference solutions in a worker of their own, started at once (it imports torch while the
    submission's first exercise runs) and loaded on first use (timing and rule checks compare with it)."""

    def __init__(self, scratch: Path, config: WorkerConfig):
        self._pool = WorkerPool(reference_submission(), scratch, dataclasses.replace(config, zygote=False))
        self._worker: WorkerHandle | None = self._pool.take(spare=False)
        self._loaded = False

    def __call__(self) -> WorkerHandle:
        if self._worker is None or not self._worker.alive:
            self._worker, self._loaded = self._pool.take(spare=False), False
        if not self._loaded:
            reply = self._worker.request(
                {
                    "op": "load",
                    "modules": [n.removesuffix(".py") for n in self._pool.submission.files if n != "__init__.py"],
                }
            )
            if not reply.get("ok"):
                raise RuntimeError(f"the reference solutions failed to load: {reply}")
            self._loaded = True
        return self._worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()


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


def grade(path: str | Path, settings: Settings | None = None, **changes: Any) -> Report:
    """Grade the submission at ``path`` under ``settings`` (the defaults, with ``changes`` applied,
    e.g. ``grade(path, exercises=["corr2d"])``); raise ``SubmissionError`` if it cannot be read and
    ``sandbox.SandboxUnavailable`` if its code could not be isolated here (nothing runs then)."""
    settings = (settings or Settings()).replace(**changes) if changes else (settings or Settings())
    sandbox.require(settings.worker)
    # The parent's oracles are tiny: one thread spares each of them the thread hand-off and
    # leaves the cores to the workers.
    torch.set_num_threads(1)
    started = time.perf_counter()
    submission = load_submission(path)
    selected = all_checks(settings.exercises)
    report = Report(
        exercises=[], submission=str(path), settings=settings, sandbox=sandbox.describe_isolation(settings.worker)
    )
    with tempfile.TemporaryDirectory(prefix="cnnkit-grade-") as scratch:
        pool = WorkerPool(submission, Path(scratch) / "submission", settings.worker)
        reference = Reference(Path(scratch) / "reference", settings.worker)  # started by the first check that needs it
        try:
            for index, exercise in enumerate(selected):
                report.exercises.append(
                    run_exercise(exercise, pool, reference, settings, spare=index + 1 < len(selected))
                )
        finally:
            pool.close()
            reference.close()
    report.seconds = time.perf_counter() - started
    return report
