"""The settings of one grading run: one object, made once, read by every stage.

``Settings`` says what is graded and how (exercises, seed, language, device, training budget, data
set, number of hypothesis examples); its ``worker`` part, ``WorkerConfig``, says how the worker
processes that run student code are started and limited. The command line, a configuration file
and the API all build a ``Settings`` (``autograder/config.py`` reads flags and files); its defaults
are the documented defaults. Values are checked by ``autograder/validation.py``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable

from . import provenance, registry, validation

#: The files through which a GPU that PyTorch can use appears: NVIDIA's driver, ROCm's, WSL's.
GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/kfd", "/dev/dxg")

#: A test hook in place of the sandbox: ``launcher(command, space) -> (command, cleanup)``.
Launcher = Callable[[list[str], Any], "tuple[list[str], Callable[[], None] | None]"]


#: ``WorkerConfig`` fields that cannot change a grade: where the data is, the GPU (it follows
#: ``Settings.device``), the test hook and its environment.
NOT_LIMITS = ("data_dir", "gpu", "launcher", "extra_env")


@dataclass(frozen=True)
class WorkerConfig:
    """How worker processes are started and what each may use."""

    #: Seconds one call of student code may take (training has its own budget).
    call_timeout: float = 20.0
    #: Wall-clock seconds all the checks of one exercise may take (training adds its training run's
    #: limit); the checks not run by then score nothing. docs/performance.md has the reference's times.
    exercise_seconds: float = 180.0
    #: Wall-clock seconds the whole submission may take; the exercises not graded by then score nothing.
    submission_seconds: float = 1200.0
    #: Seconds a worker may take to start (it imports torch).
    start_timeout: float = 120.0
    #: Threads of PyTorch in a worker.
    threads: int = 1
    #: Bytes of a worker's output kept for the report.
    output_cap: int = 64 * 1024
    #: Memory of one worker: of each process (RLIMIT_DATA) and of all its processes together (its cgroup).
    memory_bytes: int = 3 << 30
    #: CPU seconds of one worker (RLIMIT_CPU).
    cpu_seconds: int = 900
    #: Largest file a worker may write (RLIMIT_FSIZE).
    file_bytes: int = 64 << 20
    #: Open files of one worker (RLIMIT_NOFILE).
    open_files: int = 256
    #: Most processes (threads included) of one worker (its cgroup) and of the worker user (RLIMIT_NPROC).
    processes: int = 512
    #: Size of a worker's writable space, its home and /tmp together (a tmpfs, in memory).
    scratch_bytes: int = 256 << 20
    #: Files and folders a worker may create in that space.
    scratch_files: int = 10_000
    #: "auto": the sandbox, and no grading where it cannot isolate; "off": none, for trusted code (``--no-sandbox``).
    sandbox: str = "auto"
    #: The Fashion-MNIST folder to show the worker (training files only); None: the usual look-up.
    data_dir: str | None = None
    #: Give the worker the GPU (the NVIDIA device files in bubblewrap, the driver's environment).
    gpu: bool = False
    #: Fork each exercise's worker from one zygote per submission that imported torch once, where the
    #: sandbox allows it (bubblewrap started by root, a cgroup per worker); False: a new process each.
    zygote: bool = True
    #: Replaces the sandbox (tests only); the report header then says the isolation is unchecked.
    launcher: Launcher | None = None
    #: Environment variables added to a worker's minimal environment.
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sandbox", validation.sandbox_mode(self.sandbox))
        for name in ("exercise_seconds", "submission_seconds"):
            object.__setattr__(self, name, validation.seconds(getattr(self, name), name))

    def limits(self) -> dict[str, Any]:
        """The values that can change a grade (every field but where things are and test hooks), as JSON data."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in NOT_LIMITS}
        return json.loads(json.dumps(values, default=str))


@dataclass(frozen=True)
class Settings:
    """Everything one grading run depends on; ``key()`` is what a stored grade was graded with."""

    #: The exercises to grade, in table order (all by default).
    exercises: tuple[str, ...] = registry.NAMES
    #: Seed of the hidden tests; None: fixed and derandomized (the same submission, the same score).
    seed: int | None = None
    #: Language of messages and reports.
    lang: str = "en"
    #: Where ``train_ch6`` trains: "cpu" or "cuda" (``resolve_device`` turns "auto" into one).
    device: str = "cpu"
    #: A key of ``checks.training.BUDGETS``.
    training_budget: str = "standard"
    #: The Fashion-MNIST folder; None: the usual look-up (``cnnkit.find_fashion_mnist``).
    data_root: str | None = None
    #: Examples of each hypothesis property.
    max_examples: int = 30
    worker: WorkerConfig = field(default_factory=WorkerConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "exercises", validation.exercises(self.exercises))
        validation.seed(self.seed)
        validation.language(self.lang)
        if self.device not in ("cpu", "cuda"):
            raise validation.SettingsError(
                f"device must be 'cpu' or 'cuda' (resolve 'auto' first), not {self.device!r}"
            )
        validation.count(self.max_examples)
        # The workers follow the run: the GPU when training runs on one, the data the checks read.
        worker = self.worker
        if self.device != "cpu" and not worker.gpu:
            worker = dataclasses.replace(worker, gpu=True)
        if self.data_root is not None and worker.data_dir is None:
            worker = dataclasses.replace(worker, data_dir=str(self.data_root))
        object.__setattr__(self, "worker", worker)

    def replace(self, **changes: Any) -> "Settings":
        """A copy with ``changes`` (validated like the original)."""
        return dataclasses.replace(self, **changes)

    def key(self) -> dict[str, Any]:
        """What a finished grade must have been graded with to be reused (``grade-all`` resumes)."""
        return {
            "exercises": list(self.exercises),
            "seed": self.seed,
            "lang": self.lang,
            "device": self.device,
            "training_budget": self.training_budget,
            "grader": provenance.grader_identity(),
            "limits": self.worker.limits(),
        }


def resolve_device(choice: str) -> str:
    """``auto`` -> ``cuda`` when PyTorch sees a GPU here, else ``cpu``; ``cuda`` without one is an error.
    PyTorch is asked only where a GPU device file exists (without one it sees no GPU), so a grading
    on a machine without a GPU imports torch after starting its workers (``runner.grade``)."""
    validation.device(choice)
    if choice == "cpu" or (choice == "auto" and not any(os.path.exists(path) for path in GPU_DEVICE_FILES)):
        return "cpu"
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available():
        raise validation.SettingsError("--device cuda: PyTorch sees no usable CUDA device on this machine")
    return choice
