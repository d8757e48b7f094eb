"""What the training checks judge, observed once per grading run (``framework.Observation``).

* ``TRAINED``: the real training. The worker trains a fresh LeNet with the submission's ``train_ch6``
  on real Fashion-MNIST training images only (its ``test_iter`` is a held-out slice of the training
  split, drawn here) and sends back the trained weights, the history and what the loop moved to the
  device; the parent adds how long the whole call took, clocked from outside.
* ``ONE_STEPS``: ``train_ch6`` run three more times, one step each on one random batch, with three
  learning rates; ``LR_RESPONSE`` is how the weights moved with lr.

The accuracies are measured here, in the parent, with the grader's own LeNet (``accuracy_of``):
on the official test set, which the worker never sees, and on ``test_iter``'s held-out images.
"""

from __future__ import annotations

import functools
import math
import time
from typing import Any

import torch

from ...reasons import Reason
from ...text import Text
from ...training_budgets import BUDGETS, Budget
from ...worker.runtime import netspec
from ..framework import CheckFailed, Context, Observation, SkipCheck, StopCheck, type_name
from .budgets import split, training_seed

NOT_OBSERVED = Text(
    "train_ch6 could not be observed (no trained weights came back)", "无法检查 train_ch6（没有得到训练后的权重）"
)
#: The ``learning_rate`` probe's learning rates. Each run of ``train_ch6`` takes one step on the
#: same batch from the same start, and SGD (like any optimizer whose first step is lr times
#: something) moves the weights by -lr * gradient: the move from lr 0.2 to 0.4 is twice the move
#: from 0.1 to 0.2. A fixed lr moves them not at all; lr squared, four times as far.
PROBE_LRS = (0.1, 0.2, 0.4)
#: How many times as far the second raise of lr moves the weights as the first.
LR_STEP_RATIO = (PROBE_LRS[2] - PROBE_LRS[1]) / (PROBE_LRS[1] - PROBE_LRS[0])
#: Seconds the three one-step trainings may take: well under one on a CPU, but a GPU worker whose
#: training timed out starts afresh and may first compile its kernels.
LR_PROBE_TIMEOUT = 120.0


def budget(ctx: Context) -> Budget:
    """The run's training budget (a grader set up with an unknown one cannot grade training)."""
    name = ctx.settings.training_budget
    if name not in BUDGETS:
        raise StopCheck(
            Text(
                f"unknown training budget {name!r}; choose from {', '.join(BUDGETS)}",
                f"未知的训练预算 {name!r}；可选 {', '.join(BUDGETS)}",
            ),
            "error",
            Reason.INTERNAL_ERROR,
        )
    return BUDGETS[name]


def call_text(ctx: Context) -> str:
    """The training call as the messages show it."""
    b = budget(ctx)
    return (
        f"train_ch6(lenet, train_iter, test_iter, num_epochs={b.epochs}, lr={b.lr:g}, "
        f"device={ctx.settings.device!r}) (batch size {b.batch_size}, {b.train_images:,} training images)"
    )


# -- the data and the grader's own LeNet -----------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _found_data(root: str | None) -> str | None:
    from cnnkit import DatasetNotFoundError, find_fashion_mnist

    try:
        return str(find_fashion_mnist(root, download=False))
    except DatasetNotFoundError:
        return None


def data_root(ctx: Context) -> str:
    """The Fashion-MNIST folder of this run; the check is skipped (not failed) where there is none."""
    found = _found_data(ctx.settings.data_root)
    if found is None:
        raise SkipCheck(
            Text(
                "Fashion-MNIST not found: apt-get install dataset-fashion-mnist or set CNN_KIT_DATA",
                "未找到 Fashion-MNIST：请 apt-get install dataset-fashion-mnist 或设置 CNN_KIT_DATA",
            )
        )
    return found


def as_batch(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) images as the float (N, 1, 28, 28) batch that ``TensorBatches`` yields."""
    return images.unsqueeze(1).float().div_(255)


@functools.lru_cache(maxsize=2)
def official_test_set(root: str) -> tuple[torch.Tensor, torch.Tensor]:
    from cnnkit import read_fashion_mnist

    images, labels = read_fashion_mnist(train=False, root=root, download=False)
    return as_batch(images), labels


@functools.lru_cache(maxsize=2)
def held_out_set(root: str, seed: int, b: Budget) -> tuple[torch.Tensor, torch.Tensor]:
    """The training images the worker's ``test_iter`` held out, as the parent reads them."""
    from cnnkit import read_fashion_mnist

    images, labels = read_fashion_mnist(train=True, root=root, download=False)
    _, valid_idx = split(seed, b)
    return as_batch(images[valid_idx]), labels[valid_idx]


def lenet_with(state: Any) -> torch.nn.Module:
    """The book's LeNet, built here, with the weights a worker sent back (CheckFailed when they do
    not fit it)."""
    if not isinstance(state, dict) or not all(type(v) is torch.Tensor for v in state.values()):
        raise CheckFailed(Text("the trained network's weights could not be read", "无法读取训练后网络的权重"))
    net = netspec.build(netspec.LENET)
    try:
        net.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, TypeError) as exc:
        detail = " ".join(str(exc).split())[:400]
        raise CheckFailed(
            Text(f"train_ch6 changed the network it was given: {detail}", f"train_ch6 改变了传入网络的结构：{detail}"),
            Text("Train the net you are given; do not replace its layers.", "请训练传入的 net，不要替换它的层。"),
        ) from None
    return net


