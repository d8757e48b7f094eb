"""Hidden checks for ``evaluate_accuracy_gpu`` and ``train_ch6`` (d2l 6.6.2).

``evaluate_accuracy_gpu`` runs (``evaluate_accuracy`` probe) on a linear classifier whose every
prediction is known here, over batches of uneven size, so that averaging per-batch accuracies
gives a different number from the true overall accuracy.

The real training runs ONCE per grading run (``train`` probe, shared by three of the checks below):
the worker trains a fresh LeNet on real Fashion-MNIST training images only (its ``test_iter`` is a
held-out slice of the training split, drawn here). The parent then loads the trained weights into
its own LeNet and measures the accuracy ITSELF on the official 10,000-image test set, which the
worker never sees. Of the numbers the submission reports, the last test accuracy is compared with
the parent's own measurement on the same held-out images, the first one-step run's training loss
(below) with the parent's on that batch, and ``examples_per_sec`` with the parent's clock: the whole
call, timed from outside, must not be faster than the rate reported for its training time. The
training accuracies are checked for their format.
``follows_lr`` runs ``train_ch6`` three more times, one step each on one random batch with three
learning rates (``learning_rate`` probe), and checks that the weights move in proportion to lr.

Budget and threshold: see the constants below and ``docs/training-threshold.md``; re-measure with
``python -m autograder.checks.training --calibrate 0-39 --jobs 2 [--budget book] [--device cuda]``.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch

from ..worker import netspec
from .framework import CheckFailed, Context, Exercise, SkipCheck, StopCheck, Text, type_name

EXERCISE = Exercise("training", modules=("training",))

# -- the training budgets (all in one place) -------------------------------------------------------
@dataclass(frozen=True)
class Budget:
    """How the grader trains the submission's ``train_ch6``, and the accuracy it then requires.

    The worker trains on ``train_images`` seeded random training images; ``held_out_images`` other
    training images form its ``test_iter``. ``threshold`` is the least accuracy on the official test
    set (None: measured and reported, not required). ``timeout`` bounds the training call.
    ``reference`` describes what the reference reaches (docs/training-threshold.md).
    """

    train_images: int
    held_out_images: int
    batch_size: int
    epochs: int
    lr: float
    threshold: float | None
    timeout: float
    reference: str


BUDGETS = {
    # The default. 150,000 training examples: about 21 s of CPU time on one thread (LeNet at batch
    # 64 trains at ~7,000 examples/s of CPU time), worker start included. The limit leaves room for
    # a loaded grading machine (35-139 s seen at load 5-14) and for a slower but correct loop.
    # Calibration over seeds 0-39: min 0.5357, mean 0.7074, max 0.7583; threshold = min - 0.05.
    "standard": Budget(50_000, 2_000, 64, 3, 0.5, 0.48, 300.0, "0.54-0.76, typically 0.71"),
    # The book's budget (d2l 6.6: 10 epochs, lr 0.9, batch 256): about 55 s of CPU time on one
    # thread, 12-15 s on a GPU (worker start included). Calibration over seeds 0-11, on a CPU, an
    # H200 and an H100: min 0.7904, mean 0.8103, max 0.8247; threshold = min - 0.05, rounded down.
    "book": Budget(58_000, 2_000, 256, 10, 0.9, 0.74, 900.0, "0.79-0.82, typically 0.81"),
    # A smoke test (CI, trying a course out): too short for the sigmoid LeNet to leave its plateau
    # near 0.10, so the accuracy is reported, not required. Never grade a class with it.
    "small": Budget(2_000, 500, 64, 1, 0.5, None, 300.0, "about 0.10 (the plateau)"),
}
DEFAULT_BUDGET = "standard"
#: Seed of the split, the shuffling and the initialisation when the run has no ``--seed``.
DEFAULT_SEED = 0
#: Images in Fashion-MNIST's training split, from which ``split`` draws the worker's images.
TRAINING_SPLIT = 60_000
#: How far the last reported ``test_acc`` may be from the parent's measurement on the same
#: held-out images: 20 of 2,000 images whose two best logits nearly tie (a GPU worker computes in
#: TF32, the parent in float32). A number from an earlier epoch is usually off by more.
REPORTED_ACCURACY_TOLERANCE = 0.01
#: The least reported ``examples_per_sec``, as a fraction of the rate the parent clocks for the whole
#: training call (epochs x images / its seconds, data loading and evaluations included). The rate of
#: training time alone is higher still, so a correct number is at least 1x; half allows a per-epoch
#: rate measured in an epoch that ran slower than the others. Counting one epoch (or batches), or
#: using milliseconds, lands at 1 / epochs or far lower.
EXAMPLES_PER_SEC_FLOOR = 0.5


def split(seed: int, b: Budget) -> tuple[torch.Tensor, torch.Tensor]:
    """(the images to train on, the held-out images of ``test_iter``) as indices into the training
    split: a seeded draw, so a run is repeatable and the parent knows which images were held out."""
    order = torch.randperm(TRAINING_SPLIT, generator=torch.Generator().manual_seed(seed))
    return order[:b.train_images], order[b.train_images:b.train_images + b.held_out_images]


def budget(ctx: Context) -> Budget:
    name = ctx.options.training_budget
    if name not in BUDGETS:
        raise StopCheck(Text(f"unknown training budget {name!r}; choose from {', '.join(BUDGETS)}",
                             f"未知的训练预算 {name!r}；可选 {', '.join(BUDGETS)}"), "error")
    return BUDGETS[name]


NOT_OBSERVED = Text("train_ch6 could not be observed (no trained weights came back)",
                    "无法检查 train_ch6（没有得到训练后的权重）")
DEVICE_HINT = Text("Call net.to(device) once, and X, y = X.to(device), y.to(device) for EVERY batch.",
                   "调用一次 net.to(device)，并对每个小批量执行 X, y = X.to(device), y.to(device)。")


# -- evaluate_accuracy_gpu -------------------------------------------------------------------------
def accuracy_case(seed: int) -> tuple[torch.Tensor, torch.Tensor, list, float, float]:
    """(W, b, batches, overall accuracy, mean of per-batch accuracies) for a 10-class linear model.

    With W = 3 I and inputs one-hot(prediction) + noise in [0, 0.3), every prediction is known
    with a wide margin; labels are the prediction (correct) or another class (wrong). The first
    batch has one correct example, so per-batch averaging overweights it.
    """
    generator = torch.Generator().manual_seed(seed)
    W, b = 3 * torch.eye(10), torch.zeros(10)
    while True:
        sizes = [1] + torch.randint(5, 40, (int(torch.randint(2, 5, (), generator=generator)),),
                                    generator=generator).tolist()
        batches, correct_per_batch = [], []
        for i, size in enumerate(sizes):
            predicted = torch.randint(0, 10, (size,), generator=generator)
            correct = torch.rand(size, generator=generator) < (1.0 if i == 0 else 0.5)
            shift = torch.randint(1, 10, (size,), generator=generator)
            y = torch.where(correct, predicted, (predicted + shift) % 10)
            X = torch.nn.functional.one_hot(predicted, 10).float() + 0.3 * torch.rand(size, 10, generator=generator)
            batches.append((X.reshape(size, 1, 2, 5), y))
            correct_per_batch.append(int(correct.sum()))
        overall = sum(correct_per_batch) / sum(sizes)
        per_batch = sum(c / n for c, n in zip(correct_per_batch, sizes)) / len(sizes)
        if abs(overall - per_batch) > 0.02:
            break
    # The parent's own count (from the model, not from the construction above) is the oracle.
    counted = sum(int((torch.nn.functional.linear(X.flatten(1), W, b).argmax(1) == y).sum()) for X, y in batches)
    assert counted == sum(correct_per_batch), "accuracy_case: predictions are not what they were built to be"
    assert abs(overall - per_batch) > 0.02, "accuracy_case: per-batch mean must differ from the overall accuracy"
    return W, b, batches, counted / sum(sizes), per_batch


def number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


@EXERCISE.check(4, "evaluate_accuracy_gpu counts every example over batches of uneven size "
                   "(device=None and device given), in evaluation mode",
                "evaluate_accuracy_gpu 在大小不一的小批量上按样本计数（device=None 与指定 device），并使用评估模式")
def evaluate_accuracy(ctx: Context) -> None:
    device = ctx.options.device
    # (device argument, where the network sits): None must mean "the network's device".
    settings = [(None, None), ("cpu", None)]
    if device != "cpu":
        settings += [(None, device), (device, device)]
    base = ctx.options.seed or DEFAULT_SEED
    for i in range(3):
        W, b, batches, expected, per_batch = accuracy_case(base + i)
        sizes = [len(y) for _, y in batches]
        for device_arg, net_device in settings:
            call = f"evaluate_accuracy_gpu(net, data_iter, device={device_arg!r})"
            where = f" (network on {net_device})" if net_device else ""
            observed = ctx.probe("evaluate_accuracy", W, b, batches, device_arg, net_device)
            got = observed["value"]
            if type(got) is bool or not number(got):
                raise CheckFailed(Text(f"{call} must return a Python float, got {type_name(got)}",
                                       f"{call} 应返回 Python float，实际返回 {type_name(got)}"),
                                  Text("Return correct / total as a float (use .item() on a tensor).",
                                       "返回 float 类型的 正确数 / 总数（张量请用 .item()）。"))
            if abs(got - expected) > 1e-6:
                averaged = abs(got - per_batch) < 1e-6
                text = Text(f"{call}{where} on batches of sizes {sizes}: expected {expected:.6f} "
                            f"(correct / all examples), got {got:.6f}",
                            f"{call}{where} 在大小为 {sizes} 的小批量上：期望 {expected:.6f}（正确数 / 样本总数），"
                            f"实际为 {got:.6f}")
                if averaged:
                    text = text + Text(", the mean of the per-batch accuracies", "，即各批精度的平均值")
                raise CheckFailed(text, Text("Sum the correct predictions and the example counts over all "
                                             "batches, then divide once (batches may differ in size).",
                                             "对所有小批量累加正确预测数和样本数，最后再相除一次（各批大小可能不同）。"))
            in_training_mode = observed["forwards_in_training_mode"]
            if in_training_mode:
                raise CheckFailed(Text(f"{call}{where}: {in_training_mode} of its {observed['forwards']} forward "
                                       f"passes ran in training mode (the net was handed over in training mode)",
                                       f"{call}{where}：{observed['forwards']} 次前向传播中有 {in_training_mode} 次"
                                       f"在训练模式下运行（传入的网络处于训练模式）"),
                                  Text("Call net.eval() before predicting: dropout and batch normalisation behave "
                                       "differently while training.",
                                       "预测前调用 net.eval()：暂退法和批量规范化在训练时的行为不同。"))
            # A device that is given is where every batch must go (on a CPU-only machine too).
            x_moved, y_moved = observed["x_moved"], observed["y_moved"]
            if device_arg is not None and (x_moved < len(batches) or y_moved < len(batches)):
                raise CheckFailed(Text(f"{call}{where} must move every batch to the device with .to(device): X was "
                                       f"moved in {x_moved} of {len(batches)} batches, y in {y_moved}",
                                       f"{call}{where} 应用 .to(device) 把每个小批量移到 device 上：{len(batches)} 个"
                                       f"小批量中，X 被移动了 {x_moved} 次，y 被移动了 {y_moved} 次"), DEVICE_HINT)


# -- train_ch6 -------------------------------------------------------------------------------------
def data_root(ctx: Context) -> str:
    """The Fashion-MNIST folder: ``options.data_root``, filled in here when nothing set it."""
    if ctx.options.data_root is None:
        from cnnkit import DatasetNotFoundError, find_fashion_mnist

        try:
            ctx.options.data_root = str(find_fashion_mnist(download=False))
        except DatasetNotFoundError:
            raise SkipCheck(Text("Fashion-MNIST not found: apt-get install dataset-fashion-mnist or set CNN_KIT_DATA",
                                 "未找到 Fashion-MNIST：请 apt-get install dataset-fashion-mnist 或设置 CNN_KIT_DATA")) from None
    return ctx.options.data_root


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
        raise CheckFailed(Text(f"train_ch6 changed the network it was given: {detail}",
                               f"train_ch6 改变了传入网络的结构：{detail}"),
                          Text("Train the net you are given; do not replace its layers.",
                               "请训练传入的 net，不要替换它的层。")) from None
    return net


def accuracy_of(state: Any, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Accuracy, measured here, of the book's LeNet with these weights on these images."""
    net = lenet_with(state)
    net.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(labels), 1000):
            logits = net(images[start:start + 1000])
            correct += int((logits.argmax(1) == labels[start:start + 1000]).sum())
    return correct / len(labels)


