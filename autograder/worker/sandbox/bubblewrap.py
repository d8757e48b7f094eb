"""bubblewrap: the command line that puts a worker into its own namespaces and its own view of the
filesystem, and the one-time probe of whether bubblewrap works on this machine."""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from .system import UNPRIVILEGED, python_executable, python_paths

if TYPE_CHECKING:  # pragma: no cover
    from ...settings import WorkerConfig
    from ..space import WorkerSpace
    from .plan import Plan

#: Top-level system folders made visible read-only (symbolic links are recreated as links).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: The few files of /etc the dynamic linker and the C library want.
ETC_PATHS = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/host.conf",
    "/etc/gai.conf",
)
#: Packages of this project masked (by an empty folder) if they are installed in a site directory.
HIDDEN_PACKAGES = ("solutions", "autograder", "tests", "exercises", "cnnkit")
#: Where Debian's dataset-fashion-mnist puts the files (inside /usr, so it is masked).
DEBIAN_DATA_DIR = "/usr/share/datasets/fashion-mnist"
#: The Fashion-MNIST files the worker may see, and those it must not (the test split).
TRAIN_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _system_binds() -> list[str]:
    args: list[str] = []
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC_PATHS:
        if os.path.lexists(path):
            args += ["--ro-bind", path, path]
    return args


def _namespace_args(userns: bool) -> list[str]:
    if userns:
        return [
            "--unshare-all",
            "--uid",
            str(UNPRIVILEGED),
            "--gid",
            str(UNPRIVILEGED),
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
        ]
    # root: no user namespace (it would map the worker to root outside); the worker drops to
    # UNPRIVILEGED itself, for which it keeps exactly CAP_SETUID and CAP_SETGID until then.
    return [
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--cap-add",
        "CAP_SETUID",
        "--cap-add",
        "CAP_SETGID",
    ]


class Mounts(list):
    """bwrap arguments; the folders above a mount point are created first with mode 0755 (bwrap
    would copy the modes of the source's parents, e.g. /root's 0700, and lock the worker out)."""

    def __init__(self, args=()):
        super().__init__(args)
        self.made = {"/", "/tmp"}
        self.mounted = {"/proc", "/dev", *SYSTEM_PATHS}  # what lies below these exists already

    def parents(self, target: str) -> None:
        parts = Path(target).parts
        for i in range(2, len(parts)):
            folder = os.path.join(*parts[:i])
            if folder in self.mounted or any(folder.startswith(m + os.sep) for m in self.mounted):
                return
            if folder not in self.made:
                self.made.add(folder)
                self += ["--perms", "0755", "--dir", folder]

    def bind(self, source: str, target: str, writable: bool = False) -> None:
        self.parents(target)
        self += ["--bind" if writable else "--ro-bind", source, target]
        self.mounted.add(target)


def base_args(userns: bool) -> Mounts:
    """The namespaces, /proc, /dev and the system's folders (read-only)."""
    args = Mounts(_namespace_args(userns))
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += _system_binds()
    return args


def bind_python(args: Mounts) -> None:
    """Python and its packages outside the system's folders (a pyenv, a virtual environment), read-only.
    Bound after the worker's /tmp, so that a checkout or a venv under /tmp stays visible."""
    for path in python_paths():
        if not any(path == top or path.startswith(top + os.sep) for top in SYSTEM_PATHS if os.path.isdir(top)):
            args.bind(path, path)


@functools.lru_cache(maxsize=None)
def bubblewrap_problem(userns: bool) -> str | None:
    """Run a trivial Python inside the sandbox once; ``None`` if it works, else why not."""
    path = shutil.which("bwrap")
    if path is None:
        return "bwrap is not installed"
    args = base_args(userns)
    bind_python(args)
    command = [
        path,
        *args,
        "--remount-ro",
        "/",
        "--",
        python_executable(),
        "-I",
        "-S",
        "-c",
        "print('ok')",
    ]
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, start_new_session=True
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap does not start ({type(exc).__name__}: {exc})"
    if done.returncode != 0 or done.stdout.strip() != b"ok":
        message = (done.stderr.decode(errors="replace").strip().splitlines() or ["no message"])[-1]
        return f"bwrap does not work here ({message[:200]})"
    return None


