"""Benchmark: the reference's grading time per exercise, against the time budgets.

Run: ``python benchmarks/budgets.py [--runs 2] [--parallel 2]``. Grades the reference solutions,
each exercise in a grading run of its own (its worker's and the reference worker's start-up
included: an upper bound of what the exercise costs inside a whole submission), ``--parallel``
runs at a time to load the machine, and prints each exercise's slowest time beside its budget
(``WorkerConfig.exercise_seconds``, plus the training run's limit for training), then the sum of
the slowest times beside the submission's budget. docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's grader, not the one an editable install points at

from autograder.checks import all_checks  # noqa: E402
from autograder.runner import grade  # noqa: E402
from autograder.settings import Settings  # noqa: E402


def time_exercise(name: str) -> tuple[str, float, bool]:
    """(exercise, seconds of its grading run, whether the reference scored full)."""
    start = time.perf_counter()
    report = grade(ROOT / "solutions", exercises=[name])
    return name, time.perf_counter() - start, report.score == report.max_score and not report.incomplete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="gradings of each exercise (default 2)")
    parser.add_argument("--parallel", type=int, default=2, help="gradings at a time (default 2)")
    args = parser.parse_args()
    settings, exercises = Settings(), all_checks()
    jobs = [e.name for _ in range(args.runs) for e in exercises]
    with ThreadPoolExecutor(args.parallel) as pool:
        results = list(pool.map(time_exercise, jobs))
    worst = {}
    for name, seconds, full in results:
        worst[name] = max(worst.get(name, 0.0), seconds)
        if not full:
            print(f"warning: the reference did not score full on {name} (data set missing?)")
    print(f"{'exercise':<16}{'slowest':>10}{'budget':>10}{'share':>8}")
    for exercise in exercises:
        budget = settings.worker.exercise_seconds + exercise.extra_seconds(settings)
        seconds = worst[exercise.name]
        print(f"{exercise.name:<16}{seconds:>9.1f}s{budget:>9.0f}s{seconds / budget:>8.0%}")
    total, budget = sum(worst.values()), settings.worker.submission_seconds
    print(f"{'all, one by one':<16}{total:>9.1f}s{budget:>9.0f}s{total / budget:>8.0%}")


if __name__ == "__main__":
    main()
