"""``Settings`` from the command line and a TOML configuration file (the options of ``grade`` and
``grade-all``). Precedence: the defaults of ``Settings``/``WorkerConfig`` < ``--config FILE`` < flags.

A configuration file looks like this (every key is optional)::

    [limits]
    memory = "2GiB"        # memory of one worker: each process (RLIMIT_DATA) and all together (cgroup)
    call_timeout = 30      # seconds one call of student code may take (training has its own budget)
    exercise_time = 180    # wall-clock seconds of all the checks of one exercise (training adds its run's limit)
    submission_time = 1200 # wall-clock seconds of a whole submission
    start_timeout = 120    # seconds a worker may take to start (it imports torch)
    cpu_seconds = 900      # CPU seconds of one worker (RLIMIT_CPU)
    file_size = "64MiB"    # largest file a worker may write (RLIMIT_FSIZE)
    open_files = 256       # RLIMIT_NOFILE
    processes = 512        # processes and threads of one worker (cgroup) and of uid 65534 (RLIMIT_NPROC)
    output = "64KiB"       # worker output kept for the report
    scratch_size = "256MiB"   # a worker's home and /tmp together (a tmpfs, in memory)
    scratch_files = 10000     # files and folders a worker may create there

    [sandbox]
    bubblewrap = "auto"    # "auto": the sandbox, refusing to grade where it cannot work; "off" (or false): none
    zygote = true          # fork each exercise's worker from one sandboxed process that imported torch once
    data = "/path/to/fashion-mnist"   # the folder whose training files the worker may read
"""

from __future__ import annotations

import argparse
import dataclasses
import tomllib
from pathlib import Path
from typing import Any, Callable

from . import registry, validation
from .settings import Settings, WorkerConfig, resolve_device
from .text import LANGUAGES
from .training_budgets import BUDGETS, DEFAULT_BUDGET
from .validation import SettingsError

#: [limits] key -> (WorkerConfig field, validator)
LIMITS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "memory": ("memory_bytes", validation.memory),
    "call_timeout": ("call_timeout", validation.seconds),
    "exercise_time": ("exercise_seconds", validation.seconds),
    "submission_time": ("submission_seconds", validation.seconds),
    "start_timeout": ("start_timeout", validation.seconds),
    "cpu_seconds": ("cpu_seconds", validation.count),
    "file_size": ("file_bytes", validation.size),
    "open_files": ("open_files", validation.count),
    "processes": ("processes", validation.count),
    "output": ("output_cap", validation.size),
    "scratch_size": ("scratch_bytes", validation.size),
    "scratch_files": ("scratch_files", validation.count),
}
SANDBOX_KEYS = ("bubblewrap", "data", "zygote")