T = TypeVar("T")


def once(ctx: Context, key: str, observation: Callable[[], T]) -> T:
    """``observation()`` at most once per run, shared by the checks that read it: its answer, or the
    failure it raised, is kept in ``ctx.memo[key]``."""
    if key not in ctx.memo:
        try:
            ctx.memo[key] = ("ok", observation())
        except (CheckFailed, StopCheck) as exc:
            ctx.memo[key] = ("raised", exc)
    kind, value = ctx.memo[key]
    if kind == "raised":
        raise value
    return value


def trained(ctx: Context) -> dict:
    """The ``train`` probe's observation for this run, shared by three of the checks below, with
    ``wall_seconds``: how long the whole probe took, as the parent clocked it."""
    root = data_root(ctx)

    def train() -> dict:
        b, seed = budget(ctx), training_seed(ctx)
        started = time.perf_counter()
        seen = observe(ctx, "train", root, *split(seed, b), b.batch_size, b.epochs, b.lr,
                       ctx.options.device, seed, timeout=b.timeout)
        if not isinstance(seen.get("state"), dict):
            raise CheckFailed(NOT_OBSERVED)
        # Clocked here, so whatever the worker sent under this name is replaced.
        return seen | {"wall_seconds": time.perf_counter() - started}

    return once(ctx, "trained", train)


