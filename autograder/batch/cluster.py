"""The Dask cluster of a batch: a ``LocalCluster`` of worker processes here, an existing cluster
(``--scheduler``), or workers started as Slurm jobs by dask-jobqueue (``--cluster slurm``),
configured the Dask way (``~/.config/dask/jobqueue.yaml``) with the flags on top.

Dask is the optional ``cluster`` extra (``pip install -e '.[cluster]'``): it is imported only here
and in ``dask_engine``, and only when a batch asks for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ..settings import resolve_device
from ..validation import SettingsError

#: The Dask worker resource that stands for one GPU; training tasks ask for one with ``--device cuda``.
GPU = "GPU"
#: How many times a task may lose its worker (killed, pre-empted, out of walltime) and be tried on
#: another one; one loss more and the student gets a row saying so (``Reason.CLUSTER_WORKER_LOST``).
#: Set on the schedulers this module starts; an existing cluster keeps its own setting (Dask's default: 3).
WORKER_LOSSES = 2
#: What a grading task costs before the scheduler has measured one: Slurm jobs are asked for from the
#: first tasks, not after the first ones finished (Dask assumes 0.5 s otherwise).
TASK_SECONDS = "30s"
KINDS = ("local", "slurm")
GRES = re.compile(r"gpu(?::[\w.-]+)?(?::(\d+))?")
WALLTIME = re.compile(r"\d+(?::\d{1,2}){0,2}|\d+-\d+(?::\d{1,2}){0,2}")
INSTALL_HINT = "install the cluster extra: pip install 'cnn-kit[cluster]' (make setup installs it)"


@dataclass(frozen=True)
class ClusterOptions:
    """Where the Dask workers of a batch come from, as the command line asked."""

    #: "local" (a LocalCluster of this machine) or "slurm" (dask-jobqueue); ignored with ``scheduler``.
    kind: str = "local"
    #: The address of an existing scheduler (``tcp://HOST:8786``): join its workers, start none.
    scheduler: str | None = None
    #: LocalCluster: worker processes (default: half this machine's cores); Slurm: most jobs at once.
    workers: int | None = None
    #: LocalCluster: students graded at once by each worker process (``-j``).
    threads: int = 1
    #: Slurm: partition, cores and memory (bytes) of one job, walltime, generic resources (``gpu:G``);
    #: None leaves the value to ``jobqueue.yaml``.
    partition: str | None = None
    cores: int | None = None
    memory: int | None = None
    walltime: str | None = None
    gres: str | None = None
    #: Slurm: where job logs and the TLS files for the workers go unless ``jobqueue.yaml`` says.
    files: Path = field(default_factory=Path.cwd)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SettingsError(f"--cluster must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.walltime is not None and not WALLTIME.fullmatch(self.walltime):
            raise SettingsError(
                f"--slurm-walltime: expected Slurm's MINUTES, HH:MM:SS or DAYS-HH:MM:SS, got {self.walltime!r}"
            )
        if self.gres is not None and not GRES.fullmatch(self.gres):
            raise SettingsError(f"--slurm-gres: expected gpu, gpu:COUNT or gpu:TYPE:COUNT, got {self.gres!r}")

    def gpus_per_job(self) -> int:
        """GPUs each Slurm job asks for (``--slurm-gres``)."""
        if self.gres is None:
            return 0
        return int(GRES.fullmatch(self.gres).group(1) or 1)


@dataclass
class Connection:
    """A client connected to the cluster of a batch."""

    client: Any
    #: One line for the instructor: the scheduler's address and the dashboard's.
    description: str


def _dask() -> tuple[Any, Any]:
    try:
        import dask
        import distributed
    except ImportError:
        raise SettingsError(f"--executor dask needs Dask distributed: {INSTALL_HINT}") from None
    return dask, distributed


def _default_workers() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


def _slurm_cluster(options: ClusterOptions) -> Any:
    """A dask-jobqueue ``SLURMCluster`` from ``jobqueue.yaml`` and the flags, asking for up to
    ``options.workers`` jobs as the work needs them (a job that ends is replaced)."""
    dask, _ = _dask()
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise SettingsError(f"--cluster slurm needs dask-jobqueue: {INSTALL_HINT}") from None

    def configured(key: str) -> Any:
        return dask.config.get(f"jobqueue.slurm.{key}", None)

    kwargs: dict[str, Any] = {"processes": 1, "security": True}
    for name, value in (
        ("queue", options.partition),
        ("cores", options.cores),
        ("memory", options.memory),
        ("walltime", options.walltime),
    ):
        if value is not None:
            kwargs[name] = value
    if options.gres is not None:
        kwargs["job_extra_directives"] = [*(configured("job-extra-directives") or []), f"--gres={options.gres}"]
        kwargs["worker_extra_args"] = [
            *(configured("worker-extra-args") or []),
            "--resources",
            f"{GPU}={options.gpus_per_job()}",
        ]
    files = options.files / ".dask"
    for key, name in (("log-directory", "log_directory"), ("shared-temp-directory", "shared_temp_directory")):
        if configured(key) is None:
            files.mkdir(parents=True, exist_ok=True)
            kwargs[name] = str(files)
    try:
        cluster = SLURMCluster(**kwargs)
    except ValueError as exc:  # a value of jobqueue.yaml that dask-jobqueue refuses
        raise SettingsError(f"--cluster slurm: {' '.join(str(exc).split())}") from None
    cluster.adapt(minimum_jobs=0, maximum_jobs=options.workers or 4)
    return cluster


def _offers_gpu(client: Any) -> bool:
    return any(w.get("resources", {}).get(GPU, 0) > 0 for w in client.scheduler_info()["workers"].values())


def _join(address: str) -> Any:
    _, distributed = _dask()
    try:
        return distributed.Client(address, timeout="10s")
    except OSError as exc:
        raise OSError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def _slurm_gpus(options: ClusterOptions) -> int:
    """GPUs the worker of each Slurm job offers: ``--slurm-gres``, or the ``GPU`` resource that
    ``worker-extra-args`` of ``jobqueue.yaml`` gives (``["--resources", "GPU=1"]``)."""
    if options.gres is not None:
        return options.gpus_per_job()
    dask, _ = _dask()
    args = [str(arg) for arg in dask.config.get("jobqueue.slurm.worker-extra-args", None) or []]
    for flag, value in zip(args, args[1:]):
        if flag == "--resources":
            for name, _, count in (item.partition("=") for item in value.split(",")):
                if name.strip() == GPU:
                    return int(float(count))
    return 0


def _no_gpu(options: ClusterOptions) -> str:
    if options.scheduler is not None:
        return (
            f"no worker of the cluster at {options.scheduler} offers a GPU resource; start GPU workers with "
            f"`dask worker {options.scheduler} --resources {GPU}=1`"
        )
    return (
        "the Slurm jobs ask for no GPU: add --slurm-gres gpu:1 (or give their workers the resource in "
        f"jobqueue.yaml: worker-extra-args: [--resources, {GPU}=1])"
    )


def _check_slurm_jobs(options: ClusterOptions) -> None:
    """Refuse Slurm jobs whose cores or memory neither the flags nor ``jobqueue.yaml`` give."""
    dask, _ = _dask()
    missing = [
        (flag, key)
        for flag, key, value in (
            ("--slurm-cores", "cores", options.cores),
            ("--slurm-memory", "memory", options.memory),
        )
        if value is None and dask.config.get(f"jobqueue.slurm.{key}", None) is None
    ]
    if missing:
        raise SettingsError(
            f"--cluster slurm: the {' and '.join(key for _, key in missing)} of one worker job "
            f"{'are' if len(missing) > 1 else 'is'} not set: give "
            f"{' and '.join(flag for flag, _ in missing)}, or set them under jobqueue: slurm: in "
            f"~/.config/dask/jobqueue.yaml"
        )


def preflight(options: ClusterOptions, choice: str) -> str:
    """Check what can be checked before anything is written or started, and resolve ``--device``
    (auto, cpu, cuda) for the workers of the cluster, not for this machine: a LocalCluster's are this
    machine's; Slurm workers have GPUs when the jobs ask for them; an existing cluster's when its
    workers offer the ``GPU`` resource. ``cuda`` without GPUs is an error: its training tasks would
    wait forever."""
    if options.scheduler is None and options.kind == "local":
        _dask()
        return resolve_device(choice)
    if options.scheduler is None:
        _check_slurm_jobs(options)
    if choice == "cpu":
        return choice
    if options.scheduler is not None:
        with _join(options.scheduler) as client:
            offered = _offers_gpu(client)
    else:
        offered = _slurm_gpus(options) > 0
    if choice == "cuda" and not offered:
        raise SettingsError(f"--device cuda: {_no_gpu(options)}")
    return "cuda" if offered else "cpu"


@contextlib.contextmanager
def connect(options: ClusterOptions, device: str) -> Iterator[Connection]:
    """Start or join the cluster ``options`` describe, with a ``GPU`` resource on LocalCluster workers
    when training runs on ``device`` cuda, and close what was started on the way out (Slurm jobs are
    cancelled)."""
    dask, distributed = _dask()
    loggers = {name: logging.getLogger(name) for name in ("distributed", "distributed.nanny")}
    levels = {name: logger.level for name, logger in loggers.items()}
    loggers["distributed"].setLevel(logging.WARNING)  # Dask's start-up and shut-down chatter; its warnings stay
    own = {
        "distributed.scheduler.allowed-failures": WORKER_LOSSES,
        "distributed.scheduler.unknown-task-duration": TASK_SECONDS,
        # A worker holds only the students it is grading: when it is lost, only they count a loss.
        "distributed.scheduler.worker-saturation": 1.0,
    }
    try:
        with dask.config.set(own), contextlib.ExitStack() as stack:
            if options.scheduler is not None:
                client = stack.enter_context(_join(options.scheduler))
                if device == "cuda" and not _offers_gpu(client):
                    raise SettingsError(f"--device cuda: {_no_gpu(options)}")
            elif options.kind == "slurm":
                cluster = stack.enter_context(_slurm_cluster(options))
                client = stack.enter_context(distributed.Client(cluster))
            else:
                cluster = stack.enter_context(
                    distributed.LocalCluster(
                        n_workers=options.workers or _default_workers(),
                        threads_per_worker=options.threads,
                        processes=True,
                        host="127.0.0.1",
                        dashboard_address="127.0.0.1:8787",
                        resources={GPU: 1} if device == "cuda" else None,
                    )
                )
                # A worker that imported torch may take longer than the nanny's 4 s to exit; it is then
                # killed, its work long written: no warning for that.
                stack.callback(logging.getLogger("distributed.nanny").setLevel, logging.ERROR)
                client = stack.enter_context(distributed.Client(cluster))
            yield Connection(client, f"Dask scheduler {client.scheduler.address}, dashboard {client.dashboard_link}")
    finally:
        for name, logger in loggers.items():
            logger.setLevel(levels[name])
