"""A worker's scratch space: its runtime (the trusted code it runs), the package under test and a home.

Everything a worker may read of the grader comes from here: ``runtime/`` holds a copy of
``worker/runtime`` (as the package ``cnnkit_worker``) and of ``cnnkit``; ``pkg/exercises/`` the
submission's modules; ``scratch/`` is all it may write: ``scratch/home/`` (its working directory)
and ``scratch/tmp/`` (its ``/tmp``), capped by ``sandbox.scratch`` where the machine allows.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from pathlib import Path

#: The name of ``worker/runtime`` inside a worker.
RUNTIME_PACKAGE = "cnnkit_worker"
_RUNTIME_SOURCE = Path(__file__).resolve().parent / "runtime"
_COPY_IGNORING = shutil.ignore_patterns("__pycache__", "*.pyc")


@dataclass
class WorkerSpace:
    """The scratch directory of one worker: the runtime, the package under test, a home."""

    root: Path
    runtime: Path
    package_parent: Path
    scratch: Path

    @classmethod
    def at(cls, root: str | Path) -> "WorkerSpace":
        """The layout below ``root`` (nothing is created)."""
        root = Path(root)
        return cls(root=root, runtime=root / "runtime", package_parent=root / "pkg", scratch=root / "scratch")

    @property
    def package_root(self) -> Path:
        return self.package_parent / "exercises"

    @property
    def home(self) -> Path:
        return self.scratch / "home"

    @property
    def tmp(self) -> Path:
        return self.scratch / "tmp"


def package_directory(name: str) -> Path:
    """The folder of the installed package ``name``, found without importing it (torch's import is
    the slow part of a worker's start, which must not wait for the grader's own)."""
    return Path(importlib.util.find_spec(name).origin).resolve().parent


def site_directories() -> list[str]:
    """The directories that hold torch and numpy, which the worker needs without ``site``."""
    dirs = []
    for name in ("torch", "numpy"):
        directory = str(package_directory(name).parent)
        if directory not in dirs:
            dirs.append(directory)
    return dirs


def prepare_space(root: Path, package_files: dict[str, bytes]) -> WorkerSpace:
    """Lay out a worker's scratch directory: runtime code, the package (as ``exercises``), a home."""
    space = WorkerSpace.at(root)
    space.runtime.mkdir(parents=True)
    shutil.copytree(_RUNTIME_SOURCE, space.runtime / RUNTIME_PACKAGE, ignore=_COPY_IGNORING)
    shutil.copytree(package_directory("cnnkit"), space.runtime / "cnnkit", ignore=_COPY_IGNORING)
    space.package_root.mkdir(parents=True)
    for name, data in package_files.items():
        (space.package_root / name).write_bytes(data)
    (space.package_root / "__init__.py").touch()
    space.home.mkdir(parents=True)
    space.tmp.mkdir()
    return space