def observe(ctx: Context, probe: str, *args: Any, timeout: float | None = None) -> dict:
    """Run one of the worker's training probes; its observation (a dict) or the reason there is none."""
    seen = ctx.probe(probe, *args, timeout=timeout)
    if isinstance(seen, dict) and seen.get("cuda_unavailable") is True:
        raise StopCheck(Text("the grading worker cannot use CUDA although this machine can: grade with "
                             "--device cpu, or give the sandbox the GPU (docs/sandbox.md)",
                             "评分工作进程无法使用 CUDA（本机可以）：请使用 --device cpu 评分，"
                             "或让沙箱可以访问 GPU（见 docs/sandbox.md）"), "error")
    if not isinstance(seen, dict):
        raise CheckFailed(Text(f"train_ch6 could not be observed (got {type_name(seen)})",
                               f"无法检查 train_ch6（得到 {type_name(seen)}）"))
    return seen


def training_seed(ctx: Context) -> int:
    """The seed of this run's split, shuffling and initialisation."""
    return ctx.options.seed if ctx.options.seed is not None else DEFAULT_SEED


# -- one step on one batch, with three learning rates ----------------------------------------------
#: The ``learning_rate`` probe's learning rates. Each run of ``train_ch6`` takes one step on the
#: same batch from the same start, and SGD (like any optimizer whose first step is lr times
#: something) moves the weights by -lr * gradient: the move from lr 0.2 to 0.4 is twice the move
#: from 0.1 to 0.2. A fixed lr moves them not at all; lr squared, four times as far.
PROBE_LRS = (0.1, 0.2, 0.4)
#: How many times as far the second raise of lr moves the weights as the first.
LR_STEP_RATIO = (PROBE_LRS[2] - PROBE_LRS[1]) / (PROBE_LRS[1] - PROBE_LRS[0])
#: How far the second move may be from twice the first, relative to its length (a GPU worker
#: computes in TF32 and may sum gradients in another order).
LR_SCALING_TOLERANCE = 0.05
#: Seconds the three one-step trainings may take: well under one on a CPU, but a GPU worker whose
#: training timed out starts afresh and may first compile its kernels.
LR_PROBE_TIMEOUT = 120.0
#: How far a one-step run's reported training loss may be from the grader's, relative to it (a GPU
#: worker computes in TF32).
LOSS_TOLERANCE = 0.02