def find_data_folder(root: str | None) -> str | None:
    """The Fashion-MNIST folder the parent would hand to the training probe (None: no data)."""
    try:
        from cnnkit.datafiles import find_fashion_mnist

        return str(find_fashion_mnist(root, download=False))
    except Exception:  # no data here: nothing to show the worker
        return None


def _data_binds(args: Mounts, folder: str | None, staging: Path) -> None:
    """Show the worker the training files only: the test files are empty placeholders.

    A staging folder holding one empty file per name is mounted over the data folder, then each
    real training file over its placeholder, so ``find_fashion_mnist`` in the worker still finds
    all four names, reads the training split and fails its checksum on the test split.
    """
    if os.path.isdir(DEBIAN_DATA_DIR):  # visible through /usr otherwise
        args.bind(str(staging / "empty"), DEBIAN_DATA_DIR)
    if folder is None:
        return
    data = staging / "data"
    data.mkdir()
    files: list[tuple[str, str]] = []
    for name in TRAIN_FILES:
        for candidate in (f"{name}.gz", name):
            if os.path.isfile(os.path.join(folder, candidate)):
                (data / candidate).touch(0o644)
                files.append((candidate, os.path.join(folder, candidate)))
                break
    for name in TEST_FILES:
        (data / f"{name}.gz").touch(0o644)
    os.chmod(data, 0o755)
    for target in dict.fromkeys((folder, os.path.realpath(folder))):
        args.bind(str(data), target)
        for candidate, source in files:
            args += ["--ro-bind", source, os.path.join(target, candidate)]


def _gpu_binds(args: Mounts) -> None:
    """The NVIDIA device files, and /sys read-only (the driver looks up the PCI topology there)."""
    for device in sorted(glob.glob("/dev/nvidia*")):
        args += ["--dev-bind", device, device]
    if os.path.isdir("/sys"):
        args += ["--ro-bind", "/sys", "/sys"]


def _scratch_binds(args: Mounts, plan_: Plan, config: "WorkerConfig", space: "WorkerSpace") -> None:
    """The worker's writable space: the grader's capped tmpfs (bound as /tmp and the home), or
    bubblewrap's size-capped ones where the grader cannot mount."""
    if plan_.why_no_scratch:
        size = str(config.scratch_bytes)
        args += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
        args.parents(str(space.home))
        args += ["--perms", "1777", "--size", size, "--tmpfs", str(space.home)]
        args.mounted.add(str(space.home))
    else:
        args += ["--bind", str(space.tmp), "/tmp"]
        args.bind(str(space.home), str(space.home), writable=True)


def bwrap_command(
    plan_: Plan, config: "WorkerConfig", command: list[str], space: "WorkerSpace", seccomp_fd: int | None = None
) -> list[str]:
    """The bwrap command line that runs ``command`` for ``space`` (loading the filter from ``seccomp_fd``)."""
    staging = space.root / "sandbox"
    staging.mkdir()
    (staging / "passwd").write_text(
        f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
        f"nobody:x:{UNPRIVILEGED}:{UNPRIVILEGED}:nobody:/nonexistent:/usr/sbin/nologin\n"
    )
    (staging / "group").write_text(f"root:x:0:\nnogroup:x:{UNPRIVILEGED}:\n")
    empty = staging / "empty"
    empty.mkdir()
    for path in (staging, empty):
        os.chmod(path, 0o755)
    args = base_args(plan_.userns)
    args.insert(0, plan_.bwrap or "bwrap")
    _scratch_binds(args, plan_, config, space)
    bind_python(args)
    args += ["--ro-bind", str(staging / "passwd"), "/etc/passwd", "--ro-bind", str(staging / "group"), "/etc/group"]
    for site in python_paths()[1:]:
        for name in HIDDEN_PACKAGES:
            if os.path.isdir(os.path.join(site, name)):
                args += ["--ro-bind", str(empty), os.path.join(site, name)]
    args.bind(str(space.runtime), str(space.runtime))
    args.bind(str(space.package_parent), str(space.package_parent))
    _data_binds(args, find_data_folder(config.data_dir), staging)
    if config.gpu:
        _gpu_binds(args)
    if plan_.drop:
        args += ["--setenv", "CNN_KIT_UID", str(UNPRIVILEGED)]
    if plan_.nproc:
        args += ["--setenv", "CNN_KIT_NPROC", str(config.processes)]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    args += ["--remount-ro", "/", "--chdir", str(space.home), "--", python_executable(), *command[1:]]
    return list(args)
