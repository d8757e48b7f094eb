"""``python -m autograder.calibrate``: train the reference once per seed, the real grading way, and
measure each trained network on the official test set; ``--record`` stores the accuracies that the
training thresholds are tested against (``checks/training/calibration.json``).

    python -m autograder.calibrate --seeds 0-39 --jobs 2 [--budget book] [--device cuda] [--record]

``docs/training-threshold.md`` says how the thresholds follow from the recorded accuracies.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from .checks.training.budgets import CALIBRATION_FILE, load_calibration, split
from .checks.training.observations import accuracy_of, official_test_set
from .load import reference_submission
from .settings import WorkerConfig
from .training_budgets import BUDGETS, DEFAULT_BUDGET
from .worker.client import WorkerProcess
from .worker.sandbox.reaping import process_tree
from .worker.space import prepare_space


def record_calibration(budget_name: str, device: str, accuracies: dict[int, float]) -> None:
    """Store (replace) the accuracies of one budget on one kind of device."""
    data = load_calibration()
    kind = torch.device(device).type
    data[f"{budget_name}/{kind}"] = {
        "budget": dataclasses.asdict(BUDGETS[budget_name]),
        "device": kind,
        "torch": torch.__version__,
        "date": datetime.date.today().isoformat(),
        "device_name": torch.cuda.get_device_name() if kind == "cuda" else "CPU, one thread per worker",
        "accuracy": {str(seed): round(value, 4) for seed, value in sorted(accuracies.items())},
    }
    CALIBRATION_FILE.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n", encoding="utf-8")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process and its descendants (a sandbox launcher may sit
    between the grader and Python); Linux /proc only, NaN elsewhere."""
    total = 0
    try:
        for member in process_tree(pid):
            with open(f"/proc/{member}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return total / os.sysconf("SC_CLK_TCK")


def train_reference(seed: int, budget_name: str, device: str, root: str) -> dict:
    """Train the reference with a budget in a fresh worker (the real grading path); its accuracy on
    the official test set, measured here, and what the run cost."""
    b = BUDGETS[budget_name]
    with tempfile.TemporaryDirectory(prefix="cnnkit-calibrate-") as scratch:
        config = WorkerConfig(gpu=torch.device(device).type == "cuda")
        worker = WorkerProcess(prepare_space(Path(scratch) / "worker", reference_submission().files), config)
        try:
            assert worker.request({"op": "load", "modules": ["training"]}).get("ok")
            start = time.perf_counter()
            reply = worker.request(
                {
                    "op": "probe",
                    "probe": "train",
                    "args": [root, *split(seed, b), b.batch_size, b.epochs, b.lr, device, seed],
                },
                b.timeout * 4,
            )
            seconds = time.perf_counter() - start
            cpu = cpu_seconds(worker.process.pid)
        finally:
            worker.kill()
    seen = reply.get("value")
    if not reply.get("ok") or not isinstance(seen, dict) or "state" not in seen:
        raise RuntimeError(f"seed {seed}: the reference did not train: {reply}")
    return {
        "seed": seed,
        "accuracy": accuracy_of(seen["state"], *official_test_set(root)),
        "seconds": seconds,
        "cpu": cpu,
        "held_out": seen["history"]["test_acc"],
        "examples_per_sec": seen["history"]["examples_per_sec"],
    }


def calibrate(seeds: list[int], jobs: int = 1, budget_name: str = DEFAULT_BUDGET, device: str = "cpu") -> list[dict]:
    """``train_reference`` for every seed, ``jobs`` at a time, printed as they finish."""
    from cnnkit import find_fashion_mnist

    root = str(find_fashion_mnist(download=False))
    with ThreadPoolExecutor(jobs) as pool:
        results = []
        for result in pool.map(lambda seed: train_reference(seed, budget_name, device, root), seeds):
            print(
                f"seed {result['seed']:3d}  test accuracy {result['accuracy']:.4f}  held-out per epoch "
                f"{[round(a, 4) for a in result['held_out']]}  {result['seconds']:.1f} s wall, "
                f"{result['cpu']:.1f} s CPU  {result['examples_per_sec']:.0f} examples/s (own timer)",
                flush=True,
            )
            results.append(result)
    accuracies = [r["accuracy"] for r in results]
    cpu = sorted(r["cpu"] for r in results)
    print(
        f"min {min(accuracies):.4f}  mean {sum(accuracies) / len(accuracies):.4f}  max {max(accuracies):.4f}  "
        f"median CPU seconds per training (worker process, start included) {cpu[len(cpu) // 2]:.1f}"
    )
    return results


def seed_list(spec: str) -> list[int]:
    """``0-19`` or ``3,5,8``."""
    try:
        if "-" in spec:
            first, last = spec.split("-")
            return list(range(int(first), int(last) + 1))
        return [int(s) for s in spec.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds such as 0-19 or 3,5,8, got {spec!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.calibrate",
        description="Calibrate the train_ch6 accuracy threshold on the reference.",
    )
    parser.add_argument("--seeds", type=seed_list, default=seed_list("0-19"), help="seeds, e.g. 0-19 or 3,5,8")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--budget", choices=BUDGETS, default=DEFAULT_BUDGET)
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--record",
        action="store_true",
        help=f"store the accuracies in {CALIBRATION_FILE.name} (the threshold tests read them)",
    )
    args = parser.parse_args(argv)
    measured = calibrate(args.seeds, args.jobs, args.budget, args.device)
    if args.record:
        record_calibration(args.budget, args.device, {r["seed"]: r["accuracy"] for r in measured})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