def lr_probe_batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``learning_rate`` probe's one batch: 64 seeded random images and labels (no data set
    needed: any batch has a gradient)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(64, 1, 28, 28, generator=generator), torch.randint(0, 10, (64,), generator=generator)


def one_steps(ctx: Context) -> dict:
    """The ``learning_rate`` probe's observation for this run: the weights and the history of each
    one-step run (``states``, ``histories``), shared by ``follows_lr`` and ``history_format``."""
    def step() -> dict:
        seed = training_seed(ctx)
        seen = observe(ctx, "learning_rate", *lr_probe_batch(seed), list(PROBE_LRS), ctx.options.device,
                       seed, timeout=LR_PROBE_TIMEOUT)
        states, histories = seen.get("states"), seen.get("histories")
        if not (isinstance(states, list) and isinstance(histories, list) and len(states) == len(histories)
                == len(PROBE_LRS)):
            raise CheckFailed(NOT_OBSERVED)
        return seen

    return once(ctx, "one_steps", step)


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
    low, middle, high = (torch.cat([p.double().flatten() for p in lenet_with(state).state_dict().values()])
                         for state in states)
    first, second = middle - low, high - middle
    if max(first.norm(), second.norm()) <= 1e-7 * low.norm():
        return None
    factor = float(second @ first / (first @ first)) if first.norm() > 0 else math.inf
    deviation = float((second - LR_STEP_RATIO * first).norm() / max(second.norm(), LR_STEP_RATIO * first.norm()))
    return factor, deviation


def lr_moves(ctx: Context) -> tuple[float, float] | None:
    """``lr_response`` of this run's one-step runs, computed once: ``follows_lr`` judges it, and
    ``history_format`` reads the reported loss only where it holds."""
    return once(ctx, "lr_moves", lambda: lr_response(one_steps(ctx)["states"]))


def call_text(ctx: Context) -> str:
    b = budget(ctx)
    return (f"train_ch6(lenet, train_iter, test_iter, num_epochs={b.epochs}, lr={b.lr:g}, "
            f"device={ctx.options.device!r}) (batch size {b.batch_size}, {b.train_images:,} training images)")


@EXERCISE.check(2, "train_ch6 returns the history: per epoch train_loss (the mean cross-entropy per example), "
                   "train_acc and test_acc (measured on all of test_iter after each epoch, the last as the grader "
                   "measures it), and examples_per_sec (the examples of all epochs per second of training)",
                "train_ch6 返回训练记录：每个迭代周期的 train_loss（每个样本的平均交叉熵）、train_acc 和 test_acc"
                "（每个迭代周期结束后在整个 test_iter 上测得，最后一项须与评分程序测得的精度一致），以及 examples_per_sec"
                "（所有迭代周期的样本数除以训练秒数）")
