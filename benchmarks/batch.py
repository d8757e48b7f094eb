"""Benchmark: batch grading of a class (``autograde grade-all``), training excluded unless ``--training``.

Run: ``python benchmarks/batch.py`` (20 reference copies + 20 broken submissions, ``-j 2``).
Prints the wall time of the batch, students per hour, and the per-submission mean and median (each
student's own grading time, as recorded in its ``meta.json``). ``--executor dask --workers 2``
grades on a LocalCluster of two worker processes instead of the thread pool (docs/scale.md).
``--compare`` instead grades a smaller class once with a thread pool and once with a process pool
(the figures behind the default, see docs/batch.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.batch import run_batch  # noqa: E402
from autograder.batch.progress import Progress  # noqa: E402
from autograder.registry import NAMES as EXERCISE_NAMES  # noqa: E402
from autograder.settings import Settings  # noqa: E402
from tests.slow.test_batch import BROKEN, copy_modules, make_broken  # noqa: E402


def make_class(directory: Path, references: int, broken: int) -> None:
    directory.mkdir(parents=True)
    for index in range(references):
        copy_modules(ROOT / "solutions", directory / f"ref{index + 1:02d}")
    kinds = [k for k in BROKEN if k != "locked"]
    for index in range(broken):
        kind = kinds[index % len(kinds)]
        make_broken(directory, kind, f"broken{index + 1:02d}-{kind}")


def figures(label: str, outcome, wall: float) -> None:
    metas = list(outcome.metas.values())
    seconds = [m["seconds"] for m in metas]
    refs = [m["seconds"] for m in metas if m["student_id"].startswith("ref")]
    broken = [m["seconds"] for m in metas if not m["student_id"].startswith("ref")]
    full = sum(1 for m in metas if m["student_id"].startswith("ref") and m["score"] == m["max_score"])
    print(
        f"{label}: {len(metas)} submissions in {wall:.1f} s wall "
        f"({wall / max(len(metas), 1):.2f} s per submission, {3600 * len(metas) / wall:.0f} students per hour; "
        f"load average {os.getloadavg()[0]:.1f}); per-submission grading time "
        f"mean {statistics.mean(seconds):.1f} s, median {statistics.median(seconds):.1f} s; "
        f"reference copies mean {statistics.mean(refs):.1f} s, median {statistics.median(refs):.1f} s "
        f"({full}/{len(refs)} full marks)"
        + (
            f"; broken mean {statistics.mean(broken):.2f} s, median {statistics.median(broken):.2f} s "
            f"({outcome.errors} errors)"
            if broken
            else ""
        ),
        flush=True,
    )


def engine(executor: str, jobs: int, workers: int):
    """The executor of ``run_batch``: a local pool's name, or a LocalCluster of ``workers`` processes."""
    if executor != "dask":
        return executor
    from autograder.batch.cluster import ClusterOptions
    from autograder.batch.dask_engine import DaskEngine

    os.environ["PYTHONPATH"] = str(ROOT)  # the workers grade with this checkout
    return DaskEngine(ClusterOptions(workers=workers, threads=jobs))


def run(submissions: Path, results: Path, jobs: int, only: list[str], executor, label: str) -> None:
    start = time.perf_counter()
    outcome = run_batch(
        submissions,
        results,
        Settings(exercises=only),
        jobs=jobs,
        executor=executor,
        progress=Progress(0, 0, tty=False, stream=open("/dev/null", "w")),
    )
    figures(label, outcome, time.perf_counter() - start)
    for meta in outcome.metas.values():  # a reference copy below full marks: say which check lost points
        if meta["student_id"].startswith("ref") and meta["score"] != meta["max_score"]:
            report = json.loads((results / meta["student_id"] / "report.json").read_text())
            lost = [
                f"{e['name']}/{c['name']}: {c['status']}: {c['message'][:300]}"
                for e in report["exercises"]
                for c in e["checks"]
                if c["status"] != "passed"
            ]
            print(f"  {meta['student_id']} lost points: {'; '.join(lost)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=int, default=20)
    parser.add_argument("--broken", type=int, default=20)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--executor", choices=("thread", "process", "dask"), default="thread")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the LocalCluster (dask)")
    parser.add_argument("--training", action="store_true", help="grade training too (on the CPU)")
    parser.add_argument("--compare", action="store_true", help="thread pool vs process pool on a smaller class")
    args = parser.parse_args()
    only = [name for name in EXERCISE_NAMES if args.training or name != "training"]
    label = f"{args.executor}, -j {args.jobs}" + (f", {args.workers} workers" if args.executor == "dask" else "")
    print(f"exercises: {','.join(only)} (of {','.join(EXERCISE_NAMES)}); {label}", flush=True)
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-batch-") as scratch:
        scratch = Path(scratch)
        if args.compare:
            make_class(scratch / "class", args.references, args.broken)
            for round_ in range(2):
                for executor in ("thread", "process"):
                    run(
                        scratch / "class",
                        scratch / f"{executor}{round_}",
                        args.jobs,
                        only,
                        executor,
                        f"{executor} pool, round {round_ + 1}",
                    )
            return
        make_class(scratch / "class", args.references, args.broken)
        run(
            scratch / "class",
            scratch / "results",
            args.jobs,
            only,
            engine(args.executor, args.jobs, args.workers),
            label,
        )
        start = time.perf_counter()
        again = run_batch(
            scratch / "class",
            scratch / "results",
            Settings(exercises=only),
            jobs=args.jobs,
            progress=Progress(0, 0, tty=False, stream=open("/dev/null", "w")),
        )
        print(
            f"resume (nothing to grade): {again.resumed} finished reports checked in "
            f"{time.perf_counter() - start:.2f} s",
            flush=True,
        )
        print(json.dumps({"gradebook_rows": len((scratch / "results" / "gradebook.csv").read_text().splitlines()) - 1}))


if __name__ == "__main__":
    main()
