"""Hidden checks of ``train_ch6``, one claim each, judged on the run's observations.

One real training (``TRAINED``) serves the device, history and accuracy checks: the grader loads the
trained weights into its own LeNet and measures the accuracy itself on the official test set, which
the worker never sees. Of the numbers the submission reports, the last test accuracy is compared
with the grader's measurement on the same held-out images, the loss with the grader's on the
one-step runs' batch, and ``examples_per_sec`` with the grader's clock: the whole call, timed from
outside, must not be faster than the rate reported for its training time. ``follows_lr`` judges the
one-step runs (``ONE_STEPS``): the weights move in proportion to lr.
"""

from __future__ import annotations

import io
import math
from typing import Any

import torch

from ...text import Text
from ...training_budgets import accuracy_credit
from ..framework import CheckFailed, Context, Partial, Verdict, checks_of, type_name
from .budgets import training_seed
from .evaluate import DEVICE_HINT
from .observations import (
    LR_RESPONSE,
    LR_STEP_RATIO,
    ONE_STEPS,
    PROBE_LRS,
    TRAINED,
    accuracy_of,
    budget,
    call_text,
    data_root,
    held_out_set,
    initial_state,
    lr_probe_batch,
    mean_loss,
    number,
    official_test_set,
)

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
#: How far the second lr move may be from twice the first, relative to its length (a GPU worker
#: computes in TF32 and may sum gradients in another order).
LR_SCALING_TOLERANCE = 0.05
#: How far a one-step run's reported training loss may be from the grader's, relative to it (a GPU
#: worker computes in TF32).
LOSS_TOLERANCE = 0.02
CURVES = ("train_loss", "train_acc", "test_acc")
#: The checks of ``train_ch6``, in order (after ``evaluate.EVALUATE``'s).
TRAIN = checks_of("training")


# -- where training runs ---------------------------------------------------------------------------
@TRAIN.rule(
    1,
    "train_ch6 moves the model to the device (net.to(device)): its parameters end up there",
    "train_ch6 把模型移到 device 上（net.to(device)）：训练后参数位于该设备",
    needs=(TRAINED,),
)
def moves_model(ctx: Context, seen: dict) -> None:
    device = ctx.settings.device
    if seen.get("model_moved") is not True:
        raise CheckFailed(
            Text(
                f"train_ch6 never called net.to(device) (device {device})",
                f"train_ch6 没有调用 net.to(device)（device 为 {device}）",
            ),
            DEVICE_HINT,
        )
    devices, kind = seen.get("param_devices"), torch.device(device).type
    if (
        not isinstance(devices, list)
        or not devices
        or not all(isinstance(d, str) and d.split(":")[0] == kind for d in devices)
    ):
        raise CheckFailed(
            Text(
                f"after train_ch6 the parameters are on {devices}, expected {device}",
                f"train_ch6 结束后参数位于 {devices}，期望 {device}",
            ),
            DEVICE_HINT,
        )


@TRAIN.rule(
    2,
    "train_ch6 moves every training batch (X and y) to the device",
    "train_ch6 把每个训练小批量（X 与 y）都移到 device 上",
    needs=(TRAINED,),
)
def moves_batches(ctx: Context, seen: dict) -> None:
    handed, moved = seen.get("batch_tensors"), seen.get("batch_tensors_moved")
    if type(handed) is not int or type(moved) is not int or handed <= 0:
        raise CheckFailed(Text("train_ch6 did not iterate over train_iter", "train_ch6 没有遍历 train_iter"))
    if moved != handed:
        batches, x_moved, y_moved = seen.get("batches"), seen.get("x_moved"), seen.get("y_moved")
        raise CheckFailed(
            Text(
                f"train_ch6 must move every training batch to the device with .to(device): X was "
                f"moved in {x_moved} of {batches} batches, y in {y_moved} of {batches}",
                f"train_ch6 应用 .to(device) 把每个训练小批量移到 device 上：{batches} 个小批量中，"
                f"X 被移动了 {x_moved} 次，y 被移动了 {y_moved} 次",
            ),
            DEVICE_HINT,
        )