def history_format(ctx: Context) -> Text:
    history = trained(ctx).get("history")
    call, epochs = call_text(ctx), budget(ctx).epochs
    if not isinstance(history, dict):
        raise CheckFailed(Text(f"{call} must return a dict, got {type_name(history)}",
                               f"{call} 应返回 dict，实际返回 {type_name(history)}"))
    for key in ("train_loss", "train_acc", "test_acc"):
        values = history.get(key)
        if not isinstance(values, list) or len(values) != epochs:
            got = f"a list of {len(values)}" if isinstance(values, list) else type_name(values)
            raise CheckFailed(Text(f"{call}: history[{key!r}] must be a list with one value per epoch "
                                   f"({epochs}), got {got}",
                                   f"{call}：history[{key!r}] 应为每个迭代周期一项（共 {epochs} 项）的列表，实际为 {got}"))
        for value in values:
            low, high = (0.0, 1.0) if key.endswith("acc") else (0.0, math.inf)
            if type(value) is bool or not number(value) or not low <= value <= high:
                shown = repr(value) if number(value) else type_name(value)
                meaning = "a fraction in [0, 1]" if key.endswith("acc") else "a finite number >= 0"
                raise CheckFailed(Text(f"{call}: history[{key!r}] holds {shown}; each value must be {meaning} "
                                       f"(a Python float: use .item())",
                                       f"{call}：history[{key!r}] 中有 {shown}；每个值都应是"
                                       f"{'[0, 1] 之间的比例' if key.endswith('acc') else '有限的非负数'}"
                                       f"（Python float：请用 .item()）"))
    speed = history.get("examples_per_sec")
    if type(speed) is bool or not number(speed) or speed <= 0:
        shown = repr(speed) if number(speed) else type_name(speed)
        raise CheckFailed(Text(f"{call}: history['examples_per_sec'] must be a positive number, got {shown}",
                               f"{call}：history['examples_per_sec'] 应为正数，实际为 {shown}"))
    expect_examples_per_sec(ctx, speed)
    ctx.attach("training.png", training_curve(history))
    expect_test_iter_evaluated(ctx, trained(ctx).get("test_batches"))
    expect_measured_test_accuracy(ctx, history["test_acc"][-1])
    expect_mean_training_loss(ctx)
    return curve_in_numbers(history)


def expect_examples_per_sec(ctx: Context, reported: float) -> None:
    """Fail unless the reported training speed is at least ``EXAMPLES_PER_SEC_FLOOR`` of the speed
    the parent clocked for the whole ``train`` probe: every example of every epoch, over the seconds
    the call took from outside (which only adds to the training time)."""
    b = budget(ctx)
    examples, seconds = b.epochs * b.train_images, trained(ctx)["wall_seconds"]
    clocked = examples / seconds
    if reported < EXAMPLES_PER_SEC_FLOOR * clocked:
        call = call_text(ctx)
        raise CheckFailed(Text(f"{call}: history['examples_per_sec'] is {reported:,.1f}, but the call trained "
                               f"{examples:,} examples ({b.epochs} x {b.train_images:,}) in {seconds:.1f} s as the "
                               f"grader clocked it from outside, data loading and evaluations included: "
                               f"{clocked:,.0f} per second",
                               f"{call}：history['examples_per_sec'] 为 {reported:,.1f}，但评分程序从外部计时，"
                               f"这次调用在 {seconds:.1f} 秒内（含读取数据和评估）训练了 {examples:,} 个样本"
                               f"（{b.epochs} x {b.train_images:,}），即每秒 {clocked:,.0f} 个"),
                          Text("Count every training example of every epoch (metric[2] * num_epochs if the metric "
                               "holds one epoch) and divide by the seconds of training (timer.sum()).",
                               "统计所有迭代周期中的全部训练样本（若 metric 只含一个迭代周期，则为 "
                               "metric[2] * num_epochs），再除以训练所用的秒数（timer.sum()）。"))


def expect_mean_training_loss(ctx: Context) -> None:
    """Fail unless the first one-step run reports, as its epoch's training loss, the mean
    cross-entropy per example of its batch, as the grader measures it for the weights before the step
    (or after it, for a loop that measures the loss in a pass of its own). Where the one-step runs
    cannot tell (they failed, or did not move the weights in proportion to lr), that is
    ``follows_lr``'s failure, not this check's."""
    try:
        seen = one_steps(ctx)
        response = lr_moves(ctx)
    except CheckFailed:
        return
    history = seen["histories"][0]
    reported = history.get("train_loss") if isinstance(history, dict) else None
    if (response is None or response[1] > LR_SCALING_TOLERANCE or not isinstance(reported, list)
            or len(reported) != 1 or type(reported[0]) is bool or not number(reported[0])):
        return
    X, y = lr_probe_batch(training_seed(ctx))
    before, after = mean_loss(initial_state(seen["states"]), X, y), mean_loss(seen["states"][0], X, y)
    if min(abs(reported[0] - before) / before, abs(reported[0] - after) / after) > LOSS_TOLERANCE:
        call = f"train_ch6(net, [(X, y)], [(X, y)], num_epochs=1, lr={PROBE_LRS[0]:g}) (one batch of {len(y)})"
        raise CheckFailed(Text(f"{call}: history['train_loss'] is [{reported[0]:.4g}], but the mean cross-entropy "
                               f"per example on that batch is {before:.4f} before the step ({after:.4f} after it), "
                               f"as measured by the grader",
                               f"{call}：history['train_loss'] 为 [{reported[0]:.4g}]，但评分程序测得该小批量上每个样本的"
                               f"平均交叉熵在这一步之前为 {before:.4f}（之后为 {after:.4f}）"),
                          Text("Per batch add the mean loss times the batch size (l * y.numel()); at the end of "
                               "the epoch divide the sum by the number of examples.",
                               "每个小批量累加 平均损失 × 批量大小（l * y.numel()），迭代周期结束时再除以样本总数。"))


