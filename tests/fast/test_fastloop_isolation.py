"""The fast engine (``fastloop``) stays out of what students and grading workers run: importing
``cnnkit`` (or the exercises, or the reference) loads none of its modules, a grading worker's
runtime copy of ``cnnkit`` holds none of its files, and ``autograde release`` ships none of them.
Nothing here trains."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cnnkit
from autograder.ship.release import build_release
from autograder.worker.space import prepare_space

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "fastloop"
#: What the engine was called in cnnkit, and what it exports.
ENGINE_NAMES = {"TrainStep", "DeviceTimer", "GraphedBatches", "read_sums", "LeanKernels"}

REPORT_ENGINE_MODULES = """
import sys
engine = {engine!r}
loaded = sorted(name for name, module in list(sys.modules.items())
                if name == "fastloop" or name.startswith("fastloop.")
                or str(getattr(module, "__file__", None) or "").startswith(engine))
print(",".join(loaded))
"""


def engine_modules_after(imports: str) -> list[str]:
    """The modules of ``fastloop`` (by name or by file) loaded after ``imports``, in a fresh Python."""
    code = imports + "\n" + REPORT_ENGINE_MODULES.format(engine=str(ENGINE) + "/")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [name for name in done.stdout.strip().split(",") if name]


def engine_files() -> dict[str, bytes]:
    files = {path.name: path.read_bytes() for path in ENGINE.glob("*.py")}
    assert {"train_step.py", "lean_kernels.py", "conv_kernels.py", "trainer.py"} <= set(files)
    return files


def assert_no_engine_file_in(folder: Path) -> None:
    engine = engine_files()
    contents, names = set(engine.values()), set(engine) - {"__init__.py"}
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        assert "fastloop" not in relative.parts, relative
        if path.is_file():
            assert path.name not in names, relative
            assert path.read_bytes() not in contents, f"{relative} is a copy of an engine file"


def test_importing_cnnkit_loads_no_module_of_fastloop():
    assert engine_modules_after("import fastloop") != []  # the check sees the engine when it is loaded
    assert (
        engine_modules_after(
            "import cnnkit, cnnkit.data, cnnkit.utils, cnnkit.monitor, cnnkit.rules, "
            "exercises.training, solutions.training"
        )
        == []
    )


def test_cnnkit_exports_nothing_of_the_engine():
    assert not ENGINE_NAMES & set(cnnkit.__all__)
    assert not [name for name in ENGINE_NAMES if hasattr(cnnkit, name)]
    assert not [
        path.name
        for path in (ROOT / "cnnkit").glob("*.py")
        if path.name in engine_files() and path.name != "__init__.py"
    ]


def test_a_grading_workers_cnnkit_holds_no_engine_file(tmp_path):
    space = prepare_space(tmp_path / "worker", {"training.py": b""})
    copied = space.runtime / "cnnkit"
    assert sorted(p.name for p in copied.glob("*.py")) == sorted(p.name for p in (ROOT / "cnnkit").glob("*.py"))
    assert_no_engine_file_in(space.root)


def test_the_student_release_holds_no_engine_file(tmp_path):
    out = tmp_path / "student-repo"
    written = build_release(out)
    assert Path("cnnkit/data.py") in written
    assert not [path for path in written if "fastloop" in path.parts]
    assert_no_engine_file_in(out)
