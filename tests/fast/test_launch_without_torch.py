"""A grading starts its workers before the grader imports torch, so that their imports of torch, in
the sandbox, overlap the grader's own (``runner.grade``): the command line, its settings and
starting the submission's workers (its zygote where the sandbox forks) and the reference's worker
import no torch in the grader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograder.settings import WorkerConfig
from autograder.worker import sandbox

ROOT = Path(__file__).resolve().parents[2]
LAUNCH = """
import sys, tempfile
from pathlib import Path
from autograder import cli, config
from autograder.load import reference_submission
from autograder.runner import grade
from autograder.runner.workers import Reference, WorkerPool

settings = config.settings_from_args(cli.build_parser().parse_args(["grade", "solutions", *sys.argv[1:]]))
with tempfile.TemporaryDirectory() as scratch:
    pool = WorkerPool(reference_submission(), Path(scratch) / "submission", settings.worker)
    reference = Reference(Path(scratch) / "reference", settings.worker)
    loaded = "torch" in sys.modules
    pool.close()
    reference.close()
print(loaded)
"""


@pytest.mark.parametrize("options", [[], ["--no-sandbox"]], ids=["sandbox", "no-sandbox"])
def test_starting_the_workers_imports_no_torch(options):
    problem = None if options else sandbox.refusal(WorkerConfig())
    if problem is not None:
        pytest.skip(f"no sandbox here: {problem}")
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, "--device", "cpu", *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
