"""Public tests of exercises/corr2d.py (d2l-zh 6.2.1 / d2l-en 7.2.1)."""

import pytest
import torch
from hypothesis import example, given

from .expect import (
    PROPERTY,
    expect_no_builtin,
    expect_raises,
    expect_tensor,
    fail,
    input_and_kernel,
    oracle_conv,
    record_ops,
)


@pytest.fixture(scope="module")
def ex(submission):
    return submission("corr2d")


def book_X():
    return torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])


def book_K():
    return torch.tensor([[0.0, 1.0], [2.0, 3.0]])


def edge_image():
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X


@pytest.mark.book
def test_book_example(ex):
    expect_tensor(
        ex.corr2d(book_X(), book_K()),
        [[19.0, 25.0], [37.0, 43.0]],
        "corr2d(X, K) of the book's example (6.2.1) / 教材 6.2.1 节的例子",
    )


@pytest.mark.book
def test_edge_detection(ex):
    expected = torch.tensor([[0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0]]).repeat(6, 1)
    expect_tensor(
        ex.corr2d(edge_image(), torch.tensor([[1.0, -1.0]])),
        expected,
        "corr2d of the 6x8 edge image with K = [[1, -1]] (6.2.3) / 边缘检测 (6.2.3)",
    )


@pytest.mark.book
def test_edge_detection_transposed(ex):
    expect_tensor(
        ex.corr2d(edge_image().t(), torch.tensor([[1.0, -1.0]])),
        torch.zeros(8, 5),
        "corr2d(X.t(), K): K = [[1, -1]] finds no horizontal edge (6.2.3) / 转置后检测不到边缘",
    )


def test_kernel_as_large_as_input(ex):
    X = torch.arange(6.0).reshape(2, 3)
    expect_tensor(
        ex.corr2d(X, torch.ones(2, 3)),
        [[15.0]],
        "corr2d with a kernel of the input's size gives a 1x1 output / 卷积核与输入同样大时输出为 1x1",
    )


def test_differentiable(ex):
    torch.manual_seed(0)
    X = torch.randn(4, 5, requires_grad=True)
    K = torch.randn(2, 3, requires_grad=True)
    ex.corr2d(X, K).square().sum().backward()
    X0, K0 = X.detach().clone().double().requires_grad_(), K.detach().clone().double().requires_grad_()
    oracle_conv(X0, K0).square().sum().backward()
    for name, got, expected in (("K", K.grad, K0.grad), ("X", X.grad, X0.grad)):
        what = f"gradient of corr2d(X, K).square().sum() with respect to {name} / 对 {name} 的梯度"
        if got is None:
            fail(what, f"{name}.grad is None: autograd did not reach {name} / 梯度为 None，自动微分没有传到 {name}")
        expect_tensor(got, expected, what, atol=1e-3)


@pytest.mark.errors
@pytest.mark.parametrize(
    "shapes",
    [((2, 2), (3, 1)), ((3, 3), (1, 4)), ((3,), (2, 2)), ((3, 3), (2,))],
    ids=["kernel-taller", "kernel-wider", "X-1d", "K-1d"],
)
def test_rejects_bad_shapes(ex, shapes):
    X, K = torch.ones(shapes[0]), torch.ones(shapes[1])
    expect_raises(
        ValueError,
        lambda: ex.corr2d(X, K),
        f"corr2d(X of shape {shapes[0]}, K of shape {shapes[1]}) must raise ValueError",
    )


@pytest.mark.rules
def test_no_builtin_convolution(ex):
    _, ops = record_ops(lambda: ex.corr2d(torch.rand(5, 6), torch.rand(2, 3)))
    expect_no_builtin(ops, "corr2d must not call built-in convolution/pooling / 不得调用内置卷积")


@pytest.mark.property
@PROPERTY
@given(case=input_and_kernel())
@example(case=(book_X(), book_K()))
def test_matches_conv2d(ex, case):
    X, K = case
    expect_tensor(
        ex.corr2d(X, K),
        oracle_conv(X, K),
        f"corr2d(X {tuple(X.shape)}, K {tuple(K.shape)}) against torch.nn.functional.conv2d"
        f" / 与 F.conv2d 的结果比较; the output shape must be (n_h-k_h+1, n_w-k_w+1)",
    )