def expect_test_iter_evaluated(ctx: Context, taken: Any) -> None:
    """Fail unless ``train_ch6`` took every batch of ``test_iter`` once per epoch (at least): the
    test accuracies must be measured there, not on ``train_iter``, whose accuracy is close."""
    b = budget(ctx)
    per_epoch = math.ceil(b.held_out_images / b.batch_size)
    if type(taken) is not int or taken < b.epochs * per_epoch:
        shown = taken if type(taken) is int else type_name(taken)
        raise CheckFailed(Text(f"{call_text(ctx)}: train_ch6 took {shown} batches from test_iter in {b.epochs} "
                               f"epoch{'s' if b.epochs != 1 else ''}; measuring history['test_acc'] on all of test_iter after every epoch takes "
                               f"{b.epochs * per_epoch} ({per_epoch} per epoch)",
                               f"{call_text(ctx)}：train_ch6 在 {b.epochs} 个迭代周期中只从 test_iter 取了 {shown} "
                               f"个小批量；每个迭代周期结束后在整个 test_iter 上测量 history['test_acc'] 需要取 "
                               f"{b.epochs * per_epoch} 个（每个迭代周期 {per_epoch} 个）"),
                          Text("After each epoch, append evaluate_accuracy_gpu(net, test_iter) to history['test_acc'] "
                               "(test_iter, not train_iter).",
                               "每个迭代周期结束后，把 evaluate_accuracy_gpu(net, test_iter) 追加到 history['test_acc']"
                               "（是 test_iter，不是 train_iter）。"))


def expect_measured_test_accuracy(ctx: Context, reported: float) -> None:
    """Fail unless the last reported test accuracy is what the grader measures for the trained weights
    on ``test_iter``'s held-out images. Weights that cannot be evaluated are ``reaches_accuracy``'s
    failure, not this check's."""
    images, labels = held_out_set(data_root(ctx), training_seed(ctx), budget(ctx))
    try:
        measured = accuracy_of(trained(ctx).get("state"), images, labels)
    except CheckFailed:
        return
    if abs(reported - measured) > REPORTED_ACCURACY_TOLERANCE:
        call = call_text(ctx)
        raise CheckFailed(Text(f"{call}: history['test_acc'] ends with {reported:.4f}, but the trained network "
                               f"classifies {measured:.4f} of test_iter's {len(labels):,} images correctly (measured "
                               f"by the grader)",
                               f"{call}：history['test_acc'] 的最后一项为 {reported:.4f}，但训练后的网络在 test_iter 的 "
                               f"{len(labels):,} 张图像上的精度为 {measured:.4f}（由评分程序测量）"),
                          Text("After each epoch's training, evaluate the net on test_iter "
                               "(evaluate_accuracy_gpu(net, test_iter)) and append that number to history['test_acc'].",
                               "每个迭代周期训练结束后，在 test_iter 上评估网络（evaluate_accuracy_gpu(net, test_iter)），"
                               "并把结果追加到 history['test_acc']。"))


def curve_in_numbers(history: dict) -> Text:
    """The reported curve as numbers, for the reports that cannot show training.png (text,
    Gradescope): one line per curve, one value per epoch."""
    rows = [(key.replace("_", " "), " ".join(f"{value:.3f}" for value in history[key]))
            for key in ("train_loss", "train_acc", "test_acc")]
    lines = "".join(f"\n    {name:<10} {values}" for name, values in rows)
    return Text(f"per epoch, as training.png draws it:{lines}", f"每个迭代周期的数值（即 training.png 中的曲线）：{lines}")


def training_curve(history: dict) -> bytes:
    """The book's figure of the history the submission reported, drawn here as a PNG."""
    import io

    from cnnkit import plot_history

    png = io.BytesIO()
    plot_history(history, png)
    return png.getvalue()


@EXERCISE.check(3, "train_ch6 moves the model and every training batch (X and y) to the device",
                "train_ch6 把模型和每个训练小批量（X 与 y）都移到 device 上")
def uses_device(ctx: Context) -> None:
    seen = trained(ctx)
    device = ctx.options.device
    if seen.get("model_moved") is not True:
        raise CheckFailed(Text(f"train_ch6 never called net.to(device) (device {device})",
                               f"train_ch6 没有调用 net.to(device)（device 为 {device}）"), DEVICE_HINT)
    handed, moved = seen.get("batch_tensors"), seen.get("batch_tensors_moved")
    if type(handed) is not int or type(moved) is not int or handed <= 0:
        raise CheckFailed(Text("train_ch6 did not iterate over train_iter", "train_ch6 没有遍历 train_iter"))
    if moved != handed:
        batches, x_moved, y_moved = seen.get("batches"), seen.get("x_moved"), seen.get("y_moved")
        raise CheckFailed(Text(f"train_ch6 must move every training batch to the device with .to(device): X was "
                               f"moved in {x_moved} of {batches} batches, y in {y_moved} of {batches}",
                               f"train_ch6 应用 .to(device) 把每个训练小批量移到 device 上：{batches} 个小批量中，"
                               f"X 被移动了 {x_moved} 次，y 被移动了 {y_moved} 次"), DEVICE_HINT)
    devices = seen.get("param_devices")
    kind = torch.device(device).type
    if not isinstance(devices, list) or not devices or not all(
            isinstance(d, str) and d.split(":")[0] == kind for d in devices):
        raise CheckFailed(Text(f"after train_ch6 the parameters are on {devices}, expected {device}",
                               f"train_ch6 结束后参数位于 {devices}，期望 {device}"), DEVICE_HINT)


