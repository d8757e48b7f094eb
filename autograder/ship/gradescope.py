"""``autograde gradescope build OUT.zip``: the autograder zip for a Gradescope programming assignment.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once to build the image
and ``run_autograder`` for every submission (files in ``/autograder/submission``); the grade is
what ``/autograder/results/results.json`` says. The zip holds those two scripts, the kit's
packages (the grader, its checks, the reference solutions, ``cnnkit``) and ``pyproject.toml``;
with ``--with-data`` also the four Fashion-MNIST files, so the image needs no download.
``AUTOGRADER_ROOT`` (default ``/autograder``) and ``AUTOGRADER_PYTHON`` let the scripts run
against another tree: the kit's tests use a temporary one.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

from .. import registry
from ..training_budgets import BUDGETS, DEFAULT_BUDGET
from ..validation import DEVICES
from .release import ReleaseError, fill, kit_root, kit_version, run_command, template

#: What of the kit goes into the zip (packages are copied without caches).
PACKAGES = ("autograder", "cnnkit", "solutions", "exercises")
FILES = ("pyproject.toml", "README.md")
DATA_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def _entries(root: Path):
    for name in FILES:
        yield root / name, name
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                yield path, path.relative_to(root).as_posix()


def build_zip(
    out: str | Path,
    training_budget: str = DEFAULT_BUDGET,
    device: str = "cpu",
    lang: str = "en",
    with_data: bool = False,
) -> Path:
    """Write the autograder zip to ``out`` (through a temporary file: never half a zip)."""
    if training_budget not in BUDGETS:
        raise ReleaseError(f"unknown training budget {training_budget!r}; choose from {', '.join(BUDGETS)}")
    root, out = kit_root(), Path(out)
    values = {"training_budget": training_budget, "device": device, "lang": lang, "version": kit_version(root)}
    data = None
    if with_data:
        from cnnkit import DatasetNotFoundError, find_fashion_mnist

        try:
            data = find_fashion_mnist(download=False)
        except DatasetNotFoundError as exc:
            raise ReleaseError(f"--with-data: {exc}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ("setup.sh", "run_autograder"):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # executable, as Gradescope expects
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, fill(template("gradescope", name), values))
        for path, name in _entries(root):
            archive.write(path, name)
        if data is not None:
            for name in DATA_FILES:
                archive.write(data / name, f"data/{name}")
    partial.replace(out)
    return out


def add_parser(commands) -> None:
    group = commands.add_parser("gradescope", help="build the Gradescope autograder zip")
    sub = group.add_subparsers(dest="gradescope_command", metavar="SUBCOMMAND", required=True)
    b = sub.add_parser(
        "build",
        help="write OUT.zip (setup.sh, run_autograder, the grader and its checks)",
        description="Write the autograder zip of a Gradescope programming assignment; see docs/course.md.",
    )
    b.add_argument("out_zip", metavar="OUT.zip")
    b.add_argument(
        "--training-budget",
        choices=BUDGETS,
        default=DEFAULT_BUDGET,
        help="the training check's budget (default: %(default)s; Gradescope's default machine is "
        "a small CPU: keep standard)",
    )
    b.add_argument(
        "--device", choices=DEVICES, default="cpu", help="where train_ch6 trains on Gradescope (default: cpu)"
    )
    b.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the results (default: en)")
    b.add_argument(
        "--with-data",
        action="store_true",
        help="put Fashion-MNIST (about 30 MB) into the zip instead of downloading it in setup.sh",
    )
    b.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    def build() -> str:
        out = build_zip(args.out_zip, args.training_budget, args.device, args.lang, args.with_data)
        points = sum(e.points for e in registry.EXERCISES)
        return (
            f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB); upload it as the assignment's autograder "
            f"(Configure Autograder > Zip file upload) and give the assignment {points:g} points"
        )

    return run_command("gradescope build", build)
