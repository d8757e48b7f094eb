"""Where a whole training run's wall-clock time goes besides the replayed steps (issue 6).

    python benchmarks/run_breakdown.py [--device cuda] [--epochs 10] [--lr 0.9] [--batch-size 256]

Trains the fast ``train_ch6`` (``fastloop``) on Fashion-MNIST twice after a warm-up run: once
plainly (the benchmark's ``--trainer fastloop`` figure), once with the device synchronised around
each CUDA-graph capture, eager warm-up call, evaluation and copy of an epoch's sums, so that each
gets its own wall-clock time (exclusive of the others nested in it). The rest is the replayed
steps, the data, Python and the read-back of the sums at the end.
``benchmarks/step_profile.py`` gives the time of one replayed step, to compare with the rest.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from unittest import mock

import torch
from train_throughput import add_budget_arguments, train_kit  # this script's folder is on sys.path

from fastloop import GraphedBatches, TrainStep


class Ledger:
    """Exclusive wall-clock seconds and calls per category of the wrapped methods."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._nested: list[float] = []

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def timing(self, owner: type, name: str, category: Callable[[object], str]):
        """A patch of ``owner.name`` that books each call's time under ``category(instance)``."""
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(instance, *args, **kwargs):
            self._sync()
            start = time.perf_counter()
            self._nested.append(0.0)
            try:
                return original(instance, *args, **kwargs)
            finally:
                self._sync()
                elapsed = time.perf_counter() - start
                label = category(instance)
                self.seconds[label] += elapsed - self._nested.pop()
                self.calls[label] += 1
                if self._nested:
                    self._nested[-1] += elapsed

        return mock.patch.object(owner, name, timed)

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for patch in (
                self.timing(GraphedBatches, "_capture", lambda g: f"captures ({g.what})"),
                self.timing(GraphedBatches, "_warmup", lambda g: f"eager warm-up calls ({g.what})"),
                self.timing(TrainStep, "count_correct", lambda s: "evaluations (besides the above)"),
                self.timing(TrainStep, "sums", lambda s: "copies of the epoch's sums"),
            ):
                stack.enter_context(patch)
            yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_budget_arguments(parser)
    args = parser.parse_args()
    device = torch.device(args.device)
    examples = 60000 * args.epochs
    train_kit(args, device, "fastloop")  # warm-up: libraries loaded, kernels compiled
    _, plain = train_kit(args, device, "fastloop")
    print(f"{device}: plain run {plain:.3f} s ({examples / plain:,.0f} examples/s)")
    ledger = Ledger(device)
    with ledger.recording():
        _, recorded = train_kit(args, device, "fastloop")
    print(f"recorded run (device synchronised around each entry) {recorded:.3f} s:")
    for label, seconds in sorted(ledger.seconds.items(), key=lambda item: -item[1]):
        print(f"  {label:40s} {ledger.calls[label]:4d} calls  {seconds:7.3f} s")
    print(
        f"  {'the rest: replayed steps, data, Python':40s}             {recorded - sum(ledger.seconds.values()):7.3f} s"
    )


if __name__ == "__main__":
    main()
