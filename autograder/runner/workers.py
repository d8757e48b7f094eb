"""The workers of one grading: the submission's (``WorkerPool``) and the reference's (``Reference``).

Nothing here imports torch, so ``grade`` starts them before the grader imports the checks and torch:
their imports of torch, in the sandbox, overlap the grader's own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from pathlib import Path
from typing import Iterator

from ..load import Submission, reference_submission
from ..settings import WorkerConfig
from ..worker import sandbox
from ..worker.client import WorkerError, WorkerHandle, WorkerProcess
from ..worker.space import WorkerSpace, prepare_space
from ..worker.zygote import Zygote
from .scratch import scratch_folder


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
        self.config = config
        self._pool = WorkerPool(reference_submission(), scratch, dataclasses.replace(config, zygote=False))
        self._worker: WorkerHandle | None = self._pool.take(spare=False)
        self._loaded = False
        #: How many gradings this reference has served (``References`` retires it after ``SERVINGS``).
        self.servings = 0

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


class References:
    """Reference workers kept for the gradings of one batch: a grading borrows one and gives it back,
    so a class pays one reference start (one import of torch) per grading running at once, not one per
    student. The reference runs only trusted code on the grader's inputs, so nothing of one student
    reaches the next; a reference retires after ``SERVINGS`` gradings, far inside its RLIMIT_CPU."""

    SERVINGS = 100

    def __init__(self) -> None:
        self._idle: list[Reference] = []
        self._lock = threading.Lock()
        self._scratch: contextlib.ExitStack | None = contextlib.ExitStack()
        self._folder = self._scratch.enter_context(scratch_folder("references"))
        self._started = 0

    @contextlib.contextmanager
    def borrow(self, config: WorkerConfig) -> Iterator[Reference]:
        """An idle reference started with ``config`` (or a new one) for one grading."""
        with self._lock:
            reference = next((r for r in self._idle if r.config == config), None)
            if reference is not None:
                self._idle.remove(reference)
            else:
                self._started += 1
                reference = Reference(self._folder / f"reference{self._started}", config)
        try:
            yield reference
        finally:
            reference.servings += 1
            with self._lock:
                if reference.servings < self.SERVINGS and self._scratch is not None:
                    self._idle.append(reference)
                    reference = None
            if reference is not None:
                reference.close()

    def close(self) -> None:
        """Stop the idle references and remove their scratch space."""
        with self._lock:
            idle, self._idle = self._idle, []
            scratch, self._scratch = self._scratch, None
        for reference in idle:
            reference.close()
        if scratch is not None:
            scratch.close()

    def __enter__(self) -> "References":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def reference_for(
    references: References | None, scratch: Path, config: WorkerConfig
) -> contextlib.AbstractContextManager[Reference]:
    """A context giving one grading its reference: borrowed from ``references``, or (None) its own,
    started in ``scratch`` and stopped when the grading ends."""
    return references.borrow(config) if references is not None else contextlib.closing(Reference(scratch, config))
