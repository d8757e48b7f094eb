"""Hidden checks of ``evaluate_accuracy_gpu``, one claim each.

The function runs (``evaluate_accuracy`` probe) on a linear classifier whose every prediction is
known here, over batches of uneven size, so that averaging per-batch accuracies gives a different
number from the true overall accuracy. The probe hands the classifier over in training mode and
records, per call, the mode of every forward pass and which batch tensors were moved.
"""

from __future__ import annotations

import torch

from ...text import Text
from ..expect import judge_value_error
from ..framework import CheckFailed, Context, Observation, checks_of, type_name
from .budgets import DEFAULT_SEED
from .observations import number, observe

DEVICE_HINT = Text(
    "Call net.to(device) once, and X, y = X.to(device), y.to(device) for EVERY batch.",
    "调用一次 net.to(device)，并对每个小批量执行 X, y = X.to(device), y.to(device)。",
)
#: The checks of ``evaluate_accuracy_gpu``, in order (the exercise's first).
EVALUATE = checks_of("training")
#: Cases of uneven batches, each evaluated with every (device argument, device of the network).
CASES = 3


def accuracy_case(seed: int) -> tuple[torch.Tensor, torch.Tensor, list, float, float]:
    """(W, b, batches, overall accuracy, mean of per-batch accuracies) for a 10-class linear model.

    With W = 3 I and inputs one-hot(prediction) + noise in [0, 0.3), every prediction is known
    with a wide margin; labels are the prediction (correct) or another class (wrong). The first
    batch has one correct example, so per-batch averaging overweights it.
    """
    generator = torch.Generator().manual_seed(seed)
    W, b = 3 * torch.eye(10), torch.zeros(10)
    while True:
        sizes = [1] + torch.randint(
            5, 40, (int(torch.randint(2, 5, (), generator=generator)),), generator=generator
        ).tolist()
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


class Call:
    """One observed call: what was asked (``text``, the case) and what the probe saw."""

    def __init__(self, device_arg, net_device, case, seen: dict) -> None:
        self.device_arg, self.net_device = device_arg, net_device
        _, _, self.batches, self.expected, self.per_batch = case
        self.seen = seen
        where = f" (network on {net_device})" if net_device else ""
        self.text = f"evaluate_accuracy_gpu(net, data_iter, device={device_arg!r}){where}"

    @property
    def sizes(self) -> list[int]:
        return [len(y) for _, y in self.batches]


def _calls(ctx: Context) -> list[Call]:
    # (device argument, where the network sits): None must mean "the network's device".
    settings = [(None, None), ("cpu", None)]
    if ctx.settings.device != "cpu":
        settings += [(None, ctx.settings.device), (ctx.settings.device, ctx.settings.device)]
    base = ctx.settings.seed or DEFAULT_SEED
    calls = []
    for i in range(CASES):
        case = accuracy_case(base + i)
        W, b, batches = case[:3]
        for device_arg, net_device in settings:
            seen = observe(ctx, "evaluate_accuracy", W, b, batches, device_arg, net_device)
            calls.append(Call(device_arg, net_device, case, seen))
    return calls


#: Every call of ``evaluate_accuracy_gpu`` that the checks below judge.
CALLS = Observation("evaluate_accuracy_calls", _calls)


def expect_correct(call: Call) -> None:
    """Fail unless the call returned the overall accuracy as a Python float."""
    got = call.seen["value"]
    if type(got) is bool or not number(got):
        raise CheckFailed(
            Text(
                f"{call.text} must return a Python float, got {type_name(got)}",
                f"{call.text} 应返回 Python float，实际返回 {type_name(got)}",
            ),
            Text(
                "Return correct / total as a float (use .item() on a tensor).",
                "返回 float 类型的 正确数 / 总数（张量请用 .item()）。",
            ),
        )
    if abs(got - call.expected) > 1e-6:
        text = Text(
            f"{call.text} on batches of sizes {call.sizes}: expected {call.expected:.6f} "
            f"(correct / all examples), got {got:.6f}",
            f"{call.text} 在大小为 {call.sizes} 的小批量上：期望 {call.expected:.6f}（正确数 / 样本总数），"
            f"实际为 {got:.6f}",
        )
        if abs(got - call.per_batch) < 1e-6:
            text = text + Text(", the mean of the per-batch accuracies", "，即各批精度的平均值")
        raise CheckFailed(
            text,
            Text(
                "Sum the correct predictions and the example counts over all batches, then "
                "divide once (batches may differ in size).",
                "对所有小批量累加正确预测数和样本数，最后再相除一次（各批大小可能不同）。",
            ),
        )


