"""Public tests of exercises/training.py (d2l-zh 6.6.2 / d2l-en 7.6.2).

No Fashion-MNIST here: small in-memory data sets keep the tests fast. They run
on the GPU when there is one, with the data on the CPU, as in the book.
"""

import math

import pytest
import torch
from torch import nn

from .expect import expect_equal, expect_raises, expect_true, show


@pytest.fixture(scope="module")
def ex(submission):
    return submission("training")


@pytest.fixture(scope="module")
def device():
    return torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")


def fixed_net():
    """Predicts class 0 when x[0] > x[1], else class 1 (an identity linear layer)."""
    net = nn.Linear(2, 2)
    with torch.no_grad():
        net.weight.copy_(torch.eye(2))
        net.bias.zero_()
    return net


def uneven_batches():
    """Batches of 3, 1 and 2 examples; 1 + 1 + 2 = 4 of the 6 are classified correctly."""
    return [
        (torch.tensor([[2.0, 1.0], [0.0, 1.0], [5.0, 3.0]]), torch.tensor([0, 0, 1])),
        (torch.tensor([[1.0, 4.0]]), torch.tensor([1])),
        (torch.tensor([[3.0, 0.0], [0.0, 2.0]]), torch.tensor([0, 1])),
    ]


def synthetic(n, seed):
    """n 1x28x28 images in 2 classes: class 1 has a brighter left half. Batches of 64."""
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 1, 28, 28, generator=g) * 0.5
    y = torch.randint(0, 2, (n,), generator=g)
    X[y == 1, :, :, :14] += 0.5
    return [(X[i : i + 64], y[i : i + 64]) for i in range(0, n, 64)]


def small_net():
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 2))


def test_evaluate_accuracy_counts_examples(ex, device):
    acc = ex.evaluate_accuracy_gpu(fixed_net().to(device), uneven_batches())
    expect_true(
        isinstance(acc, float),
        "evaluate_accuracy_gpu returns a Python float / 应返回 Python float",
        f"got / 实际: {type(acc).__name__} {show(acc)}",
    )
    expect_true(
        abs(acc - 4 / 6) < 1e-6,
        "evaluate_accuracy_gpu on batches of 3, 1 and 2 examples, 4 correct: 4/6 (not the mean of "
        "per-batch accuracies, 7/9) / 精度 = 正确样本数 / 样本总数",
        f"expected / 期望: {4 / 6:.4f}, got / 实际: {acc!r}",
    )


def test_evaluate_accuracy_explicit_device(ex, device):
    acc = ex.evaluate_accuracy_gpu(fixed_net().to(device), uneven_batches(), device)
    expect_true(
        abs(acc - 4 / 6) < 1e-6,
        f"evaluate_accuracy_gpu(net, data_iter, device={device})",
        f"expected / 期望: {4 / 6:.4f}, got / 实际: {acc!r}",
    )


def test_evaluate_accuracy_uses_eval_mode(ex, device):
    torch.manual_seed(0)
    net = nn.Sequential(fixed_net(), nn.Dropout(0.5)).to(device)
    X = torch.rand(200, 2) + torch.tensor([1.0, 0.0])  # x[0] > x[1]: class 0 everywhere
    acc = ex.evaluate_accuracy_gpu(net, [(X, torch.zeros(200, dtype=torch.long))])
    expect_true(
        acc == 1.0,
        "evaluate_accuracy_gpu puts the net in evaluation mode (net.eval(): no dropout) / 应设置为评估模式",
        f"expected / 期望: 1.0, got / 实际: {acc!r}",
    )


@pytest.mark.errors
def test_evaluate_accuracy_empty(ex):
    expect_raises(
        ValueError,
        lambda: ex.evaluate_accuracy_gpu(fixed_net(), []),
        "evaluate_accuracy_gpu on an empty data_iter must raise ValueError / 没有样本时应抛出 ValueError",
    )