# -- the history it returns ------------------------------------------------------------------------
def curve(ctx: Context, history: Any, key: str) -> list[float]:
    """``history[key]``: one number per epoch (an accuracy in [0, 1], a loss >= 0), or CheckFailed."""
    call, epochs = call_text(ctx), budget(ctx).epochs
    if not isinstance(history, dict):
        raise CheckFailed(
            Text(
                f"{call} must return a dict, got {type_name(history)}",
                f"{call} 应返回 dict，实际返回 {type_name(history)}",
            )
        )
    values = history.get(key)
    if not isinstance(values, list) or len(values) != epochs:
        got = f"a list of {len(values)}" if isinstance(values, list) else type_name(values)
        raise CheckFailed(
            Text(
                f"{call}: history[{key!r}] must be a list with one value per epoch ({epochs}), got {got}",
                f"{call}：history[{key!r}] 应为每个迭代周期一项（共 {epochs} 项）的列表，实际为 {got}",
            )
        )
    accuracy = key.endswith("acc")
    for value in values:
        if type(value) is bool or not number(value) or not (0.0 <= value <= (1.0 if accuracy else math.inf)):
            shown = repr(value) if number(value) else type_name(value)
            meaning = (
                ("a fraction in [0, 1]", "[0, 1] 之间的比例") if accuracy else ("a finite number >= 0", "有限的非负数")
            )
            raise CheckFailed(
                Text(
                    f"{call}: history[{key!r}] holds {shown}; each value must be {meaning[0]} "
                    f"(a Python float: use .item())",
                    f"{call}：history[{key!r}] 中有 {shown}；每个值都应是{meaning[1]}（Python float：请用 .item()）",
                )
            )
    return values


def speed(ctx: Context, history: Any) -> float:
    """``history['examples_per_sec']``: a positive number, or CheckFailed."""
    value = history.get("examples_per_sec") if isinstance(history, dict) else None
    if not isinstance(history, dict) or type(value) is bool or not number(value) or value <= 0:
        shown = repr(value) if number(value) else type_name(value if isinstance(history, dict) else history)
        raise CheckFailed(
            Text(
                f"{call_text(ctx)}: history['examples_per_sec'] must be a positive number, got {shown}",
                f"{call_text(ctx)}：history['examples_per_sec'] 应为正数，实际为 {shown}",
            )
        )
    return value


def curve_in_numbers(history: dict) -> Text:
    """The reported curve as numbers, for the reports that cannot show training.png (text,
    Gradescope): one line per curve, one value per epoch."""
    rows = [(key.replace("_", " "), " ".join(f"{value:.3f}" for value in history[key])) for key in CURVES]
    lines = "".join(f"\n    {name:<10} {values}" for name, values in rows)
    return Text(
        f"per epoch, as training.png draws it:{lines}", f"每个迭代周期的数值（即 training.png 中的曲线）：{lines}"
    )


def training_curve(history: dict) -> bytes:
    """The book's figure of the history the submission reported, drawn here as a PNG."""
    from cnnkit import plot_history

    png = io.BytesIO()
    plot_history(history, png)
    return png.getvalue()


@TRAIN.check(
    1,
    "train_ch6 returns the history: one train_loss, train_acc and test_acc per epoch, and examples_per_sec",
    "train_ch6 返回训练记录：每个迭代周期一项 train_loss、train_acc 与 test_acc，以及 examples_per_sec",
    needs=(TRAINED,),
)
def history_format(ctx: Context, seen: dict) -> Text:
    history = seen.get("history")
    for key in CURVES:
        curve(ctx, history, key)
    speed(ctx, history)
    ctx.attach("training.png", training_curve(history))
    return curve_in_numbers(history)


