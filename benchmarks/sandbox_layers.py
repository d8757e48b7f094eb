"""Benchmark: what each per-worker layer of the sandbox costs a worker start.

Run: ``python benchmarks/sandbox_layers.py [--rounds 40]`` (as the grader runs, e.g. root with
bubblewrap). Each round starts ``python -I -S -c pass`` in a fresh scratch space once per variant,
in a shuffled order: bubblewrap alone, bubblewrap with the worker's cgroup, with the capped tmpfs
scratch, with the system-call filter, and with all three. A start counts from preparing the launch
to removing the cgroup after the process ended. Prints per variant the median start and the median
of its paired differences with the start of bubblewrap alone in the same round (docs/sandbox.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.settings import WorkerConfig  # noqa: E402
from autograder.worker.sandbox import launch, plan  # noqa: E402
from autograder.worker.space import prepare_space  # noqa: E402

plan_module = sys.modules["autograder.worker.sandbox.plan"]
launch_module = sys.modules["autograder.worker.sandbox.launch"]
LAYERS = ("why_no_cgroup", "why_no_scratch", "why_no_filter")
VARIANTS = {
    "bubblewrap alone": (),
    "+ cgroup": ("why_no_cgroup",),
    "+ tmpfs scratch": ("why_no_scratch",),
    "+ seccomp filter": ("why_no_filter",),
    "+ all three": LAYERS,
}


def use_layers(kept: tuple[str, ...]) -> None:
    """Make the plan of this process keep only the layers in ``kept``."""
    real = plan_module._real_layers
    plan_module._layers = lambda: {k: (v if k in kept else "off for the benchmark") for k, v in real().items()}
    plan_module._plan.cache_clear()


def start(folder: Path) -> float:
    space = prepare_space(folder, {})
    command = [sys.executable, "-I", "-S", "-c", "pass"]
    began = time.perf_counter()
    how = launch(WorkerConfig(), command, space)
    subprocess.run(
        how.command, cwd=space.home, preexec_fn=how.preexec, pass_fds=how.pass_fds, check=True, env={"PATH": "/bin"}
    )
    how.finished()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    plan_module._real_layers = plan_module._layers
    launch_module.require = lambda config: None  # the variants without the filter would be refused
    use_layers(LAYERS)
    full = plan(WorkerConfig())
    missing = {k: getattr(full, k) for k in LAYERS if getattr(full, k)}
    if full.bwrap is None or missing:
        sys.exit(f"every layer must work here to measure it: bubblewrap {full.why_not or 'ok'}, {missing}")
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="cnnkit-layers-") as scratch:
        for round_ in range(args.rounds + 1):
            order = list(VARIANTS)
            random.shuffle(order)
            for name in order:
                use_layers(VARIANTS[name])
                seconds = start(Path(scratch) / f"{round_}-{len(times[name])}-{name[-6:].strip()}")
                if round_:  # the first round warms the caches
                    times[name].append(seconds)
    base = times["bubblewrap alone"]
    print(f"{args.rounds} paired starts of `python -I -S -c pass`; medians in ms")
    for name, values in times.items():
        paired = statistics.median(v - b for v, b in zip(values, base)) * 1e3
        print(f"{name:18} {statistics.median(values) * 1e3:7.1f}   paired difference {paired:+6.1f}")


if __name__ == "__main__":
    main()
