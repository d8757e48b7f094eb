"""``autograde release OUT_DIR``: the repository a course hands to its students.

It holds the exercise stubs with their public tests (``exercises/``), the helper package
``cnnkit`` (data loader, training helpers), ``datasets/`` with its README and checksums, a student
``pyproject.toml`` and bilingual ``README.md``, and CI files that grade every push with the
course's grader (``.github/workflows/autograde.yml``, ``.gitlab-ci.yml``, ``ci/*.sh``). It holds
nothing of ``solutions/``, ``autograder/`` or ``tests/``: ``check_release`` verifies that.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Callable

from .. import registry

#: Files of the exercise package that are not an exercise's (the exercises' own come from the table).
EXERCISE_PACKAGE_FILES = (
    "exercises/__init__.py",
    "exercises/tests/__init__.py",
    "exercises/tests/conftest.py",
    "exercises/tests/expect.py",
)
#: Folders and files copied from the kit as they are.
COPIED = ("cnnkit", "datasets/README.md", "datasets/fashion-mnist.md5")
#: Template (autograder/ship/templates/student/...) -> path in the release.
TEMPLATES = {
    "README.md": "README.md",
    "pyproject.toml": "pyproject.toml",
    "gitignore": ".gitignore",
    "github-autograde.yml": ".github/workflows/autograde.yml",
    "gitlab-ci.yml": ".gitlab-ci.yml",
    "ci/install-grader.sh": "ci/install-grader.sh",
    "ci/grade.sh": "ci/grade.sh",
    "ci/allow-bubblewrap.sh": "ci/allow-bubblewrap.sh",
}
#: What a release must never contain (top-level names).
FORBIDDEN = ("solutions", "autograder", "tests", "examples", "benchmarks")
_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")
_JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")


class ReleaseError(RuntimeError):
    """The release cannot be built where asked, or would leak grader files."""


def kit_root() -> Path:
    """The kit's source checkout (the release is built from its files, not from an installed wheel)."""
    root = Path(__file__).resolve().parents[2]
    missing = [name for name in ("pyproject.toml", "exercises", "cnnkit", "solutions") if not (root / name).exists()]
    if missing:
        raise ReleaseError(
            f"{root} is not a cnn-kit source checkout (missing {', '.join(missing)}); "
            "build releases from a clone of the kit"
        )
    return root


def kit_version(root: Path) -> str:
    with open(root / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def fill(text: str, values: dict[str, str]) -> str:
    """Replace ``{{name}}`` placeholders; every placeholder must have a value."""
    unknown = sorted(set(_PLACEHOLDER.findall(text)) - set(values))
    if unknown:
        raise ReleaseError(f"template placeholder(s) without a value: {', '.join(unknown)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def template(group: str, name: str) -> str:
    return resources.files(__package__).joinpath("templates", group, name).read_text(encoding="utf-8")


def exercise_files() -> list[str]:
    """The student's exercise package: per exercise of the table its stub and its public tests."""
    return [
        *EXERCISE_PACKAGE_FILES,
        *(f"exercises/{e.name}.py" for e in registry.EXERCISES),
        *(f"exercises/tests/test_{e.name}.py" for e in registry.EXERCISES),
    ]


def build_release(out: str | Path, force: bool = False) -> list[Path]:
    """Write the student repository into ``out``; return the paths written (relative to ``out``).

    ``out`` must be empty or absent; with ``force`` the release's own files are replaced and
    anything else there (``.git``, say) is left alone.
    """
    root, out = kit_root(), Path(out).resolve()
    if out == root or root.is_relative_to(out):
        raise ReleaseError(f"{out} contains the kit itself; choose a folder outside {root}")
    if out.exists() and not out.is_dir():
        raise ReleaseError(f"{out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not force:
        raise ReleaseError(f"{out} is not empty; use --force to replace the release files in it")
    out.mkdir(parents=True, exist_ok=True)
    values = {"version": kit_version(root)}
    written: list[Path] = []
    if (out / "exercises").is_dir():
        shutil.rmtree(out / "exercises")
    for name in exercise_files():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, target)
        written.append(target.relative_to(out))
    for name in COPIED:
        source, target = root / name, out / name
        if target.is_dir():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=_JUNK)
            written += [p.relative_to(out) for p in sorted(target.rglob("*")) if p.is_file()]
        else:
            shutil.copyfile(source, target)
            written.append(target.relative_to(out))
    for name, path in TEMPLATES.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(fill(template("student", name), values), encoding="utf-8")
        if target.suffix == ".sh":
            target.chmod(0o755)
        written.append(target.relative_to(out))
    check_release(out, root)
    return written


def check_release(out: Path, root: Path) -> None:
    """Raise ReleaseError if the release holds a grader file or a copy of a reference solution."""
    present = [name for name in FORBIDDEN if (out / name).exists()]
    if present:
        raise ReleaseError(f"the release must not contain {', '.join(present)}/")
    solutions = {p.read_bytes() for p in (root / "solutions").glob("*.py") if p.stat().st_size > 0}
    for path in out.rglob("*.py"):
        if path.read_bytes() in solutions:
            raise ReleaseError(f"{path.relative_to(out)} is a copy of a reference solution")


def add_parser(commands) -> None:
    p = commands.add_parser(
        "release",
        help="build the student repository (no solutions, no hidden checks)",
        description="Write the repository a course hands to students: the exercise stubs "
        "and public tests, the cnnkit helpers, a bilingual README and CI files that grade "
        "every push (GitHub Actions, GitLab CI). See docs/course.md.",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="where to write it (must be empty unless --force)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace the release files in a non-empty OUT_DIR (other files, e.g. .git, stay)",
    )
    p.set_defaults(handler=main)


def run_command(command: str, build: Callable[[], str]) -> int:
    """Run a build for the command line: print what it made (0), or the error without a traceback (2)."""
    try:
        print(build())
    except (ReleaseError, OSError) as exc:
        print(f"autograde {command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(args: argparse.Namespace) -> int:
    def build() -> str:
        written = build_release(args.out_dir, force=args.force)
        return (
            f"wrote {len(written)} files to {os.path.abspath(args.out_dir)}; next: cd there, git init, push "
            "to the course's organisation, and set the grader secret (README.md, 'Automatic grading')"
        )

    return run_command("release", build)