@TRAIN.check(
    1,
    "train_ch6 measures test_acc on all of test_iter after every epoch",
    "train_ch6 每个迭代周期结束后在整个 test_iter 上测量 test_acc",
    needs=(TRAINED,),
)
def evaluates_test_iter(ctx: Context, seen: dict) -> None:
    """Every batch of ``test_iter`` taken once per epoch (at least): the test accuracies must be
    measured there, not on ``train_iter``, whose accuracy is close."""
    b, taken = budget(ctx), seen.get("test_batches")
    per_epoch = math.ceil(b.held_out_images / b.batch_size)
    if type(taken) is not int or taken < b.epochs * per_epoch:
        shown = taken if type(taken) is int else type_name(taken)
        epochs = f"{b.epochs} epoch{'s' if b.epochs != 1 else ''}"
        raise CheckFailed(
            Text(
                f"{call_text(ctx)}: train_ch6 took {shown} batches from test_iter in {epochs}; measuring "
                f"history['test_acc'] on all of test_iter after every epoch takes {b.epochs * per_epoch} "
                f"({per_epoch} per epoch)",
                f"{call_text(ctx)}：train_ch6 在 {b.epochs} 个迭代周期中只从 test_iter 取了 {shown} "
                f"个小批量；每个迭代周期结束后在整个 test_iter 上测量 history['test_acc'] 需要取 "
                f"{b.epochs * per_epoch} 个（每个迭代周期 {per_epoch} 个）",
            ),
            Text(
                "After each epoch, append evaluate_accuracy_gpu(net, test_iter) to history['test_acc'] "
                "(test_iter, not train_iter).",
                "每个迭代周期结束后，把 evaluate_accuracy_gpu(net, test_iter) 追加到 history['test_acc']"
                "（是 test_iter，不是 train_iter）。",
            ),
        )


@TRAIN.check(
    1,
    "history['test_acc'] ends with the trained network's accuracy on test_iter, as the grader measures it",
    "history['test_acc'] 的最后一项等于训练后网络在 test_iter 上的精度（由评分程序测量）",
    needs=(TRAINED,),
)
def reports_test_accuracy(ctx: Context, seen: dict) -> None:
    reported = curve(ctx, seen.get("history"), "test_acc")[-1]
    images, labels = held_out_set(data_root(ctx), training_seed(ctx.settings), budget(ctx))
    try:
        measured = accuracy_of(seen.get("state"), images, labels)
    except CheckFailed:  # weights that cannot be evaluated are reaches_accuracy's failure, not this claim's
        return
    if abs(reported - measured) > REPORTED_ACCURACY_TOLERANCE:
        call = call_text(ctx)
        raise CheckFailed(
            Text(
                f"{call}: history['test_acc'] ends with {reported:.4f}, but the trained network "
                f"classifies {measured:.4f} of test_iter's {len(labels):,} images correctly (measured "
                f"by the grader)",
                f"{call}：history['test_acc'] 的最后一项为 {reported:.4f}，但训练后的网络在 test_iter 的 "
                f"{len(labels):,} 张图像上的精度为 {measured:.4f}（由评分程序测量）",
            ),
            Text(
                "After each epoch's training, evaluate the net on test_iter "
                "(evaluate_accuracy_gpu(net, test_iter)) and append that number to history['test_acc'].",
                "每个迭代周期训练结束后，在 test_iter 上评估网络（evaluate_accuracy_gpu(net, test_iter)），"
                "并把结果追加到 history['test_acc']。",
            ),
        )


@TRAIN.check(
    0.5,
    "history['train_loss'] is the mean cross-entropy per example (one step on one batch, "
    "against the grader's measurement)",
    "history['train_loss'] 是每个样本的平均交叉熵（在一个小批量上走一步，与评分程序的测量比较）",
    needs=(ONE_STEPS, LR_RESPONSE),
)
def reports_mean_loss(ctx: Context, seen: dict, response: tuple[float, float] | None) -> None:
    """The first one-step run's training loss must be the batch's mean cross-entropy as the grader
    measures it for the weights before the step (or after it, for a loop that measures the loss in
    a pass of its own). The starting weights are recovered from the runs, which needs them to follow
    lr: where they do not, that is ``follows_lr``'s failure, and this claim is not judged."""
    call = f"train_ch6(net, [(X, y)], [(X, y)], num_epochs=1, lr={PROBE_LRS[0]:g}) (one batch of 64)"
    if response is None or response[1] > LR_SCALING_TOLERANCE:
        return
    history = seen["histories"][0]
    reported = history.get("train_loss") if isinstance(history, dict) else None
    if not isinstance(reported, list) or len(reported) != 1 or type(reported[0]) is bool or not number(reported[0]):
        shown = type_name(reported) if not isinstance(reported, list) else f"a list of {len(reported)}"
        raise CheckFailed(
            Text(
                f"{call}: history['train_loss'] must be a list with one number, got {shown}",
                f"{call}：history['train_loss'] 应为只含一个数的列表，实际为 {shown}",
            )
        )
    X, y = lr_probe_batch(training_seed(ctx.settings))
    before, after = mean_loss(initial_state(seen["states"]), X, y), mean_loss(seen["states"][0], X, y)
    if min(abs(reported[0] - before) / before, abs(reported[0] - after) / after) > LOSS_TOLERANCE:
        raise CheckFailed(
            Text(
                f"{call}: history['train_loss'] is [{reported[0]:.4g}], but the mean cross-entropy "
                f"per example on that batch is {before:.4f} before the step ({after:.4f} after it), "
                f"as measured by the grader",
                f"{call}：history['train_loss'] 为 [{reported[0]:.4g}]，但评分程序测得该小批量上每个样本的"
                f"平均交叉熵在这一步之前为 {before:.4f}（之后为 {after:.4f}）",
            ),
            Text(
                "Per batch add the mean loss times the batch size (l * y.numel()); at the end of "
                "the epoch divide the sum by the number of examples.",
                "每个小批量累加 平均损失 × 批量大小（l * y.numel()），迭代周期结束时再除以样本总数。",
            ),
        )


