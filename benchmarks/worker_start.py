"""Benchmark: a complete submission without training, with and without the zygote, as a ratio to
one ``python -c "import torch"`` measured in the same run (issue 19; target: at most 2.5).

    python benchmarks/worker_start.py [--repeats 3] [--class-size 0]

Each repeat measures, one after the other: ``import torch``; the grader's own imports (``import
autograder.cli``, what the parent pays before any worker starts); ``python -m autograder grade
solutions`` of every exercise but training with ``[sandbox] zygote = false`` (a new process per
worker, the behaviour before the zygote) and with the zygote. With ``--class-size N`` it also grades
a class of N copies of the reference with ``grade-all -j 1`` and ``-j 2``, both ways, and prints
students per hour. The sandbox is whatever ``autograde sandbox`` says here (bubblewrap where it works).

Where a cgroup v1 ``cpuacct`` hierarchy is writable (root), each command also runs in a cgroup of its
own, so the CPU seconds of the grading and every process it starts (the sandboxed workers included)
are counted; divided by the cores, they give the fastest the grading could be here, however well it
overlapped its work (the "floor" printed with each grading).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
WITHOUT_TRAINING = "corr2d,conv_layer,padding_stride,channels,pooling,lenet,theory"
CPUACCT = Path("/sys/fs/cgroup/cpuacct")
CORES = os.cpu_count() or 1


def cpu_cgroup() -> Path | None:
    """A fresh cpuacct cgroup for one command (None where none can be made)."""
    try:
        folder = Path(tempfile.mkdtemp(prefix="cnnkit-bench-", dir=CPUACCT))
    except OSError:
        return None
    return folder


def measured(command: list[str]) -> tuple[float, float | None]:
    """Wall-clock seconds of ``command`` run from the repository root (it must succeed), and the CPU
    seconds it and everything it started used (None without a cpuacct cgroup)."""
    group = cpu_cgroup()

    def join() -> None:
        if group is not None:
            (group / "cgroup.procs").write_text(str(os.getpid()))

    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, preexec_fn=join)
    elapsed = time.perf_counter() - start
    if group is None:
        return elapsed, None
    used = int((group / "cpuacct.usage").read_text()) / 1e9
    group.rmdir()
    return elapsed, used


def grade(config: Path, report: Path) -> tuple[float, float | None, dict]:
    """Wall-clock and CPU seconds of one grading of the reference without training, and its report."""
    command = [PYTHON, "-m", "autograder", "grade", "solutions", "--only", WITHOUT_TRAINING]
    elapsed, cpu = measured([*command, "--config", str(config), "--json", str(report)])
    return elapsed, cpu, json.loads(report.read_text())


def per_exercise(report: dict) -> str:
    return ", ".join(f"{e['name']} {sum(c['seconds'] for c in e['checks']):.1f}" for e in report["exercises"])


def students_per_hour(config: Path, folder: Path, size: int, jobs: int) -> tuple[float, float | None]:
    """Students per hour of ``grade-all -j JOBS`` over a class of ``size`` copies of the reference, and
    the CPU seconds per student (None without a cpuacct cgroup)."""
    students, results = folder / "class", folder / f"results-{jobs}-{config.stem}"
    if not students.exists():
        for index in range(size):
            shutil.copytree(ROOT / "solutions", students / f"student{index}")
    command = [PYTHON, "-m", "autograder", "grade-all", str(students), "--out", str(results), "-j", str(jobs)]
    elapsed, cpu = measured([*command, "--only", WITHOUT_TRAINING, "--config", str(config)])
    shutil.rmtree(results)
    return size * 3600 / elapsed, None if cpu is None else cpu / size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--class-size", type=int, default=0, help="also grade-all a class this big (0: skip)")
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    ratios: dict[str, list[float]] = {"before": [], "zygote": []}
    with tempfile.TemporaryDirectory(prefix="cnnkit-bench-") as scratch:
        folder = Path(scratch)
        configs = {}
        for name, flag in (("before", "false"), ("zygote", "true")):
            configs[name] = folder / f"{name}.toml"
            configs[name].write_text(f"[sandbox]\nzygote = {flag}\n")
        for repeat in range(args.repeats):
            torch_s, torch_cpu = measured([PYTHON, "-c", "import torch"])
            grader_s, _ = measured([PYTHON, "-c", "import autograder.cli"])
            cpu = "" if torch_cpu is None else f" ({torch_cpu:.1f} CPU-s)"
            line = [f"repeat {repeat + 1}: import torch {torch_s:.1f} s{cpu}, import autograder.cli {grader_s:.1f} s"]
            for name, config in configs.items():
                elapsed, cpu, report = grade(config, folder / "report.json")
                ratios[name].append(elapsed / torch_s)
                floor = (
                    "" if cpu is None else (f"; {cpu:.1f} CPU-s, floor on {CORES} cores {cpu / CORES / torch_s:.2f}x")
                )
                line.append(
                    f"  {name}: {elapsed:.1f} s = {elapsed / torch_s:.2f}x import torch{floor} "
                    f"({report['score']:g}/{report['max_score']:g}; in grade() {report['seconds']:.1f} s: "
                    f"{per_exercise(report)})"
                )
            print("\n".join(line), flush=True)
        for name, values in ratios.items():
            each = ", ".join(f"{value:.2f}" for value in values)
            print(f"{name}: median {statistics.median(values):.2f}x import torch ({each})")
        if args.class_size:
            for jobs in (1, 2):
                for name, config in configs.items():
                    rate, cpu = students_per_hour(config, folder, args.class_size, jobs)
                    each = "" if cpu is None else f", {cpu:.1f} CPU-s a student"
                    print(f"grade-all -j {jobs}, {args.class_size} students, {name}: {rate:.0f}/hour{each}", flush=True)


if __name__ == "__main__":
    main()