@EXERCISE.check(5, "the trained LeNet reaches the training budget's accuracy threshold on the official test set "
                   "(measured by the grader)",
                "训练后的 LeNet 在官方测试集上达到训练预算规定的精度阈值（由评分程序测量）")
def reaches_accuracy(ctx: Context) -> Text:
    seen = trained(ctx)
    accuracy = accuracy_of(seen.get("state"), *official_test_set(data_root(ctx)))
    b, call = budget(ctx), call_text(ctx)
    if b.threshold is None:  # the smoke-test budget: measured and reported, not required
        return Text(f"test accuracy {accuracy:.4f} (the {ctx.options.training_budget!r} training budget "
                    f"requires no threshold)",
                    f"测试精度 {accuracy:.4f}（{ctx.options.training_budget!r} 训练预算不要求精度阈值）")
    if accuracy < b.threshold:
        raise CheckFailed(Text(f"{call}: the trained network classifies {accuracy:.4f} of the 10,000 "
                               f"official test images correctly; at least {b.threshold:.2f} is required (the "
                               f"reference reaches {b.reference} with this budget)",
                               f"{call}：训练后的网络在 10,000 张官方测试图像上的精度为 {accuracy:.4f}；"
                               f"至少需要 {b.threshold:.2f}（参考实现在此预算下为 {b.reference}）"),
                          Text("Initialise with xavier_uniform_, use nn.CrossEntropyLoss, and per batch: "
                               "optimizer.zero_grad(), loss.backward(), optimizer.step().",
                               "用 xavier_uniform_ 初始化、使用 nn.CrossEntropyLoss，每个小批量依次执行 "
                               "optimizer.zero_grad()、loss.backward()、optimizer.step()。"))
    return Text(f"test accuracy {accuracy:.4f} (required: {b.threshold:.2f}; the reference reaches {b.reference})",
                f"测试精度 {accuracy:.4f}（要求：{b.threshold:.2f}；参考实现为 {b.reference}）")


@EXERCISE.check(2, "train_ch6 trains with the lr it is given: one step on the same batch from the same start "
                   "moves the weights in proportion to lr",
                "train_ch6 使用传入的 lr 训练：从同一初始权重出发在同一小批量上走一步，权重的变化与 lr 成正比")
def follows_lr(ctx: Context) -> Text:
    runs = (f"train_ch6(net, [(X, y)], [(X, y)], num_epochs=1, lr=...) with lr = "
            f"{', '.join(f'{lr:g}' for lr in PROBE_LRS)}, each from the same initial weights")
    hint = Text("Give the optimizer the lr argument: torch.optim.SGD(net.parameters(), lr=lr).",
                "把参数 lr 传给优化器：torch.optim.SGD(net.parameters(), lr=lr)。")
    response = lr_moves(ctx)
    if response is None:
        raise CheckFailed(Text(f"{runs}: every run left the same weights, so train_ch6 does not train with the lr "
                               f"it is given", f"{runs}：每次运行得到的权重都相同，说明 train_ch6 没有用传入的 lr 训练"),
                          hint)
    factor, deviation = response
    if deviation > LR_SCALING_TOLERANCE:
        raise CheckFailed(Text(f"{runs}: raising lr from {PROBE_LRS[1]:g} to {PROBE_LRS[2]:g} moved the weights "
                               f"{factor:.3g} times as far as raising it from {PROBE_LRS[0]:g} to {PROBE_LRS[1]:g}; "
                               f"a step of lr * gradient moves them {LR_STEP_RATIO:g} times as far",
                               f"{runs}：把 lr 从 {PROBE_LRS[1]:g} 提高到 {PROBE_LRS[2]:g} 时权重的变化是从 "
                               f"{PROBE_LRS[0]:g} 提高到 {PROBE_LRS[1]:g} 时的 {factor:.3g} 倍；每步移动 lr * 梯度时"
                               f"应为 {LR_STEP_RATIO:g} 倍"), hint)
    return Text(f"the weights moved in proportion to lr (factor {factor:.3f}, expected {LR_STEP_RATIO:g})",
                f"权重的变化与 lr 成正比（倍数 {factor:.3f}，期望 {LR_STEP_RATIO:g}）")