@TRAIN.check(
    0.5,
    "history['examples_per_sec'] counts the training examples of all epochs per second of "
    "training (checked against the grader's clock)",
    "history['examples_per_sec'] 为所有迭代周期的训练样本数除以训练秒数（与评分程序的计时比较）",
    needs=(TRAINED,),
)
def reports_examples_per_sec(ctx: Context, seen: dict) -> None:
    """The reported speed must be at least ``EXAMPLES_PER_SEC_FLOOR`` of the speed the parent clocked
    for the whole ``train`` probe: every example of every epoch, over the seconds the call took from
    outside (which only adds to the training time)."""
    reported, b = speed(ctx, seen.get("history")), budget(ctx)
    examples, seconds = b.epochs * b.train_images, seen["wall_seconds"]
    clocked = examples / seconds
    if reported < EXAMPLES_PER_SEC_FLOOR * clocked:
        raise CheckFailed(
            Text(
                f"{call_text(ctx)}: history['examples_per_sec'] is {reported:,.1f}, but the call trained "
                f"{examples:,} examples ({b.epochs} x {b.train_images:,}) in {seconds:.1f} s as the "
                f"grader clocked it from outside, data loading and evaluations included: "
                f"{clocked:,.0f} per second",
                f"{call_text(ctx)}：history['examples_per_sec'] 为 {reported:,.1f}，但评分程序从外部计时，"
                f"这次调用在 {seconds:.1f} 秒内（含读取数据和评估）训练了 {examples:,} 个样本"
                f"（{b.epochs} x {b.train_images:,}），即每秒 {clocked:,.0f} 个",
            ),
            Text(
                "Count every training example of every epoch (metric[2] * num_epochs if the metric "
                "holds one epoch) and divide by the seconds of training (timer.sum()).",
                "统计所有迭代周期中的全部训练样本（若 metric 只含一个迭代周期，则为 "
                "metric[2] * num_epochs），再除以训练所用的秒数（timer.sum()）。",
            ),
        )


# -- what it learns --------------------------------------------------------------------------------
LEARNING_HINT = Text(
    "Initialise with xavier_uniform_, use nn.CrossEntropyLoss, and per batch: "
    "optimizer.zero_grad(), loss.backward(), optimizer.step().",
    "用 xavier_uniform_ 初始化、使用 nn.CrossEntropyLoss，每个小批量依次执行 "
    "optimizer.zero_grad()、loss.backward()、optimizer.step()。",
)


