"""Public tests of exercises/lenet.py (d2l-zh 6.6.1 / d2l-en 7.6.1)."""

import pytest
import torch
from torch import nn

from .expect import expect_equal, expect_true

BOOK_TRACE = [
    ("Conv2d", (1, 6, 28, 28)),
    ("Sigmoid", (1, 6, 28, 28)),
    ("AvgPool2d", (1, 6, 14, 14)),
    ("Conv2d", (1, 16, 10, 10)),
    ("Sigmoid", (1, 16, 10, 10)),
    ("AvgPool2d", (1, 16, 5, 5)),
    ("Flatten", (1, 400)),
    ("Linear", (1, 120)),
    ("Sigmoid", (1, 120)),
    ("Linear", (1, 84)),
    ("Sigmoid", (1, 84)),
    ("Linear", (1, 10)),
]


@pytest.fixture(scope="module")
def ex(submission):
    return submission("lenet")


def as_plain(trace):
    """[(name, shape)] with every shape turned into a plain tuple, for a readable comparison."""
    try:
        return [(name, tuple(shape)) for name, shape in trace]
    except (TypeError, ValueError):
        return trace


def test_is_sequential(ex):
    net = ex.lenet()
    expect_true(
        isinstance(net, nn.Sequential),
        "lenet() returns an nn.Sequential / 应返回 nn.Sequential",
        f"got / 实际: {type(net).__name__}",
    )


@pytest.mark.book
def test_parameter_count(ex):
    count = sum(p.numel() for p in ex.lenet().parameters())
    expect_equal(count, 61706, "number of parameters of lenet() (LeNet-5 of 6.6.1) / 参数个数")


def test_parameters_are_trainable(ex):
    frozen = [name for name, p in ex.lenet().named_parameters() if not p.requires_grad]
    expect_equal(
        frozen,
        [],
        "parameters of lenet() that do not require grad (training would not move them)"
        " / 不需要梯度的参数（训练不会更新它们）",
    )


@pytest.mark.book
def test_book_shape_trace(ex):
    trace = ex.shape_trace(ex.lenet(), (1, 1, 28, 28))
    expect_equal(
        as_plain(trace),
        BOOK_TRACE,
        "shape_trace(lenet(), (1, 1, 28, 28)): the book's layer-by-layer output shapes (6.6.1) / 每层输出的形状",
    )


def test_shape_trace_of_another_sequential(ex):
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.ReLU(), nn.Linear(5, 2))
    expect_equal(
        as_plain(ex.shape_trace(net, (3, 3, 4))),
        [("Flatten", (3, 12)), ("Linear", (3, 5)), ("ReLU", (3, 5)), ("Linear", (3, 2))],
        "shape_trace works for any nn.Sequential, not only LeNet / 适用于任意 nn.Sequential",
    )


def test_shape_trace_leaves_the_net_unchanged(ex):
    net = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid())
    before = [p.detach().clone() for p in net.parameters()]
    ex.shape_trace(net, (2, 4))
    same = all(torch.equal(a, b) for a, b in zip(before, net.parameters()))
    expect_true(same, "shape_trace must not change the network's parameters / 不得修改网络参数")


def test_forward_batch(ex):
    torch.manual_seed(0)
    out = ex.lenet()(torch.rand(4, 1, 28, 28))
    expect_equal(tuple(out.shape), (4, 10), "lenet()(X) for X of shape (4, 1, 28, 28): one score per class / 输出形状")
