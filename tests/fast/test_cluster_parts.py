"""Grading on a Dask cluster without starting one: which options go together, what a student's
tasks are (training on a GPU worker with --device cuda), and how their parts make one grade."""

from __future__ import annotations

import pytest

from autograder import cli
from autograder.batch.cluster import ClusterOptions, preflight
from autograder.batch.dask_engine import parts_of
from autograder.batch.student import Graded, combine, failed
from autograder.reasons import Reason
from autograder.runner import CheckResult, ExerciseResult, Report
from autograder.settings import Settings
from autograder.text import Text
from autograder.validation import SettingsError


@pytest.mark.parametrize(
    "options, message",
    [
        (["--workers", "2"], "--workers grade on a Dask cluster: add --executor dask"),
        (["--executor", "local", "--scheduler", "tcp://h:8786"], "add --executor dask"),
        (["--scheduler", "tcp://h:8786", "--cluster", "slurm"], "drop --cluster and --workers"),
        (["--executor", "dask", "--slurm-cores", "4"], "--slurm-cores describe Slurm jobs: add --cluster slurm"),
        (["--cluster", "slurm", "-j", "4"], "Slurm workers grade --slurm-cores at once"),
        (["--cluster", "slurm", "--slurm-gres", "tpu:1"], "expected gpu, gpu:COUNT or gpu:TYPE:COUNT, got 'tpu:1'"),
        (["--cluster", "slurm", "--slurm-walltime", "soon"], "expected Slurm's MINUTES, HH:MM:SS"),
        (["--cluster", "slurm", "--slurm-cores", "2", "--slurm-memory", "4GiB", "--device", "cuda"], "ask for no GPU"),
        (["--cluster", "slurm", "--slurm-cores", "2"], "the memory of one worker job is not set: give --slurm-memory"),
    ],
)
def test_options_that_do_not_go_together_exit_2(tmp_path, capsys, options, message):
    (tmp_path / "class").mkdir()
    assert cli.main(["grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), *options]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_gpus_per_slurm_job():
    assert ClusterOptions(kind="slurm").gpus_per_job() == 0
    assert ClusterOptions(kind="slurm", gres="gpu").gpus_per_job() == 1
    assert ClusterOptions(kind="slurm", gres="gpu:a100:2").gpus_per_job() == 2
    with pytest.raises(SettingsError):
        ClusterOptions(kind="kubernetes")


def test_the_device_follows_the_gpus_of_the_slurm_jobs():
    """--device auto/cuda on Slurm: the GPUs the jobs ask for, by flag or in jobqueue.yaml."""
    dask = pytest.importorskip("dask")
    slurm = ClusterOptions(kind="slurm", cores=2, memory=4 << 30)
    assert preflight(slurm, "auto") == "cpu"
    assert preflight(ClusterOptions(kind="slurm", cores=2, memory=4 << 30, gres="gpu:1"), "auto") == "cuda"
    with dask.config.set({"jobqueue.slurm.worker-extra-args": ["--lifetime", "55m", "--resources", "GPU=1"]}):
        assert preflight(slurm, "cuda") == preflight(slurm, "auto") == "cuda"
    with pytest.raises(SettingsError, match="ask for no GPU"):
        preflight(slurm, "cuda")
    assert preflight(ClusterOptions(kind="slurm", cores=2, memory=4 << 30, gres="gpu:1"), "cpu") == "cpu"


def test_training_on_a_gpu_is_a_task_of_its_own():
    assert [(p.name, p.settings.exercises, p.resources) for p in parts_of(Settings())] == [
        ("grade", Settings().exercises, None)
    ]
    cuda = Settings(device="cuda")
    checks, training = parts_of(cuda)
    assert checks.resources is None and "training" not in checks.settings.exercises
    assert training.settings.exercises == ("training",) and training.resources == {"GPU": 1}
    assert checks.settings.worker.gpu and training.settings.device == "cuda"
    assert [p.name for p in parts_of(cuda.replace(exercises=("training",)))] == ["grade-training"]
    assert [p.name for p in parts_of(cuda.replace(exercises=("corr2d",)))] == ["grade"]


def _part(name: str, passed: bool, sandbox: str = "bubblewrap") -> Graded:
    check = CheckResult("c", Text("c", "c"), "passed" if passed else "failed", 5.0)
    return Graded(Report([ExerciseResult(name, [check])], "sub", Settings(), sandbox, 1.0), seconds=2.0)


def test_parts_combine_into_one_grade_in_table_order():
    settings = Settings(exercises=("corr2d", "training"))
    whole = combine([_part("training", True), _part("corr2d", False)], settings)
    assert [e.name for e in whole.report.exercises] == ["corr2d", "training"]
    assert whole.report.score == 5.0 and whole.report.max_score == 10.0 and whole.seconds == 4.0
    assert whole.report.settings == settings and whole.report.sandbox == "bubblewrap" and whole.status == "ok"
    lost = failed("gone", Reason.CLUSTER_WORKER_LOST, retry=True)
    broken = combine([_part("corr2d", True), lost], settings)
    assert broken.report is None and broken.reason == Reason.CLUSTER_WORKER_LOST and broken.retry
    assert broken.status == "error: gone"