def worker_config_from_toml(data: dict) -> dict[str, Any]:
    """``WorkerConfig`` keyword arguments from a parsed configuration file."""
    unknown_tables = sorted(set(data) - {"limits", "sandbox"})
    if unknown_tables:
        raise SettingsError(f"unknown table(s) {', '.join(unknown_tables)}; expected [limits] and [sandbox]")
    limits, sandbox = data.get("limits", {}), data.get("sandbox", {})
    for table, name, known in ((limits, "limits", LIMITS), (sandbox, "sandbox", SANDBOX_KEYS)):
        if not isinstance(table, dict):
            raise SettingsError(f"[{name}] must be a table")
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise SettingsError(f"unknown key(s) in [{name}]: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    kwargs: dict[str, Any] = {}
    for key, value in limits.items():
        field, check = LIMITS[key]
        try:
            kwargs[field] = check(value)
        except SettingsError as exc:
            raise SettingsError(f"[limits] {key}: {exc}") from None
    if "bubblewrap" in sandbox:
        try:
            kwargs["sandbox"] = validation.sandbox_mode(sandbox["bubblewrap"])
        except SettingsError as exc:
            raise SettingsError(f"[sandbox] {exc}") from None
    if "data" in sandbox:
        if not isinstance(sandbox["data"], str):
            raise SettingsError(f"[sandbox] data must be a path, not {sandbox['data']!r}")
        kwargs["data_dir"] = sandbox["data"]
    if "zygote" in sandbox:
        if not isinstance(sandbox["zygote"], bool):
            raise SettingsError(f"[sandbox] zygote must be true or false, not {sandbox['zygote']!r}")
        kwargs["zygote"] = sandbox["zygote"]
    return kwargs


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML configuration file into ``WorkerConfig`` keyword arguments."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    try:
        return worker_config_from_toml(data)
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None


def _argument(check: Callable[[str], Any], name: str) -> Callable[[str], Any]:
    """An argparse type from a validator: its refusal becomes argparse's usage error."""

    def parse(value: str) -> Any:
        try:
            return check(value)
        except SettingsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


def add_settings_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``grade`` and ``grade-all`` that make their ``Settings``; the defaults shown
    are those of ``Settings`` and ``WorkerConfig``."""
    defaults, worker = Settings(), WorkerConfig()
    parser.add_argument(
        "--only",
        metavar="EX[,EX...]",
        type=_argument(validation.exercises, "exercises"),
        action="extend",
        help=f"grade only these exercises ({', '.join(registry.NAMES)})",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=defaults.lang,
        help=f"language of messages and reports (default: {defaults.lang})",
    )
    parser.add_argument("--seed", type=int, help="seed for the hidden tests (default: fixed, derandomized)")
    training = parser.add_argument_group("training (train_ch6)")
    training.add_argument(
        "--device",
        choices=validation.DEVICES,
        default="auto",
        help="where the submission's train_ch6 trains: auto = cuda when this machine has a "
        "usable GPU, else cpu (default: auto)",
    )
    training.add_argument(
        "--training-budget",
        choices=BUDGETS,
        default=DEFAULT_BUDGET,
        help="standard: 50,000 images x 3 epochs, ~25 s on a CPU; book: the book's 10 epochs at "
        "batch 256, ~90 s on a CPU, seconds on a GPU; small: a smoke test that does not require "
        f"an accuracy (default: {DEFAULT_BUDGET}; docs/training-threshold.md)",
    )
    limits = parser.add_argument_group("worker limits and sandbox")
    limits.add_argument(
        "--config",
        metavar="FILE",
        type=_argument(load_config, "config"),
        dest="worker_config",
        help="TOML file with [limits] and [sandbox] (see autograder/config.py)",
    )
    limits.add_argument(
        "--memory",
        metavar="SIZE",
        type=_argument(validation.memory, "memory"),
        help=f"data memory of one worker, e.g. 2GiB (default: {worker.memory_bytes >> 30} GiB)",
    )
    limits.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_argument(validation.seconds, "seconds"),
        help=f"seconds one call of student code may take (default: {worker.call_timeout:g}; "
        "training has its own budget)",
    )
    limits.add_argument(
        "--exercise-time",
        metavar="SECONDS",
        type=_argument(validation.seconds, "seconds"),
        help=f"wall-clock seconds all the checks of one exercise may take; the checks not run by then "
        f"score nothing (default: {worker.exercise_seconds:g}; training adds its training run's limit)",
    )
    limits.add_argument(
        "--submission-time",
        metavar="SECONDS",
        type=_argument(validation.seconds, "seconds"),
        help=f"wall-clock seconds a whole submission may take (default: {worker.submission_seconds:g})",
    )
    limits.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the code without the sandbox: for trusted code only, e.g. the reference solutions "
        "(without this option, grading refuses to run where the sandbox cannot work; the report "
        "header says NOT sandboxed)",
    )


def settings_from_args(args: argparse.Namespace, device: str | None = None) -> Settings:
    """The ``Settings`` the options in ``args`` ask for (``SettingsError`` for an unusable device);
    ``device``: already resolved elsewhere (against a cluster's workers rather than this machine)."""
    worker = dict(getattr(args, "worker_config", None) or {})
    if getattr(args, "memory", None) is not None:
        worker["memory_bytes"] = args.memory
    if getattr(args, "timeout", None) is not None:
        worker["call_timeout"] = args.timeout
    if getattr(args, "exercise_time", None) is not None:
        worker["exercise_seconds"] = args.exercise_time
    if getattr(args, "submission_time", None) is not None:
        worker["submission_seconds"] = args.submission_time
    if getattr(args, "no_sandbox", False):
        worker["sandbox"] = "off"
    return Settings(
        exercises=validation.exercises(args.only or ()),
        seed=args.seed,
        lang=args.lang,
        device=device or resolve_device(args.device),
        training_budget=args.training_budget,
        worker=dataclasses.replace(WorkerConfig(), **worker),
    )