# -- calibration -------------------------------------------------------------------------------------
#: The reference's test accuracy per seed, per budget and device, as measured by ``--calibrate
#: --record``; ``tests/test_training.py`` checks every threshold against it.
CALIBRATION_FILE = Path(__file__).with_name("training_calibration.json")


def load_calibration() -> dict:
    return json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")) if CALIBRATION_FILE.exists() else {}


def record_calibration(budget_name: str, device: str, accuracies: dict[int, float]) -> None:
    """Store (replace) the accuracies of one budget on one kind of device."""
    import datetime

    data = load_calibration()
    kind = torch.device(device).type
    data[f"{budget_name}/{kind}"] = {
        "budget": dataclasses.asdict(BUDGETS[budget_name]), "device": kind, "torch": torch.__version__,
        "date": datetime.date.today().isoformat(),
        "device_name": torch.cuda.get_device_name() if kind == "cuda" else "CPU, one thread per worker",
        "accuracy": {str(seed): round(value, 4) for seed, value in sorted(accuracies.items())},
    }
    CALIBRATION_FILE.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n", encoding="utf-8")


def calibrate(seeds: list[int], jobs: int = 1, budget_name: str = DEFAULT_BUDGET, device: str = "cpu") -> list[dict]:
    """Train the reference with a budget once per seed, each in a fresh worker (the real grading
    path), and measure each result on the official test set here."""
    import os
    import tempfile
    import time
    from concurrent.futures import ThreadPoolExecutor

    from cnnkit import find_fashion_mnist

    from ..load import reference_submission
    from ..worker.client import WorkerConfig, WorkerProcess, prepare_space

    root = str(find_fashion_mnist(download=False))
    files = reference_submission().files
    b = BUDGETS[budget_name]

    def worker_cpu_seconds(pid: int) -> float:
        """User + system CPU time of a live worker and its descendants (a sandbox launcher may sit
        between us and Python); Linux /proc only, NaN elsewhere."""
        try:
            total, todo = 0, [pid]
            while todo:
                current = todo.pop()
                with open(f"/proc/{current}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
                for task in os.listdir(f"/proc/{current}/task"):
                    with open(f"/proc/{current}/task/{task}/children") as children:
                        todo += [int(child) for child in children.read().split()]
            return total / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return float("nan")

    def one(seed: int) -> dict:
        with tempfile.TemporaryDirectory(prefix="cnnkit-calibrate-") as scratch:
            config = WorkerConfig(gpu=torch.device(device).type == "cuda")
            worker = WorkerProcess(prepare_space(Path(scratch) / "worker", files), config)
            try:
                assert worker.request({"op": "load", "modules": ["training"]}).get("ok")
                start = time.perf_counter()
                reply = worker.request({"op": "probe", "probe": "train", "args": [
                    root, *split(seed, b), b.batch_size, b.epochs, b.lr, device, seed]},
                    b.timeout * 4)
                seconds = time.perf_counter() - start
                cpu = worker_cpu_seconds(worker.process.pid)
            finally:
                worker.kill()
        seen = reply.get("value")
        if not reply.get("ok") or not isinstance(seen, dict) or "state" not in seen:
            raise RuntimeError(f"seed {seed}: the reference did not train: {reply}")
        return {"seed": seed, "accuracy": accuracy_of(seen["state"], *official_test_set(root)),
                "seconds": seconds, "cpu": cpu, "held_out": seen["history"]["test_acc"],
                "examples_per_sec": seen["history"]["examples_per_sec"]}

    with ThreadPoolExecutor(jobs) as pool:
        results = []
        for result in pool.map(one, seeds):
            print(f"seed {result['seed']:3d}  test accuracy {result['accuracy']:.4f}  held-out per epoch "
                  f"{[round(a, 4) for a in result['held_out']]}  {result['seconds']:.1f} s wall, {result['cpu']:.1f} s CPU  "
                  f"{result['examples_per_sec']:.0f} examples/s (own timer)", flush=True)
            results.append(result)
    accuracies = [r["accuracy"] for r in results]
    cpu = sorted(r["cpu"] for r in results)
    print(f"min {min(accuracies):.4f}  mean {sum(accuracies) / len(accuracies):.4f}  max {max(accuracies):.4f}  "
          f"median CPU seconds per training (worker process, start included) {cpu[len(cpu) // 2]:.1f}")
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Calibrate the train_ch6 accuracy threshold.")
    parser.add_argument("--calibrate", default="0-19", help="seeds, e.g. 0-19 or 3,5,8")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--budget", choices=BUDGETS, default=DEFAULT_BUDGET)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--record", action="store_true",
                        help=f"store the accuracies in {CALIBRATION_FILE.name} (the threshold test reads them)")
    args = parser.parse_args()
    spec = args.calibrate
    chosen = (list(range(int(spec.split("-")[0]), int(spec.split("-")[1]) + 1)) if "-" in spec
              else [int(s) for s in spec.split(",")])
    measured = calibrate(chosen, args.jobs, args.budget, args.device)
    if args.record:
        record_calibration(args.budget, args.device, {r["seed"]: r["accuracy"] for r in measured})
