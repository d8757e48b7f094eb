"""The workers of one grading: the submission's (``WorkerPool``) and the reference's (``Reference``).

Nothing here imports torch, so ``grade`` starts them before the grader imports the checks and torch:
their imports of torch, in the sandbox, overlap the grader's own.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..load import Submission, reference_submission
from ..settings import WorkerConfig
from ..worker import sandbox
from ..worker.client import WorkerError, WorkerHandle, WorkerProcess
from ..worker.space import WorkerSpace, prepare_space
from ..worker.zygote import Zygote


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
