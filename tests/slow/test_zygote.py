"""Fork-per-exercise isolation: each exercise's worker is forked from a clean zygote and finds
nothing of the exercise before it; a worker that crashes or is killed costs its own exercise only;
the zygote, its workers and their cgroups are gone when the grading ends.

The submission (``tests/corpus/zygote/``): the reference, whose ``corr2d.py`` leaves every kind of
state a reused interpreter or scratch would carry (a global of builtins, a module in
``sys.modules``, a patched torch, a reseeded torch, files in the home, ``/tmp`` and ``/dev/shm``,
System V shared memory), starts a late daemon, tries to kill the zygote and kills its own worker;
its ``pooling.py`` looks for all of that before anything else runs and refuses to answer if any is
found. The grading runs in this process with the real grader; the zygote's methods are wrapped to
record what happened, not replaced.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.reasons import Reason
from autograder.runner import grade
from autograder.runner.exercise import MAX_LOST_WORKERS
from autograder.settings import WorkerConfig
from autograder.worker import sandbox, zygote
from autograder.worker.sandbox import cgroup

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "corpus" / "zygote"
PLAN = sandbox.plan(WorkerConfig())
#: What ``find_state.py`` can find.
LEAKS = (
    "a global of builtins",
    "a module in sys.modules",
    "an attribute set on torch",
    "a patched torch function",
    "torch's seed",
    "a file in the home",
    "a file in /tmp",
    "a file in /dev/shm",
    "System V shared memory",
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PLAN.forks, reason="workers are forked only by a root grader with bubblewrap and cgroups"),
]


def stateful_submission(folder: Path) -> Path:
    """The reference with corr2d leaving state behind and pooling looking for it."""
    submission = folder / "submission"
    shutil.copytree(ROOT / "solutions", submission)
    corr2d, pooling = submission / "corr2d.py", submission / "pooling.py"
    corr2d.write_text(corr2d.read_text() + "\n" + (CASES / "leave_state.py").read_text())
    pooling.write_text(
        (CASES / "find_state.py").read_text()
        + "\n"
        + pooling.read_text()
        + "\n"
        + (CASES / "check_pool2d.py").read_text()
    )
    return submission


def below_host_tmp(path: str | Path) -> str:
    """``path`` as the control's process reaches it once a tmpfs covers /tmp: through descriptor 3,
    the host's /tmp opened before (a checkout or venv under /tmp, e.g. a CI's fresh clone)."""
    path = Path(path)
    return f"/proc/self/fd/3/{path.relative_to('/tmp')}" if path.is_relative_to("/tmp") else str(path)


def test_the_state_finder_sees_every_leak_in_one_interpreter(tmp_path):
    """The control: without a fresh worker in between, pooling finds what corr2d left. Run in a
    mount and IPC namespace of its own, with /tmp and /dev/shm on private tmpfs, so the host's stay
    untouched (the late daemon's file needs the fork of corr2d itself, which is not called here)."""
    submission = stateful_submission(tmp_path)
    (submission / "__init__.py").write_text("")
    script = (
        "import sys; sys.path[0] = '/proc/self/cwd'; import submission.corr2d, submission.pooling as p; p.pool2d(0, 1)"
    )
    # the working directory (the test's folder under the host's /tmp) is reached through /proc once
    # /tmp is covered; descriptor 3 keeps the host's /tmp for an interpreter that lives there
    private = (
        "exec 3< /tmp && mount --make-rprivate / && mount -t tmpfs none /tmp && mount -t tmpfs none /dev/shm "
        '&& exec "$@"'
    )
    done = subprocess.run(
        ["unshare", "--mount", "--ipc", "sh", "-c", private, "sh", below_host_tmp(sys.executable), "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "state of a previous exercise" in done.stderr, done.stderr
    for leak in LEAKS:
        assert leak in done.stderr, done.stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One grading of corr2d and pooling, with what the zygotes did recorded."""
    zygotes, forks = [], []
    original_init, original_fork = zygote.Zygote.__init__, zygote.Zygote.fork

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        zygotes.append(self)

    def recording_fork(self):
        worker = original_fork(self)
        forks.append(worker)
        return worker

    zygote.Zygote.__init__, zygote.Zygote.fork = recording_init, recording_fork
    try:
        report = grade(stateful_submission(tmp_path_factory.mktemp("zygote")), exercises=["corr2d", "pooling"])
    finally:
        zygote.Zygote.__init__, zygote.Zygote.fork = original_init, original_fork
    return report, zygotes, forks


def test_a_forked_worker_finds_no_state_of_the_exercise_before(graded):
    report, zygotes, forks = graded
    corr2d, pooling = report.exercises
    assert pooling.score == pooling.max_score, pooling.output
    assert "state found: []" in pooling.output
    assert len(zygotes) == 1  # one zygote for the submission (the reference has a worker of its own)
    # corr2d: the first worker and a replacement for each lost worker but the last (no check runs
    # after it); then pooling's
    assert len(forks) == 1 + (MAX_LOST_WORKERS - 1) + 1


def test_a_killed_worker_costs_its_exercise_only(graded):
    report, zygotes, forks = graded
    corr2d = report.exercises[0]
    assert corr2d.score == 0
    assert {c.reason for c in corr2d.checks if c.status != "passed"} <= {
        Reason.CRASHED,
        Reason.WORKER_LOST,
        Reason.IMPORT_ERROR,
    }
    assert Reason.WORKER_LOST in {c.reason for c in corr2d.checks}


def test_the_zygote_its_workers_and_their_cgroups_are_gone(graded):
    _, zygotes, forks = graded
    for z in zygotes:
        process = z._process.process
        assert process.returncode is not None  # killed and reaped by the grader
        assert not Path(f"/proc/{process.pid}").exists()
    for worker in forks:
        assert not Path(f"/proc/{worker.pid}").exists()
        assert not any(folder.exists() for folder in worker._own_cgroup.folders)
    parents = cgroup.parents()
    for folder in {parents.memory, parents.pids}:
        assert not list(folder.glob(f"{cgroup.WORKER_PREFIX}{os.getpid()}-*"))