def test_train_ch6_history(ex, device, capsys):
    torch.manual_seed(0)
    history = ex.train_ch6(small_net(), synthetic(512, 0), synthetic(256, 1), 2, 0.1, device)
    expect_true(
        isinstance(history, dict), "train_ch6 returns a dict / 应返回字典", f"got / 实际: {type(history).__name__}"
    )
    expect_equal(
        sorted(history),
        ["examples_per_sec", "test_acc", "train_acc", "train_loss"],
        "keys of train_ch6's history / 返回字典的键",
    )
    for key in ("train_loss", "train_acc", "test_acc"):
        values = history[key]
        expect_true(
            isinstance(values, list) and len(values) == 2,
            f"history[{key!r}] is a list with one value per epoch (num_epochs=2) / 每个迭代周期一项",
            f"got / 实际: {show(values)}",
        )
        expect_true(
            all(isinstance(v, (int, float)) and math.isfinite(v) for v in values),
            f"history[{key!r}] holds finite Python numbers / 应为有限的数",
            f"got / 实际: {show(values)}",
        )
        if key != "train_loss":
            expect_true(
                all(0.0 <= v <= 1.0 for v in values),
                f"history[{key!r}] are fractions in [0, 1] / 精度应在 [0, 1] 之间",
                f"got / 实际: {values}",
            )
    speed = history["examples_per_sec"]
    expect_true(
        isinstance(speed, float) and math.isfinite(speed) and speed > 0,
        "history['examples_per_sec'] is a positive float / 应为正的浮点数",
        f"got / 实际: {speed!r}",
    )
    expect_true(
        history["test_acc"][-1] >= 0.9,
        "train_ch6 learns an easy synthetic task (2 epochs, lr=0.1): test accuracy >= 0.9 / 在简单的合成数据上应能学会",
        f"history / 训练记录: {history}",
    )


def test_train_ch6_uses_xavier_init(ex, device, capsys):
    net = small_net()
    with torch.no_grad():
        net[1].weight.fill_(100.0)
    bound = math.sqrt(6.0 / (28 * 28 + 2))
    ex.train_ch6(net, synthetic(64, 2), synthetic(64, 3), 1, 0.0, device)
    weight = net[1].weight.detach().cpu()
    expect_true(
        bool(weight.abs().max() <= bound + 1e-6) and weight.std() > 0,
        "train_ch6 re-initialises every Linear/Conv2d weight with nn.init.xavier_uniform_ (checked with "
        f"lr=0: the weights must lie in [-{bound:.4f}, {bound:.4f}]) / 应使用 xavier 均匀初始化",
        f"got weights in / 实际权重范围 [{weight.min().item():.4f}, {weight.max().item():.4f}]",
    )
    expect_true(
        next(net.parameters()).device.type == device.type,
        f"train_ch6 moves the model to device {device} / 模型应移到 device 上",
        f"got / 实际: {next(net.parameters()).device}",
    )


def test_train_ch6_trains_with_its_lr(ex, device, capsys):
    def after_one_step(lr):
        torch.manual_seed(0)  # the same initial weights every time
        net = small_net()
        ex.train_ch6(net, synthetic(64, 4), synthetic(64, 5), 1, lr, device)
        return torch.cat([p.detach().cpu().flatten() for p in net.parameters()])

    start = after_one_step(0.0)
    small, large = after_one_step(0.1) - start, after_one_step(0.3) - start
    expect_true(
        bool(small.abs().max() > 0) and torch.allclose(large, 3 * small, rtol=1e-3, atol=1e-6),
        "train_ch6 trains with the lr it is given: one SGD step (one batch, one epoch) with lr=0.3 moves "
        "the weights 3 times as far as with lr=0.1 / 应使用传入的学习率 lr：lr=0.3 时一步的权重变化应是 "
        "lr=0.1 时的 3 倍",
        f"largest change with lr=0.1 / lr=0.1 时的最大变化: {small.abs().max().item():.3g}, "
        f"with lr=0.3 / lr=0.3 时: {large.abs().max().item():.3g}",
    )
