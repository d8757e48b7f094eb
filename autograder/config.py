"""Worker limits and sandbox settings: command-line options and a TOML configuration file.

Precedence: the defaults of ``WorkerConfig`` < ``--config FILE`` < ``--memory``/``--timeout``/
``--no-sandbox``. A configuration file looks like this (every key is optional)::

    [limits]
    memory = "2GiB"        # data memory of one worker (RLIMIT_DATA)
    call_timeout = 30      # seconds one call of student code may take (training has its own budget)
    start_timeout = 120    # seconds a worker may take to start (it imports torch)
    cpu_seconds = 900      # CPU seconds of one worker (RLIMIT_CPU)
    file_size = "64MiB"    # largest file a worker may write (RLIMIT_FSIZE)
    open_files = 256       # RLIMIT_NOFILE
    processes = 512        # RLIMIT_NPROC: processes and threads of uid 65534 on the whole machine
    output = "64KiB"       # worker output kept for the report
    tmp_size = "64MiB"     # the private /tmp inside bubblewrap (in memory)

    [sandbox]
    bubblewrap = "auto"    # "auto": use bwrap when it works; "off" (or false): never
    data = "/path/to/fashion-mnist"   # the folder whose training files the worker may read
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from .worker.client import WorkerConfig

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}
#: The least memory a worker can start PyTorch with.
MIN_MEMORY = 256 << 20

#: [limits] key -> (WorkerConfig field, parser)
LIMITS = {
    "memory": ("memory_bytes", "size"),
    "call_timeout": ("call_timeout", "seconds"),
    "start_timeout": ("start_timeout", "seconds"),
    "cpu_seconds": ("cpu_seconds", "count"),
    "file_size": ("file_bytes", "size"),
    "open_files": ("open_files", "count"),
    "processes": ("processes", "count"),
    "output": ("output_cap", "size"),
    "tmp_size": ("tmp_bytes", "size"),
}


class ConfigError(ValueError):
    """A limit or a configuration file that cannot be used."""


def parse_size(value: Any) -> int:
    """Bytes from ``2GiB``, ``512 MiB``, ``2G`` (binary, like ``ulimit``), ``1.5GB`` (decimal) or an integer."""
    if isinstance(value, bool):
        raise ConfigError(f"not a size: {value!r}")
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise ConfigError(f"not a size: {value!r} (write e.g. 2GiB, 512MiB or a number of bytes)")
        number, prefix, suffix = match.groups()
        base = 1000 if suffix.lower() == "b" and prefix else 1024
        size = int(float(number) * base ** _POWERS[prefix.lower()])
    if size <= 0:
        raise ConfigError(f"a size must be positive, not {value!r}")
    return size


def parse_seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"not a number of seconds: {value!r}")
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(f"not a number of seconds: {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"seconds must be positive, not {value!r}")
    return seconds


def parse_count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"not a positive whole number: {value!r}")
    return value


_PARSERS = {"size": parse_size, "seconds": parse_seconds, "count": parse_count}


def _sandbox_mode(value: Any) -> str:
    if value is True or value == "auto":
        return "auto"
    if value is False or value == "off":
        return "off"
    raise ConfigError(f'[sandbox] bubblewrap must be "auto" or "off", not {value!r}')


def config_from_toml(data: dict) -> dict[str, Any]:
    """``WorkerConfig`` keyword arguments from a parsed configuration file."""
    unknown_tables = sorted(set(data) - {"limits", "sandbox"})
    if unknown_tables:
        raise ConfigError(f"unknown table(s) {', '.join(unknown_tables)}; expected [limits] and [sandbox]")
    kwargs: dict[str, Any] = {}
    limits = data.get("limits", {})
    sandbox = data.get("sandbox", {})
    for table, name, known in ((limits, "limits", LIMITS), (sandbox, "sandbox", {"bubblewrap", "data"})):
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] must be a table")
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise ConfigError(f"unknown key(s) in [{name}]: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    for key, value in limits.items():
        field, kind = LIMITS[key]
        try:
            kwargs[field] = _PARSERS[kind](value)
        except ConfigError as exc:
            raise ConfigError(f"[limits] {key}: {exc}") from None
    if "bubblewrap" in sandbox:
        kwargs["sandbox"] = _sandbox_mode(sandbox["bubblewrap"])
    if "data" in sandbox:
        if not isinstance(sandbox["data"], str):
            raise ConfigError("[sandbox] data must be a path")
        kwargs["data_dir"] = sandbox["data"]
    if kwargs.get("memory_bytes", MIN_MEMORY) < MIN_MEMORY:
        raise ConfigError(f"[limits] memory: at least {MIN_MEMORY >> 20} MiB (a worker imports PyTorch)")
    return kwargs


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML configuration file into ``WorkerConfig`` keyword arguments."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    try:
        return config_from_toml(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _argument(parse):
    def wrapped(value: str):
        try:
            return parse(value)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    wrapped.__name__ = parse.__name__.removeprefix("parse_").removeprefix("load_")
    return wrapped


def _memory(value: str) -> int:
    size = parse_size(value)
    if size < MIN_MEMORY:
        raise ConfigError(f"at least {MIN_MEMORY >> 20} MiB (a worker imports PyTorch)")
    return size


def add_options(parser: argparse.ArgumentParser) -> None:
    """The limit and sandbox options of ``grade`` and ``grade-all``."""
    defaults = WorkerConfig()
    group = parser.add_argument_group("worker limits and sandbox")
    group.add_argument("--config", metavar="FILE", type=_argument(load_config), dest="worker_config",
                       help="TOML file with [limits] and [sandbox] (see autograder/config.py)")
    group.add_argument("--memory", metavar="SIZE", type=_argument(_memory),
                       help=f"data memory of one worker, e.g. 2GiB (default: {defaults.memory_bytes >> 30} GiB)")
    group.add_argument("--timeout", metavar="SECONDS", type=_argument(parse_seconds),
                       help=f"seconds one call of student code may take (default: {defaults.call_timeout:g}; "
                       "training has its own budget)")
    group.add_argument("--no-sandbox", action="store_true",
                       help="do not use bubblewrap even where it works (the report header says what is missing)")


#: ``--device`` choices: ``auto`` is cuda when PyTorch sees a usable GPU, else cpu.
DEVICES = ("auto", "cpu", "cuda")


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """``--device`` and ``--training-budget`` of ``grade`` and ``grade-all``."""
    from .checks.training import BUDGETS, DEFAULT_BUDGET

    group = parser.add_argument_group("training (train_ch6)")
    group.add_argument("--device", choices=DEVICES, default="auto",
                       help="where the submission's train_ch6 trains: auto = cuda when this machine has a "
                       "usable GPU, else cpu (default: auto)")
    group.add_argument("--training-budget", choices=BUDGETS, default=DEFAULT_BUDGET,
                       help="standard: 50,000 images x 3 epochs, ~25 s on a CPU; book: the book's 10 epochs "
                       "at batch 256, ~90 s on a CPU, seconds on a GPU; small: a smoke test that does not "
                       f"require an accuracy (default: {DEFAULT_BUDGET}; docs/training-threshold.md)")


def training_device(choice: str) -> str:
    """``auto`` -> ``cuda`` when PyTorch sees a GPU here, else ``cpu``; ``cuda`` without one is an error."""
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda: PyTorch sees no usable CUDA device on this machine")
    return choice


def worker_config(args: argparse.Namespace) -> WorkerConfig:
    """The ``WorkerConfig`` the options in ``args`` ask for."""
    kwargs = dict(getattr(args, "worker_config", None) or {})
    if getattr(args, "memory", None) is not None:
        kwargs["memory_bytes"] = args.memory
    if getattr(args, "timeout", None) is not None:
        kwargs["call_timeout"] = args.timeout
    if getattr(args, "no_sandbox", False):
        kwargs["sandbox"] = "off"
    return dataclasses.replace(WorkerConfig(), **kwargs)
