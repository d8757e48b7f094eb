"""Where one training step's GPU time goes: ``TrainStep`` on LeNet, replayed as a CUDA graph.

    python benchmarks/step_profile.py [--batch-size 256] [--steps 500] [--library-kernels]

Prints the replay time per step and every kernel of one step with its mean duration (from
PyTorch's profiler). ``--library-kernels`` turns ``fastloop.lean_kernels`` off, to compare with
cuDNN's convolutions and ATen's own average-pooling gradient.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from unittest import mock

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile

import fastloop
from solutions.lenet import lenet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--library-kernels", action="store_true", help="without fastloop.lean_kernels")
    args = parser.parse_args()
    device = torch.device("cuda")
    torch.manual_seed(0)
    net = lenet()
    net.apply(fastloop.init_weights)
    net.to(device)
    step = fastloop.TrainStep(net, nn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), lr=0.9))
    X = torch.rand(args.batch_size, 1, 28, 28, device=device)
    y = torch.randint(0, 10, (args.batch_size,), device=device)
    off = mock.patch("fastloop.train_step.LeanKernels", contextlib.nullcontext)
    with off if args.library_kernels else contextlib.nullcontext():
        for _ in range(fastloop.train_step.WARMUP_STEPS + 1):
            step(X, y)
    assert (X.shape, y.shape) in step._train.captured, "the step was not captured"
    graph, _ = step._train.captured[X.shape, y.shape]
    for _ in range(20):
        graph.replay()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(args.steps):
        graph.replay()
    torch.cuda.synchronize()
    us = (time.perf_counter() - start) / args.steps * 1e6
    print(
        f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}, batch {args.batch_size}, "
        f"{'library' if args.library_kernels else 'lean'} kernels: {us:.1f} us per replayed step "
        f"({args.batch_size * 1e6 / us:,.0f} examples/s)"
    )
    reps = 20
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(reps):
            graph.replay()
        torch.cuda.synchronize()
    rows = sorted(
        (
            (e.self_device_time_total / reps, e.count / reps, e.key)
            for e in prof.key_averages()
            if e.self_device_time_total > 0
        ),
        reverse=True,
    )
    for us_kernel, count, name in rows:
        print(f"  {us_kernel:7.2f} us  x{count:3.0f}  {name[:100]}")
    print(f"  total {sum(r[0] for r in rows):.1f} us of kernels, {sum(r[1] for r in rows):.0f} kernels per step")


if __name__ == "__main__":
    main()