def expect_correct_for_rule(call: Call) -> None:
    """A behaviour of the function is worth points only where it computes the right number."""
    try:
        expect_correct(call)
    except CheckFailed as failure:
        raise CheckFailed(
            Text(
                "this rule is scored only for a correct result, and this call's result is wrong: ",
                "只有结果正确时才按此规则计分，而这次调用的结果不正确：",
            )
            + failure.text,
            failure.hint,
        ) from None


@EVALUATE.check(
    1.5,
    "evaluate_accuracy_gpu returns the fraction of all examples classified correctly, over batches "
    "of uneven size (device=None and device given)",
    "evaluate_accuracy_gpu 返回在大小不一的小批量上分类正确的样本所占的比例（device=None 与指定 device）",
    needs=(CALLS,),
)
def evaluate_accuracy(ctx: Context, calls: list[Call]) -> None:
    for call in calls:
        expect_correct(call)


@EVALUATE.rule(
    1,
    "evaluate_accuracy_gpu predicts in evaluation mode (net.eval())",
    "evaluate_accuracy_gpu 在评估模式下预测（net.eval()）",
    needs=(CALLS,),
)
def evaluate_accuracy_eval_mode(ctx: Context, calls: list[Call]) -> None:
    for call in calls:
        in_training_mode = call.seen["forwards_in_training_mode"]
        if in_training_mode:
            raise CheckFailed(
                Text(
                    f"{call.text}: {in_training_mode} of its {call.seen['forwards']} forward passes ran "
                    f"in training mode (the net was handed over in training mode)",
                    f"{call.text}：{call.seen['forwards']} 次前向传播中有 {in_training_mode} 次"
                    f"在训练模式下运行（传入的网络处于训练模式）",
                ),
                Text(
                    "Call net.eval() before predicting: dropout and batch normalisation behave "
                    "differently while training.",
                    "预测前调用 net.eval()：暂退法和批量规范化在训练时的行为不同。",
                ),
            )
        expect_correct_for_rule(call)


@EVALUATE.rule(
    1,
    "evaluate_accuracy_gpu moves every batch (X and y) to the device it is given",
    "evaluate_accuracy_gpu 把每个小批量（X 与 y）都移到指定的 device 上",
    needs=(CALLS,),
)
def evaluate_accuracy_moves_batches(ctx: Context, calls: list[Call]) -> None:
    for call in calls:
        # A device that is given is where every batch must go (on a CPU-only machine too).
        x_moved, y_moved, count = call.seen["x_moved"], call.seen["y_moved"], len(call.batches)
        if call.device_arg is not None and (x_moved < count or y_moved < count):
            raise CheckFailed(
                Text(
                    f"{call.text} must move every batch to the device with .to(device): X was moved "
                    f"in {x_moved} of {count} batches, y in {y_moved}",
                    f"{call.text} 应用 .to(device) 把每个小批量移到 device 上：{count} 个小批量中，"
                    f"X 被移动了 {x_moved} 次，y 被移动了 {y_moved} 次",
                ),
                DEVICE_HINT,
            )
        expect_correct_for_rule(call)


@EVALUATE.rule(
    0.5,
    "evaluate_accuracy_gpu raises ValueError when data_iter yields no examples",
    "data_iter 没有任何样本时，evaluate_accuracy_gpu 抛出 ValueError",
)
def evaluate_accuracy_rejects_empty(ctx: Context) -> None:
    W, b, *_ = accuracy_case(ctx.settings.seed or DEFAULT_SEED)
    judge_value_error(
        ctx.probe_expecting_error("evaluate_accuracy", W, b, [], None, None),
        "evaluate_accuracy_gpu(net, data_iter) with a data_iter that yields no batch",
        Text(
            "An accuracy of no examples is undefined (the book's metric[0] / metric[1] divides by zero): "
            "count the examples and raise ValueError when there are none.",
            "没有样本时精度无定义（教材中的 metric[0] / metric[1] 会除以零）：统计样本数，为零时抛出 ValueError。",
        ),
    )
