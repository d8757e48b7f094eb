"""Benchmark: grading time of a complete submission (training excluded) and worker overheads.

Run: ``python benchmarks/grading.py``. Prints wall-clock figures for this machine; the README
quotes them. Targets (issue 3): a whole submission without training in under 15 s, one worker
round trip under 5 ms.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import torch

from autograder.load import reference_submission
from autograder.registry import NAMES as EXERCISE_NAMES
from autograder.runner import grade
from autograder.settings import WorkerConfig
from autograder.worker.client import WorkerProcess
from autograder.worker.space import prepare_space

ROOT = Path(__file__).resolve().parents[1]


def round_trips(count: int = 300) -> tuple[float, float]:
    """Worker start-up (to the first answer) and the median round trip of a tiny call, in seconds."""
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        worker = WorkerProcess(prepare_space(Path(scratch), reference_submission().files), WorkerConfig())
        worker.request({"op": "load", "modules": ["pooling"]})
        started = time.perf_counter() - start
        X = torch.zeros(3, 3)
        times = []
        for _ in range(count):
            t = time.perf_counter()
            worker.request({"op": "call", "target": "pooling.pool2d", "args": [X, (1, 1)]})
            times.append(time.perf_counter() - t)
        worker.kill()
    return started, statistics.median(times)


def main() -> None:
    started, trip = round_trips()
    print(f"worker start-up (python + torch import + load): {started:.2f} s")
    print(f"worker round trip (median of 300 tiny calls):   {trip * 1e3:.2f} ms")
    only = [name for name in EXERCISE_NAMES if name != "training"]
    for run in range(3):
        start = time.perf_counter()
        report = grade(ROOT / "solutions", exercises=only)
        elapsed = time.perf_counter() - start
        per = ", ".join(f"{e.name} {sum(c.seconds for c in e.checks):.1f}s" for e in report.exercises)
        print(
            f"run {run + 1}: full submission without training {elapsed:.1f} s "
            f"({report.score:g}/{report.max_score:g}); checks: {per}"
        )


if __name__ == "__main__":
    main()