@TRAIN.check(
    4,
    "the trained LeNet's accuracy on the official test set (measured by the grader): full marks at the "
    "training budget's threshold, none for a network that did not learn, in proportion between",
    "训练后的 LeNet 在官方测试集上的精度（由评分程序测量）：达到训练预算的阈值得满分，没有学到东西的网络不得分，"
    "介于两者之间按比例得分",
    needs=(TRAINED,),
)
def reaches_accuracy(ctx: Context, seen: dict) -> Verdict:
    """Partial credit where the maths is partial: the accuracy is a measurement, and a network that
    learned a little has done part of the work. The band's ends come from the calibration
    (``training_budgets.accuracy_credit``, docs/training-threshold.md)."""
    accuracy = accuracy_of(seen.get("state"), *official_test_set(data_root(ctx)))
    b, call = budget(ctx), call_text(ctx)
    if b.threshold is None:  # the smoke-test budget: measured and reported, not required
        return Text(
            f"test accuracy {accuracy:.4f} (the {ctx.settings.training_budget!r} training budget "
            f"requires no threshold)",
            f"测试精度 {accuracy:.4f}（{ctx.settings.training_budget!r} 训练预算不要求精度阈值）",
        )
    credit = accuracy_credit(accuracy, b)
    measured = Text(
        f"{call}: the trained network classifies {accuracy:.4f} of the 10,000 official test images correctly",
        f"{call}：训练后的网络在 10,000 张官方测试图像上的精度为 {accuracy:.4f}",
    )
    band = Text(
        f"full marks from {b.threshold:.2f} (the reference reaches {b.reference} with this budget); none at "
        f"or below {b.floor:.2f}, where a network that did not learn stays (on the plateau near 0.10)",
        f"达到 {b.threshold:.2f} 得满分（参考实现在此预算下为 {b.reference}）；不高于 {b.floor:.2f} 不得分"
        f"（没有学到东西的网络停留在 0.10 附近的平台上）",
    )
    if credit == 0:
        raise CheckFailed(measured + Text("; ", "；") + band, LEARNING_HINT)
    if credit < 1:
        share = Text(
            f": {credit:.0%} of the points, in proportion between {b.floor:.2f} and {b.threshold:.2f} (",
            f"：按 {b.floor:.2f} 与 {b.threshold:.2f} 之间的比例得 {credit:.0%} 的分数（",
        )
        return Partial(credit, measured + share + band + Text(")", "）"), LEARNING_HINT)
    return Text(
        f"test accuracy {accuracy:.4f} (full marks from {b.threshold:.2f}; the reference reaches {b.reference})",
        f"测试精度 {accuracy:.4f}（达到 {b.threshold:.2f} 得满分；参考实现为 {b.reference}）",
    )


@TRAIN.check(
    1,
    "train_ch6 trains with the lr it is given: one step on the same batch from the same start "
    "moves the weights in proportion to lr",
    "train_ch6 使用传入的 lr 训练：从同一初始权重出发在同一小批量上走一步，权重的变化与 lr 成正比",
    needs=(LR_RESPONSE,),
)
def follows_lr(ctx: Context, response: tuple[float, float] | None) -> Text:
    runs = (
        f"train_ch6(net, [(X, y)], [(X, y)], num_epochs=1, lr=...) with lr = "
        f"{', '.join(f'{lr:g}' for lr in PROBE_LRS)}, each from the same initial weights"
    )
    hint = Text(
        "Give the optimizer the lr argument: torch.optim.SGD(net.parameters(), lr=lr).",
        "把参数 lr 传给优化器：torch.optim.SGD(net.parameters(), lr=lr)。",
    )
    if response is None:
        raise CheckFailed(
            Text(
                f"{runs}: every run left the same weights, so train_ch6 does not train with the lr it is given",
                f"{runs}：每次运行得到的权重都相同，说明 train_ch6 没有用传入的 lr 训练",
            ),
            hint,
        )
    factor, deviation = response
    if deviation > LR_SCALING_TOLERANCE:
        raise CheckFailed(
            Text(
                f"{runs}: raising lr from {PROBE_LRS[1]:g} to {PROBE_LRS[2]:g} moved the weights "
                f"{factor:.3g} times as far as raising it from {PROBE_LRS[0]:g} to {PROBE_LRS[1]:g}; "
                f"a step of lr * gradient moves them {LR_STEP_RATIO:g} times as far",
                f"{runs}：把 lr 从 {PROBE_LRS[1]:g} 提高到 {PROBE_LRS[2]:g} 时权重的变化是从 "
                f"{PROBE_LRS[0]:g} 提高到 {PROBE_LRS[1]:g} 时的 {factor:.3g} 倍；每步移动 lr * 梯度时"
                f"应为 {LR_STEP_RATIO:g} 倍",
            ),
            hint,
        )
    return Text(
        f"the weights moved in proportion to lr (factor {factor:.3f}, expected {LR_STEP_RATIO:g})",
        f"权重的变化与 lr 成正比（倍数 {factor:.3f}，期望 {LR_STEP_RATIO:g}）",
    )
