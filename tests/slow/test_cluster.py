"""``grade-all`` on Dask distributed: a LocalCluster of two worker processes over TCP grades a mixed
class to the same gradebook as ``-j 2``; Dask workers killed with SIGKILL mid-task (once: the task
is retried elsewhere; every time: the student gets a row with the reason, graded again on the next
run); and a real single-node Slurm cluster whose sbatch-launched workers grade a small class.

Every run grades ``--only corr2d,pooling`` (two cheap exercises) to stay fast.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the cluster extra is not installed (pip install -e '.[cluster]')")

import psutil  # noqa: E402  (a dependency of distributed)
import single_node_slurm  # noqa: E402  (beside this file)
from distributed import Client  # noqa: E402
from test_batch import ROOT, copy_modules, make_broken, read_csv, zip_folder  # noqa: E402

from autograder.batch import run_batch  # noqa: E402
from autograder.batch.cluster import WORKER_LOSSES, ClusterOptions  # noqa: E402
from autograder.batch.dask_engine import DaskEngine  # noqa: E402
from autograder.batch.progress import Progress  # noqa: E402
from autograder.report import validate  # noqa: E402
from autograder.settings import Settings  # noqa: E402
from autograder.validation import SettingsError  # noqa: E402

ONLY = "corr2d,pooling"
FULL = "26"  # corr2d 14 + pooling 12
HOSTILE = ("exit_at_import", "system_exit_in_call")  # corr2d.py from tests/corpus/hostile: score 0 either way
SCHEDULER = re.compile(r"Dask scheduler (\S+), dashboard (\S+)")


@pytest.fixture(autouse=True)
def scratch(monkeypatch):
    """A temporary folder for every process of a batch (``TMPDIR``), removed afterwards: a Dask worker
    killed with SIGKILL leaves its grading's scratch folder behind."""
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-cluster-test-"))
    os.chmod(folder, 0o1777)  # like /tmp: the sandboxed workers' spaces are made inside
    monkeypatch.setenv("TMPDIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def environment(**extra: str) -> dict[str, str]:
    """The batch's environment: this checkout's code for the client and for every Dask worker."""
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def make_mixed_class(directory: Path) -> dict[str, str]:
    """References (one zipped), stubs, broken and hostile submissions; student id -> expected status start."""
    directory.mkdir(parents=True)
    expected = {}
    for name in ("ref1", "ref2"):
        copy_modules(ROOT / "solutions", directory / name)
        expected[name] = "ok"
    zip_folder(directory / "ref2", directory / "ref3.zip", wrapper="ref3")
    expected["ref3"] = "ok"
    copy_modules(ROOT / "exercises", directory / "stub")
    expected["stub"] = "ok"
    for kind in ("empty", "syntax", "bomb", "notes"):
        make_broken(directory, kind)
        expected[kind] = "error"
    for case in HOSTILE:
        copy_modules(ROOT / "solutions", directory / case)
        shutil.copyfile(ROOT / "tests" / "corpus" / "hostile" / "corr2d" / f"{case}.py", directory / case / "corr2d.py")
        expected[case] = "ok"
    return expected


def grade_all(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "grade-all", *map(str, args)],
        cwd=ROOT,
        env=env or environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def gradebook(results: Path) -> dict[str, list[str]]:
    rows = read_csv(results / "gradebook.csv")
    ids = [row[0] for row in rows[1:]]
    assert len(ids) == len(set(ids)), f"a student appears twice: {ids}"
    return {row[0]: row[1:] for row in rows[1:]}


def checks_of(results: Path, student: str) -> list[tuple[str, str, str, float]]:
    """Every check of a student's report: exercise, check, status, score (what the grade is made of)."""
    report = json.loads((results / student / "report.json").read_text())
    validate(report)
    return [(e["name"], c["name"], c["status"], c["score"]) for e in report["exercises"] for c in e["checks"]]


@pytest.mark.slow
def test_a_local_cluster_grades_like_the_thread_pool(tmp_path):
    expected = make_mixed_class(tmp_path / "class")
    pool, dask = tmp_path / "pool", tmp_path / "dask"
    grade_all(tmp_path / "class", "--out", pool, "-j", "2", "--only", ONLY)
    run = grade_all(tmp_path / "class", "--out", dask, "--executor", "dask", "--workers", "2", "--only", ONLY)
    assert SCHEDULER.search(run.stdout).group(1).startswith("tcp://127.0.0.1:")
    book = gradebook(dask)
    assert (dask / "gradebook.csv").read_text() == (pool / "gradebook.csv").read_text()
    assert {name: row[-1].split(":")[0] for name, row in book.items()} == expected
    assert all(book[name][0] == FULL for name in ("ref1", "ref2", "ref3")) and book["stub"][0] == "0"
    assert all(book[name][0] == "0" for name in HOSTILE)
    for name in expected:
        assert checks_of(dask, name) == checks_of(pool, name), name
        pooled, distributed = (json.loads((r / name / "meta.json").read_text()) for r in (pool, dask))
        assert {k: v for k, v in distributed.items() if k not in ("graded_at", "seconds", "report_sha256")} == {
            k: v for k, v in pooled.items() if k not in ("graded_at", "seconds", "report_sha256")
        }
    # either executor resumes the other's results: nothing is graded again
    again = grade_all(tmp_path / "class", "--out", pool, "--executor", "dask", "--workers", "2", "--only", ONLY)
    assert f"0 graded, {len(expected)} already finished" in again.stdout
    assert "Dask scheduler" not in again.stdout  # no cluster is started for nothing


@pytest.mark.slow
def test_training_on_a_gpu_worker_is_a_task_of_its_own(tmp_path, monkeypatch):
    """With --device cuda a student is two tasks, the checks and training (which asks for the GPU
    resource a LocalCluster's workers then offer), joined into one report. No GPU here: the training
    part reports that its worker cannot use CUDA, which is enough to see it graded and joined."""
    copy_modules(ROOT / "solutions", tmp_path / "class" / "ref1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    settings = Settings(exercises=("corr2d", "training"), device="cuda", training_budget="small")
    outcome = run_batch(
        tmp_path / "class",
        tmp_path / "results",
        settings,
        executor=DaskEngine(ClusterOptions(workers=1)),
        progress=Progress(1, 0, tty=False, stream=io.StringIO()),
    )
    assert outcome.graded == 1 and list(outcome.metas) == ["ref1"]
    report = json.loads((tmp_path / "results" / "ref1" / "report.json").read_text())
    validate(report)
    corr2d, training = report["exercises"]
    assert corr2d["name"] == "corr2d" and corr2d["score"] == corr2d["max_score"] == 14
    assert training["name"] == "training" and "environment" in {c["reason"] for c in training["checks"]}
    trained = [c for c in training["checks"] if c["name"] == "reaches_accuracy"]
    assert [c["reason"] for c in trained] == ["environment"] and training["score"] < training["max_score"]
    scores = {"corr2d": 14.0, "training": training["score"]}  # rules that need no GPU (an empty data_iter) still score
    assert report["device"] == "cuda" and outcome.metas["ref1"]["exercise_scores"] == scores


@pytest.mark.slow
def test_grades_from_another_grader_are_refused(tmp_path, monkeypatch):
    """A worker whose kit differs from the client's (here: the client's provenance is changed) stops
    the batch before its grade is written."""
    copy_modules(ROOT / "exercises", tmp_path / "class" / "stub")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    engine = DaskEngine(ClusterOptions(workers=1))
    engine.identity = {"version": "0.0.0", "checks": "0" * 64}
    with pytest.raises(SettingsError, match="grades with another grader .* install the same cnn-kit on every worker"):
        run_batch(
            tmp_path / "class",
            tmp_path / "results",
            Settings(exercises=("corr2d",)),
            executor=engine,
            progress=Progress(1, 0, tty=False, stream=io.StringIO()),
        )
    assert not (tmp_path / "results" / "stub").exists()
    assert read_csv(tmp_path / "results" / "gradebook.csv") == [["student_id", "total", "corr2d", "status"]]


@pytest.mark.slow
def test_an_interrupted_client_stops_its_cluster_and_resumes(tmp_path):
    submissions, results = tmp_path / "class", tmp_path / "results"
    names = [f"ref{i}" for i in range(1, 5)]
    for name in names:
        copy_modules(ROOT / "solutions", submissions / name)
    command = [sys.executable, "-m", "autograder", "grade-all", str(submissions), "--out", str(results)]
    command += ["--executor", "dask", "--workers", "1", "--only", ONLY]
    batch = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # A shell's background job ignores SIGINT, and so would the batch (Python then installs no
        # KeyboardInterrupt handler): give it the default, as in a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 600
        while not list(results.glob("*/meta.json")) and time.monotonic() < deadline and batch.poll() is None:
            time.sleep(0.2)
        workers = psutil.Process(batch.pid).children(recursive=True)
        batch.send_signal(signal.SIGINT)
        out, err = batch.communicate(timeout=120)
    finally:
        if batch.poll() is None:
            batch.kill()
    assert batch.returncode == 130, out + err
    assert b"interrupted; finished students are kept" in err
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, alive  # the cluster's processes (workers, their grading workers) are gone
    first = sorted(p.parent.name for p in results.glob("*/meta.json"))
    assert 1 <= len(first) < len(names) and [row for row in gradebook(results)] == first
    again = grade_all(submissions, "--out", results, "--executor", "dask", "--workers", "1", "--only", ONLY)
    assert f"{len(names) - len(first)} graded, {len(first)} already finished" in again.stdout
    assert gradebook(results) == {name: [FULL, "14", "12", "ok"] for name in names}


def grading_now(worker: psutil.Process) -> bool:
    """Whether a Dask worker process runs a grading's sandboxed workers (they live in its
    ``cnnkit-grade-*`` folder; the reference workers it keeps between gradings do not)."""
    for child in worker.children(recursive=True):
        try:
            if any("cnnkit-grade-" in part for part in child.cmdline()):
                return True
        except psutil.Error:  # gone meanwhile
            continue
    return False


class WorkerKiller(threading.Thread):
    """Kills, with SIGKILL, the Dask worker process grading a chosen student once it runs that
    student's grading workers: ``unlucky`` once, ``doomed`` every time."""

    def __init__(self, address: str, unlucky: str, doomed: str):
        super().__init__(daemon=True)
        self.address, self.unlucky, self.doomed = address, unlucky, doomed
        self.kills: dict[str, int] = {unlucky: 0, doomed: 0}
        self.stop = threading.Event()

    def victim(self, client: Client) -> tuple[str, int] | None:
        """The student and pid of a worker now grading a chosen student (its sandboxed workers started)."""
        for worker, keys in client.processing().items():
            for key in keys:
                student = key[1] if isinstance(key, tuple) else None
                if student == self.doomed or (student == self.unlucky and not self.kills[self.unlucky]):
                    pid = client.run(os.getpid, workers=[worker])[worker]
                    if grading_now(psutil.Process(pid)):
                        return student, pid
        return None

    def run(self) -> None:
        client = Client(self.address, timeout="20s")
        while not self.stop.is_set():
            try:
                found = self.victim(client)
            except Exception:  # a worker that was just killed, or the scheduler closing at the end
                found = None
            if found is not None:
                os.kill(found[1], signal.SIGKILL)
                self.kills[found[0]] += 1
                time.sleep(1.0)  # the scheduler notices and moves the task
            time.sleep(0.2)
        client.close(timeout=5)


@pytest.mark.slow
def test_killed_dask_workers_are_retried_then_reported(tmp_path):
    submissions, results = tmp_path / "class", tmp_path / "results"
    for name in ("doomed", "ref1", "ref2", "ref3", "unlucky"):
        copy_modules(ROOT / "solutions", submissions / name)
    copy_modules(ROOT / "exercises", submissions / "stub")
    command = [sys.executable, "-m", "autograder", "grade-all", str(submissions), "--out", str(results)]
    batch = subprocess.Popen(
        [*command, "--executor", "dask", "--workers", "2", "--only", ONLY],
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killer = None
    try:
        first = batch.stdout.readline()
        address = SCHEDULER.search(first)
        assert address, first + batch.stderr.read()
        killer = WorkerKiller(address.group(1), unlucky="unlucky", doomed="doomed")
        killer.start()
        out, err = batch.communicate(timeout=600)
    finally:
        if killer is not None:
            killer.stop.set()
            killer.join(30)
        if batch.poll() is None:
            batch.kill()
    assert batch.returncode == 0, first + out + err
    assert killer.kills == {"unlucky": 1, "doomed": WORKER_LOSSES + 1}, killer.kills
    book = gradebook(results)
    assert sorted(book) == ["doomed", "ref1", "ref2", "ref3", "stub", "unlucky"]
    for name in ("ref1", "ref2", "ref3", "unlucky"):  # unlucky: its task was retried on another worker
        assert book[name] == [FULL, "14", "12", "ok"], (name, book[name])
    assert book["doomed"][:-1] == ["0", "0", "0"]
    lost = f"the Dask worker grading this submission was lost {WORKER_LOSSES + 1} times"
    assert book["doomed"][-1].startswith(f"error: {lost} (killed, out of memory"), book["doomed"]
    report = json.loads((results / "doomed" / "report.json").read_text())
    validate(report)
    assert {c["reason"] for e in report["exercises"] for c in e["checks"]} == {"cluster_worker_lost"}
    assert json.loads((results / "doomed" / "meta.json").read_text())["retry"] is True
    assert lost in (results / "doomed" / "feedback.md").read_text()
    assert not list(results.rglob("*.tmp"))
    # the next run grades only the student whose workers were lost, and nothing kills them now
    before = {p.parent.name: p.stat().st_mtime_ns for p in results.glob("*/report.json")}
    again = subprocess.run(
        [*command, "--executor", "dask", "--workers", "2", "--only", ONLY],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 graded, 5 already finished" in again.stdout
    after = {p.parent.name: p.stat().st_mtime_ns for p in results.glob("*/report.json")}
    assert {k: v for k, v in after.items() if k != "doomed"} == {k: v for k, v in before.items() if k != "doomed"}
    assert gradebook(results)["doomed"] == [FULL, "14", "12", "ok"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_a_worker_that_cannot_sandbox_refuses_the_batch(tmp_path):
    """Fail closed on the worker's machine: a Dask worker that finds no bubblewrap (here a ``dask
    worker`` whose PATH holds only the venv) refuses student code as ``grade`` does there; the batch
    stops with exit status 2, the refusal names the worker, and no grade is written."""
    copy_modules(ROOT / "exercises", tmp_path / "class" / "stub")
    address = f"tcp://127.0.0.1:{free_port()}"
    dask = str(Path(sys.executable).parent / "dask")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1], "--no-dashboard"],
        env=environment(),
        **quiet,
    )
    worker = subprocess.Popen(
        [dask, "worker", address, "--nthreads", "1", "--no-dashboard", "--name", "no-bwrap"],
        env=environment(PATH=str(Path(sys.executable).parent)),
        **quiet,
    )
    try:
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=120)
        run = subprocess.run(
            [sys.executable, "-m", "autograder", "grade-all", tmp_path / "class", "--out", tmp_path / "results"]
            + ["--scheduler", address, "--only", ONLY],
            cwd=ROOT,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Refusing to run student code without the sandbox" in run.stderr
    assert "the Dask worker tcp://127.0.0.1:" in run.stderr and "bubblewrap" in run.stderr
    assert not (tmp_path / "results" / "stub").exists()
    assert read_csv(tmp_path / "results" / "gradebook.csv") == [["student_id", "total", "corr2d", "pooling", "status"]]


@pytest.fixture(scope="module")
def slurm_cluster():
    """A single-node Slurm cluster for this module; skipped where it cannot start, but never in CI
    (``.ci/run`` installs Slurm and runs as root there)."""
    try:
        cluster = single_node_slurm.start()
    except single_node_slurm.Unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Slurm must run in CI: {exc}")
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.mark.slow
def test_slurm_jobs_grade_a_class(tmp_path, slurm_cluster):
    submissions, results = tmp_path / "class", tmp_path / "results"
    copy_modules(ROOT / "solutions", submissions / "ref1")
    copy_modules(ROOT / "solutions", submissions / "ref2")
    copy_modules(ROOT / "exercises", submissions / "stub")
    make_broken(submissions, "syntax")
    make_broken(submissions, "empty")
    # configured the Dask way (the scheduler and its workers on the loopback here), the jobs by flags
    env = environment(**slurm_cluster.env, PYTHONPATH=str(ROOT), DASK_JOBQUEUE__SLURM__INTERFACE="lo")
    started = time.perf_counter()
    run = grade_all(
        submissions,
        "--out",
        results,
        "--cluster",
        "slurm",
        "--workers",
        "2",
        "--slurm-cores",
        "1",
        "--slurm-memory",
        "3GiB",
        "--slurm-walltime",
        "00:20:00",
        "--only",
        ONLY,
        env=env,
    )
    seconds = time.perf_counter() - started
    assert SCHEDULER.search(run.stdout).group(1).startswith("tls://127.0.0.1:")  # TLS between scheduler and jobs
    book = gradebook(results)
    assert book["ref1"] == book["ref2"] == [FULL, "14", "12", "ok"] and book["stub"] == ["0", "0", "0", "ok"]
    assert book["syntax"][-1].startswith("error: could not import") and book["empty"][-1].startswith("error: no")
    # the grading ran in workers that sbatch started: their logs are the jobs' output files
    logs = list((results / ".dask").glob("dask-worker-*.err"))
    assert logs and any("Start worker at" in log.read_text() for log in logs), logs
    deadline = time.monotonic() + 30
    while slurm_cluster.run("squeue", "-h").strip() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert slurm_cluster.run("squeue", "-h").strip() == ""  # the jobs were cancelled at the end
    print(f"slurm: {len(book)} students graded by sbatch-launched Dask workers in {seconds:.1f} s")
