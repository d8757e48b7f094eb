"""Grade one submission: run each exercise's checks against a fresh worker, collect a Report."""
from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Sequence

import torch

from .checks import exercises
from .checks.framework import CheckFailed, Context, Exercise, Options, SkipCheck, StopCheck, Text, worker_failure
from .load import Submission, SubmissionError, load_submission, reference_submission
from .report.model import CheckResult, ExerciseResult, Report
from .worker.client import WorkerConfig, WorkerError, WorkerProcess, describe_isolation, prepare_space

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
            reply = self._worker.request({"op": "load", "modules": [n.removesuffix(".py") for n in
                                                                   self._pool.submission.files if n != "__init__.py"]})
            if not reply.get("ok"):
                raise RuntimeError(f"the reference solutions failed to load: {reply}")
        return self._worker

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()


def load_modules(worker: WorkerProcess, exercise: Exercise) -> Text | None:
    """Import the exercise's modules in the worker; explain the failure if that goes wrong."""
    try:
        reply = worker.request({"op": "load", "modules": list(exercise.modules)})
    except WorkerError as exc:
        return Text("While importing your module: ", "导入模块时：") + worker_failure(exc)
    if reply.get("ok"):
        return None
    where = f" ({reply['where']})" if reply.get("where") else ""
    return Text(f"could not import {', '.join(m + '.py' for m in exercise.modules)}{where}: "
                f"{reply.get('error')}: {reply.get('message')}",
                f"无法导入 {', '.join(m + '.py' for m in exercise.modules)}{where}：{reply.get('error')}：{reply.get('message')}")


def run_exercise(exercise: Exercise, pool: WorkerPool, reference: Reference, options: Options,
                 spare: bool) -> ExerciseResult:
    """Run every check of one exercise; a lost worker is replaced and costs only its check."""
    results, outputs, lost, memo, attachments = [], [], 0, {}, {}
    worker = pool.take(spare)
    problem = load_modules(worker, exercise)
    for check in exercise.checks:
        start = time.perf_counter()
        result = CheckResult(check.name, check.title, "passed", check.points)
        if problem is not None:
            result.status, result.message = ("error" if not worker.alive else "failed"), problem
        elif lost >= MAX_LOST_WORKERS:
            result.status = "error"
            result.message = Text("not run: your code stopped the worker twice in this exercise",
                                  "未运行：本练习中代码已两次使工作进程终止")
        else:
            try:
                note = check.run(Context(worker, reference, exercise, options, memo, attachments))
                if isinstance(note, Text):
                    result.message = note
            except CheckFailed as failure:
                result.status, result.message, result.hint = "failed", failure.text, failure.hint
            except StopCheck as stop:
                result.status, result.message, result.hint = stop.status, stop.text, stop.hint
            except SkipCheck as skip:
                result.status, result.message = "skipped", skip.text
            except Exception as exc:  # a bug in a check must not cost the whole report
                result.status = "error"
                result.message = Text(f"internal grader error: {type(exc).__name__}: {exc}",
                                      f"评分程序内部错误：{type(exc).__name__}：{exc}")
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


def select(only: Sequence[str] | None) -> list[Exercise]:
    """The exercises to grade, in table order; unknown names are a usage error."""
    available = exercises()
    if not only:
        return available
    names = {e.name for e in available}
    unknown = [name for name in only if name not in names]
    if unknown:
        raise SubmissionError(f"unknown exercise(s) {', '.join(unknown)}; choose from {', '.join(e.name for e in available)}")
    return [e for e in available if e.name in only]


def grade(path: str | Path, only: Sequence[str] | None = None, options: Options | None = None,
          config: WorkerConfig | None = None) -> Report:
    """Grade the submission at ``path`` and return its report (raises SubmissionError if it cannot)."""
    options, config = options or Options(), config or WorkerConfig()
    if options.device != "cpu" and not config.gpu:  # train_ch6 gets the GPU: so must its worker
        config = dataclasses.replace(config, gpu=True)
    if options.data_root is not None and config.data_dir is None:  # the folder the sandbox shows
        config = dataclasses.replace(config, data_dir=str(options.data_root))
    # The parent's oracles are tiny: one thread spares each of them the thread hand-off and
    # leaves the cores to the workers.
    torch.set_num_threads(1)
    started = time.perf_counter()
    submission = load_submission(path)
    selected = select(only)
    report = Report(exercises=[], submission=str(path), seed=options.seed, sandbox=describe_isolation(config),
                    device=options.device, training_budget=options.training_budget)
    with tempfile.TemporaryDirectory(prefix="cnnkit-grade-") as scratch:
        pool = WorkerPool(submission, Path(scratch) / "submission", config)
        reference = Reference(Path(scratch) / "reference", config)  # started by the first check that needs it
        try:
            for index, exercise in enumerate(selected):
                report.exercises.append(run_exercise(exercise, pool, reference, options,
                                                     spare=index + 1 < len(selected)))
        finally:
            pool.close()
            reference.close()
    report.incomplete = [c.message for e in report.exercises for c in e.checks
                         if c.status == "skipped" and c.message is not None]
    report.seconds = time.perf_counter() - started
    return report