def accuracy_of(state: Any, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Accuracy, measured here, of the book's LeNet with these weights on these images."""
    net = lenet_with(state)
    net.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), 1000):
            logits = net(images[start : start + 1000])
            correct += int((logits.argmax(1) == labels[start : start + 1000]).sum())
    return correct / len(labels)


def number(value: Any) -> bool:
    """A finite Python int or float (not a bool, not a tensor)."""
    return type(value) in (int, float) and math.isfinite(value)


# -- the worker's training probes ------------------------------------------------------------------
def observe(ctx: Context, probe: str, *args: Any, timeout: float | None = None) -> dict:
    """Run one of the worker's training probes; its observation (a dict) or the reason there is none."""
    seen = ctx.probe(probe, *args, timeout=timeout)
    if isinstance(seen, dict) and seen.get("cuda_unavailable") is True:
        raise StopCheck(
            Text(
                "the grading worker cannot use CUDA although this machine can: grade with "
                "--device cpu, or give the sandbox the GPU (docs/sandbox.md)",
                "评分工作进程无法使用 CUDA（本机可以）：请使用 --device cpu 评分，"
                "或让沙箱可以访问 GPU（见 docs/sandbox.md）",
            ),
            "error",
            Reason.ENVIRONMENT,
        )
    if not isinstance(seen, dict):
        raise CheckFailed(
            Text(
                f"train_ch6 could not be observed (got {type_name(seen)})",
                f"无法检查 train_ch6（得到 {type_name(seen)}）",
            )
        )
    return seen


def _train(ctx: Context) -> dict:
    root, b, seed = data_root(ctx), budget(ctx), training_seed(ctx.settings)
    started = time.perf_counter()
    seen = observe(
        ctx, "train", root, *split(seed, b), b.batch_size, b.epochs, b.lr, ctx.settings.device, seed, timeout=b.timeout
    )
    if not isinstance(seen.get("state"), dict):
        raise CheckFailed(NOT_OBSERVED)
    # Clocked here, so whatever the worker sent under this name is replaced.
    return seen | {"wall_seconds": time.perf_counter() - started}


#: The ``train`` probe's observation, with ``wall_seconds``: how long the whole call took, as the
#: parent clocked it.
TRAINED = Observation("trained", _train)


def lr_probe_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``learning_rate`` probe's one batch: 64 seeded random images and labels (no data set
    needed: any batch has a gradient)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(64, 1, 28, 28, generator=generator), torch.randint(0, 10, (64,), generator=generator)


def _one_steps(ctx: Context) -> dict:
    seed = training_seed(ctx.settings)
    seen = observe(
        ctx,
        "learning_rate",
        *lr_probe_batch(seed),
        list(PROBE_LRS),
        ctx.settings.device,
        seed,
        timeout=LR_PROBE_TIMEOUT,
    )
    states, histories = seen.get("states"), seen.get("histories")
    if not (
        isinstance(states, list) and isinstance(histories, list) and len(states) == len(histories) == len(PROBE_LRS)
    ):
        raise CheckFailed(NOT_OBSERVED)
    return seen


#: The ``learning_rate`` probe's observation: the weights and the history of each one-step run
#: (``states``, ``histories``).
ONE_STEPS = Observation("one_steps", _one_steps)


def initial_state(states: list) -> dict[str, torch.Tensor]:
    """The weights the one-step runs started from. A step linear in lr leaves w(lr) = w0 + lr * d,
    so w0 = (lr1 * w(lr0) - lr0 * w(lr1)) / (lr1 - lr0)."""
    (lr0, lr1), (state0, state1) = PROBE_LRS[:2], states[:2]
    return {key: ((lr1 * state0[key].double() - lr0 * state1[key].double()) / (lr1 - lr0)).float() for key in state0}


def mean_loss(state: Any, X: torch.Tensor, y: torch.Tensor) -> float:
    """Mean cross-entropy per example, measured here, of the book's LeNet with these weights."""
    with torch.no_grad():
        return float(torch.nn.functional.cross_entropy(lenet_with(state)(X), y))


def lr_response(states: list) -> tuple[float, float] | None:
    """How the ``learning_rate`` probe's weights moved: (how many times as far raising lr from
    ``PROBE_LRS[1]`` to ``[2]`` moved them as raising it from ``[0]`` to ``[1]``, how far that second
    move is from the multiple a step of lr * gradient gives, relative to its length), or None when
    every run left the same weights. CheckFailed when the weights do not fit the book's LeNet."""
    low, middle, high = (
        torch.cat([p.double().flatten() for p in lenet_with(state).state_dict().values()]) for state in states
    )
    first, second = middle - low, high - middle
    if max(first.norm(), second.norm()) <= 1e-7 * low.norm():
        return None
    factor = float(second @ first / (first @ first)) if first.norm() > 0 else math.inf
    deviation = float((second - LR_STEP_RATIO * first).norm() / max(second.norm(), LR_STEP_RATIO * first.norm()))
    return factor, deviation


#: ``lr_response`` of this run's one-step runs: ``follows_lr`` judges it, and ``reports_mean_loss``
#: reads the reported loss only where it holds.
LR_RESPONSE = Observation("lr_response", lambda ctx: lr_response(ctx.observe(ONE_STEPS)["states"]))
