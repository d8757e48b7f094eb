"""Which grader graded: the kit's version and one hash of what decides a grade (the hidden checks
and the reference solutions they compare with).

A stored grade is reused only when it was graded by the same grader (``Settings.key``), and a Dask
client compares it with what each cluster worker reports, so a worker with another copy of the kit
cannot slip different grades into one gradebook. Computed once per process: the files are read,
never imported.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
from pathlib import Path

DISTRIBUTION = "cnn-kit"


def _package_folder(name: str) -> Path:
    """The folder of a top-level package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"cannot find the {name} package of the grader")
    return Path(next(iter(spec.submodule_search_locations)))


def hash_folders(folders: dict[str, Path]) -> str:
    """SHA-256 of the names and bytes of every file in ``folders`` (label -> folder), caches left out."""
    digest = hashlib.sha256()
    for label, folder in folders.items():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            data = path.read_bytes()
            digest.update(f"{label}/{path.relative_to(folder).as_posix()}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


@functools.cache
def checks_hash() -> str:
    """The hash of the hidden checks (``autograder/checks/``) and of the reference ``solutions/``."""
    return hash_folders(
        {"checks": Path(__file__).resolve().parent / "checks", "solutions": _package_folder("solutions")}
    )


@functools.cache
def grader_version() -> str:
    """The installed kit's version (``unknown`` when it runs from a checkout that was never installed)."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def grader_identity() -> dict[str, str]:
    """What identifies the grader in a stored grade: ``{"version": ..., "checks": <sha256>}``."""
    return {"version": grader_version(), "checks": checks_hash()}
