"""A student's ``.zip``, unpacked safely into a scratch folder before it is read like a folder."""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from pathlib import Path

from ..text import size_text
from .directory import SubmissionError

#: Limits on a student's ``.zip``: total uncompressed bytes, number of entries.
MAX_ZIP_BYTES = 64 << 20
MAX_ZIP_FILES = 2000
#: Folders that are never part of a submission (and never looked into).
IGNORED_NAMES = {"__MACOSX", "__pycache__"}


def extract_zip(
    archive: Path, destination: Path, max_bytes: int = MAX_ZIP_BYTES, max_files: int = MAX_ZIP_FILES
) -> None:
    """Extract ``archive`` into ``destination``; raise ``SubmissionError`` for anything unsafe.

    Refused: absolute names, ``..``, drive letters, symbolic links, more than ``max_files`` entries,
    more than ``max_bytes`` uncompressed (declared *or* actually produced), encrypted or corrupt data.
    ``__MACOSX/`` and AppleDouble ``._*`` files are skipped.
    """
    try:
        archive_file = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise SubmissionError(f"{archive.name} is not a readable zip archive ({exc})") from None
    with archive_file:
        infos = archive_file.infolist()
        if len(infos) > max_files:
            raise SubmissionError(f"{archive.name} has {len(infos)} entries, more than the limit of {max_files}")
        declared = sum(info.file_size for info in infos)
        if declared > max_bytes:
            raise SubmissionError(
                f"{archive.name} would expand to {size_text(declared)}, more than the limit of {size_text(max_bytes)}"
            )
        written = 0
        for info in infos:
            name = info.filename
            parts = [p for p in re.split(r"[/\\]+", name) if p not in ("", ".")]
            if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
                raise SubmissionError(f"{archive.name} contains an absolute path: {name!r}")
            if ".." in parts:
                raise SubmissionError(f"{archive.name} contains a path that leaves the archive: {name!r}")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise SubmissionError(f"{archive.name} contains a symbolic link: {name!r}")
            if not parts or parts[0] in IGNORED_NAMES or parts[-1].startswith("._"):
                continue
            target = destination.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive_file.open(info) as source, open(target, "wb") as sink:
                    while chunk := source.read(1 << 16):
                        written += len(chunk)
                        if written > max_bytes:
                            raise SubmissionError(f"{archive.name} expands to more than {size_text(max_bytes)}")
                        sink.write(chunk)
            except SubmissionError:
                raise
            except (
                zipfile.BadZipFile,
                RuntimeError,
                NotImplementedError,
                zlib.error,
                EOFError,
                ValueError,
                OSError,
            ) as exc:
                raise SubmissionError(
                    f"cannot extract {name!r} from {archive.name} ({type(exc).__name__}: {exc})"
                ) from None


def unwrap(root: Path) -> Path:
    """Descend through single wrapper folders (``alice.zip`` holding ``alice/corr2d.py``)."""
    for _ in range(3):
        if any(root.glob("*.py")) or any(root.glob("*.ipynb")) or (root / "exercises").is_dir():
            return root
        entries = [e for e in root.iterdir() if e.name not in IGNORED_NAMES and not e.name.startswith(".")]
        if len(entries) != 1 or not entries[0].is_dir():
            return root
        root = entries[0]
    return root
