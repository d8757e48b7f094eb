"""Grading a class on a Dask cluster: one task per student, graded in the worker's own sandbox and
returned as data (``student.Graded``); the client writes.

With ``--device cuda`` a student is two tasks: the checks, which hold no GPU, and training, which asks
for the ``GPU`` resource, so a GPU is held only while a network trains and the checks of other
students run beside it (on the GPU node's spare cores, or on workers without a GPU). A worker lost
mid-task is Dask's to handle: the scheduler gives the task to another worker, up to its
``allowed-failures`` (``cluster.WORKER_LOSSES`` on the schedulers the kit starts); past that the
student gets a row with ``Reason.CLUSTER_WORKER_LOST``, graded again on the next run.
"""

from __future__ import annotations

import atexit
import threading
import uuid
import warnings
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..load import Submission, SubmissionError
from ..provenance import grader_identity
from ..reasons import Reason
from ..runner.workers import References
from ..settings import Settings
from ..text import Text
from ..validation import SettingsError
from ..worker.sandbox import SandboxUnavailable
from .cluster import GPU, ClusterOptions, connect
from .discover import Student
from .student import Graded, combine, failed, grade_submission, internal_error, pack

#: Tasks in flight at least; otherwise twice the cluster's threads, so a freed thread finds its next
#: student on the scheduler while the client reads and writes (and the client holds only these in memory).
MIN_IN_FLIGHT = 8


@dataclass(frozen=True)
class Part:
    """One task of a student: its name (the task key's prefix), the exercises it grades, its resources."""

    name: str
    settings: Settings
    resources: dict[str, int] | None = None


def parts_of(settings: Settings) -> list[Part]:
    """The tasks of one student: one, or with ``--device cuda`` the checks and training on a GPU."""
    if settings.device != "cuda" or "training" not in settings.exercises:
        return [Part("grade", settings)]
    training = Part("grade-training", settings.replace(exercises=("training",)), {GPU: 1})
    rest = tuple(e for e in settings.exercises if e != "training")
    return [Part("grade-checks", settings.replace(exercises=rest)), training] if rest else [training]


def lost_workers(losses: int) -> Graded:
    """The grading of a student whose task lost its worker every time it was tried."""
    return Graded(
        None,
        Text(
            f"the Dask worker grading this submission was lost {losses} times (killed, out of memory, or its "
            f"node went away); graded again on the next run",
            f"评分此提交的 Dask 工作进程丢失了 {losses} 次（被终止、内存不足或节点下线）；下次运行时将重新评分",
        ),
        Reason.CLUSTER_WORKER_LOST,
        retry=True,
    )


_references: References | None = None
_references_lock = threading.Lock()


def worker_references() -> References:
    """The reference workers of this Dask worker process, shared by its tasks and stopped when it exits
    (should it be killed, its sandboxed references die with it)."""
    global _references
    with _references_lock:
        if _references is None:
            _references = References()
            atexit.register(_references.close)
        return _references


def grade_on_worker(submission: Submission, settings: Settings) -> Graded:
    """The task: ``grade_submission`` on a Dask worker, with the worker's shared references. Dask's
    own threads draw from the ``random`` module while the checks' hypothesis strategies run, which
    hypothesis takes for a strategy using ``random`` and warns about on every task: not so here (the
    checks draw only from hypothesis)."""
    from hypothesis.errors import HypothesisDeprecationWarning

    warnings.filterwarnings("ignore", "Do not use the `random` module inside strategies", HypothesisDeprecationWarning)
    return grade_submission(submission, settings, worker_references())


class DaskEngine:
    """Grade students as tasks of the Dask cluster ``options`` describe, started (or joined) only
    when a batch has students to grade, and closed when it ends."""

    def __init__(self, options: ClusterOptions):
        self.options = options
        #: A LocalCluster grades on this machine; an existing cluster's or Slurm's workers on theirs.
        self.grades_here = options.scheduler is None and options.kind == "local"
        self.identity = grader_identity()
        self.client: Any = None

    def _in_flight(self) -> int:
        return max(MIN_IN_FLIGHT, 2 * sum(self.client.nthreads().values()))

    def _check_worker(self, graded: Graded, key: Any) -> None:
        """Stop the batch on a worker that may not grade: one without the sandbox (it refused the
        student's code, as ``grade`` does on such a machine) or one whose grader differs from this
        one (another copy of the kit)."""
        if not graded.refused and graded.grader == self.identity:
            return
        where = ", ".join(self.client.who_has().get(key) or ["a worker"])
        if graded.refused:
            raise SandboxUnavailable(Text(f"the Dask worker {where}: ", f"Dask 工作进程 {where}：") + graded.failure)
        raise SettingsError(
            f"the Dask worker {where} grades with another grader (version {graded.grader.get('version')}, checks "
            f"{graded.grader.get('checks', '')[:12]}) than this client (version {self.identity['version']}, "
            f"checks {self.identity['checks'][:12]}): install the same cnn-kit on every worker; "
            f"finished students are kept"
        )

    def _outcome(self, future: Any) -> Graded:
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker as exc:
            return lost_workers(exc.allowed_failures + 1)
        except Exception as exc:
            if self.client.status != "running":
                raise OSError(f"lost the connection to the Dask scheduler ({type(exc).__name__}: {exc})") from exc
            return internal_error(exc)

    def grade(
        self, students: list[Student], settings: Settings, note: Callable[[str], None]
    ) -> Iterator[tuple[Student, Graded]]:
        """Each student with its grading, as they finish; ``note`` gets where the dashboard is."""
        if not students:
            return
        with connect(self.options, settings.device) as connection:
            self.client = connection.client
            note(connection.description)
            yield from self._tasks(students, settings)

    def _tasks(self, students: list[Student], settings: Settings) -> Iterator[tuple[Student, Graded]]:
        """Submit the students' tasks, a bounded number in flight, and collect them as they finish."""
        from distributed import as_completed

        parts = parts_of(settings)
        pending, running = deque(students), as_completed()
        owner: dict[Any, tuple[Student, int]] = {}
        collected: dict[str, list[Graded | None]] = {}
        try:
            while pending or owner:
                limit = self._in_flight()
                while pending and len(owner) < limit:
                    student = pending.popleft()
                    try:
                        submission = pack(student)
                    except SubmissionError as exc:
                        yield student, failed(str(exc))
                        continue
                    except Exception as exc:
                        yield student, internal_error(exc)
                        continue
                    collected[student.id] = [None] * len(parts)
                    token = uuid.uuid4().hex
                    for index, part in enumerate(parts):
                        future = self.client.submit(
                            grade_on_worker,
                            submission,
                            part.settings,
                            key=(part.name, student.id, token),
                            resources=part.resources,
                        )
                        owner[future] = (student, index)
                        running.add(future)
                if not owner:
                    continue
                future = next(running)
                student, index = owner.pop(future)
                graded = self._outcome(future)
                self._check_worker(graded, future.key)
                future.release()
                collected[student.id][index] = graded
                if all(part is not None for part in collected[student.id]):
                    yield student, combine(collected.pop(student.id), settings)
        finally:
            if owner:
                self.client.cancel(list(owner))
