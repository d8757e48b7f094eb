"""Where the four Fashion-MNIST files are: looked for on disk (``find_fashion_mnist``), downloaded
only when asked. Without torch, so the grader can show them to a worker's sandbox before it has
imported torch; reading and batching them is ``cnnkit.data``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming a folder that holds the four files.
ENV_VAR = "CNN_KIT_DATA"
#: ``datasets/`` at the repository root (ignored by git; drop the files there).
REPO_DATA_DIR = Path(__file__).resolve().parents[1] / "datasets"
#: Where ``apt-get install dataset-fashion-mnist`` puts the files.
DEBIAN_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
#: Download target when ``datasets/`` is not writable (e.g. an installed package).
#: (``expanduser`` rather than ``Path.home()``: it cannot raise in a sandbox without $HOME.)
USER_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "cnn-kit"

#: Folders searched after ``root`` and ``$CNN_KIT_DATA``, in order, as (description, folder).
#: A module-level tuple so that tests can replace it.
DEFAULT_CANDIDATES: tuple[tuple[str, Path], ...] = (
    ("repository folder", REPO_DATA_DIR),
    ("Debian package dataset-fashion-mnist", DEBIAN_DATA_DIR),
    ("download cache", USER_CACHE_DIR),
)
#: Inside each candidate folder the files may sit directly, in torchvision's
#: layout (``FashionMNIST/raw``) or in a ``fashion-mnist`` subfolder.
LAYOUTS: tuple[str, ...] = (".", "FashionMNIST/raw", "fashion-mnist")

#: Size in bytes and md5 of each file's DECOMPRESSED contents (official release).
#: The .gz bytes themselves differ between copies (Debian rewrote the gzip headers).
CHECKSUMS: dict[str, tuple[int, str]] = {
    "train-images-idx3-ubyte": (47_040_016, "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
    "train-labels-idx1-ubyte": (60_008, "9018921c3c673c538a1fc5bad174d6f9"),
    "t10k-images-idx3-ubyte": (7_840_016, "8181f5470baa50b63fa0f6fddb340f0a"),
    "t10k-labels-idx1-ubyte": (10_008, "15d484375f8d13e6eb1aabb0c3f46965"),
}
#: (images file, labels file) of each split; ``True`` is the training split.
SPLIT_FILES: dict[bool, tuple[str, str]] = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
PathLike = str | os.PathLike


class DatasetNotFoundError(FileNotFoundError):
    """The four Fashion-MNIST files are in none of the places looked at."""


# ----------------------------------------------------------------------------- finding


def data_file(folder: Path, name: str) -> Path | None:
    """``folder/name.gz`` or, failing that, the already decompressed ``folder/name``."""
    for path in (folder / f"{name}.gz", folder / name):
        if path.is_file():
            return path
    return None


def _search(folder: Path) -> tuple[Path | None, str]:
    """Return (the folder holding all four files, or None; what was seen, for the error message)."""
    if not folder.is_dir():
        return None, "no such folder"
    seen = "no Fashion-MNIST files in it"
    for layout in LAYOUTS:
        sub = folder / layout
        if not sub.is_dir():
            continue
        missing = [name for name in CHECKSUMS if data_file(sub, name) is None]
        if not missing:
            return sub, "found"
        if len(missing) < len(CHECKSUMS) and seen.startswith("no "):
            seen = f"incomplete: {sub} lacks {', '.join(missing)}"
    return None, seen


def _download_dir() -> Path:
    """The repository's ``datasets/`` if writable, else the user cache folder."""
    if REPO_DATA_DIR.is_dir() and os.access(REPO_DATA_DIR, os.W_OK):
        return REPO_DATA_DIR
    USER_CACHE_DIR.mkdir(parents=True, exist_ok=True)
    return USER_CACHE_DIR


def _download(target: Path) -> None:
    """Let torchvision fetch the four official files into ``target/FashionMNIST/raw`` (needs internet)."""
    from torchvision.datasets import FashionMNIST  # imported here: slow, and only needed online

    FashionMNIST(root=str(target), train=True, download=True)


def _not_found_message(looked: list[str]) -> str:
    files = ", ".join(f"{name}.gz" for name in CHECKSUMS)
    places = "\n".join(f"  {i}. {line}" for i, line in enumerate(looked, 1))
    return (
        "Fashion-MNIST was not found.\n"
        f"Looked for the four files {files} in each folder below, directly or in its "
        f"{' or '.join(sub + '/' for sub in LAYOUTS[1:])} subfolder:\n"
        f"{places}\n"
        "Get the data in one of these ways:\n"
        "  * Debian/Ubuntu: sudo apt-get install dataset-fashion-mnist "
        f"(installs them in {DEBIAN_DATA_DIR}/)\n"
        "  * put the four .gz files (from the course's shared folder, or Zalando's release "
        "https://github.com/zalandoresearch/fashion-mnist) in a folder, then set "
        f"{ENV_VAR}=/that/folder or pass root='/that/folder' (or drop them into {REPO_DATA_DIR}/)\n"
        "  * with internet access, call again with download=True (torchvision downloads them)\n"
        f"See {REPO_DATA_DIR / 'README.md'}."
    )


def find_fashion_mnist(root: PathLike | None = None, download: bool = True) -> Path:
    """Return the folder that holds the four Fashion-MNIST files.

    Looks, in this order, at: ``root``; the folder in ``$CNN_KIT_DATA``; ``datasets/``
    at the repository root; Debian's ``/usr/share/datasets/fashion-mnist/``; the
    download cache. In each folder the files may sit directly, under
    ``FashionMNIST/raw/`` (torchvision's layout) or under ``fashion-mnist/``.
    Only if all of these fail and ``download`` is true does it ask torchvision to
    download the files (which needs internet).

    Raises:
        DatasetNotFoundError: nothing found (and the download failed or was not
            allowed); the message lists every place looked at and how to get the data.
    """
    env = os.environ.get(ENV_VAR)
    candidates: list[tuple[str, Path | None]] = [
        ("root argument", Path(root).expanduser() if root is not None else None),
        (f"${ENV_VAR}", Path(env).expanduser() if env else None),
        *DEFAULT_CANDIDATES,
    ]
    looked = []
    for label, folder in candidates:
        if folder is None:
            looked.append(f"{label}: not {'given' if label.startswith('root') else 'set'}")
            continue
        found, seen = _search(folder)
        if found is not None:
            return found
        looked.append(f"{label}: {folder} -> {seen}")

    if not download:
        looked.append("download: not tried (download=False)")
    else:
        target = None
        try:
            target = _download_dir()
            _download(target)
        except Exception as exc:  # offline: urllib/OSError/RuntimeError; report it, no traceback
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            looked.append(f"download into {target or USER_CACHE_DIR}: failed ({reason})")
        else:
            found, seen = _search(target)
            if found is not None:
                return found
            looked.append(f"download into {target}: finished, but {seen}")
    raise DatasetNotFoundError(_not_found_message(looked))
