"""Public tests of exercises/channels.py (d2l-zh 6.4 / d2l-en 7.4)."""

import pytest
import torch
from hypothesis import example, given

from .expect import (
    PROPERTY,
    channel_case,
    expect_no_builtin,
    expect_one_matmul,
    expect_raises,
    expect_tensor,
    oracle_multi,
    record_ops,
)


@pytest.fixture(scope="module")
def ex(submission):
    return submission("channels")


def book_X():
    return torch.tensor(
        [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]
    )


def book_K():
    return torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])


@pytest.mark.book
def test_multi_in_book(ex):
    expect_tensor(
        ex.corr2d_multi_in(book_X(), book_K()),
        [[56.0, 72.0], [104.0, 120.0]],
        "corr2d_multi_in(X, K) of the book's example (6.4.1) / 多输入通道 (6.4.1)",
    )


@pytest.mark.book
def test_multi_in_out_book(ex):
    K = book_K()
    K = torch.stack((K, K + 1, K + 2), 0)
    expected = [[[56.0, 72.0], [104.0, 120.0]], [[76.0, 100.0], [148.0, 172.0]], [[96.0, 128.0], [192.0, 224.0]]]
    expect_tensor(
        ex.corr2d_multi_in_out(book_X(), K),
        expected,
        "corr2d_multi_in_out(X, stack((K, K + 1, K + 2))) of the book's example (6.4.2) / 多输出通道 (6.4.2)",
    )


@pytest.mark.book
def test_1x1_matches_multi_in_out_book(ex):
    torch.manual_seed(0)
    X = torch.normal(0, 1, (3, 3, 3))
    K = torch.normal(0, 1, (2, 3, 1, 1))
    expect_tensor(
        ex.corr2d_multi_in_out_1x1(X, K),
        oracle_multi(X, K),
        "corr2d_multi_in_out_1x1(X (3, 3, 3), K (2, 3, 1, 1)) equals corr2d_multi_in_out (6.4.3) / 1x1 卷积层 (6.4.3)",
        atol=1e-5,
    )


@pytest.mark.errors
def test_rejects_channel_mismatch(ex):
    X, K = torch.ones(2, 3, 3), torch.ones(3, 2, 2)
    expect_raises(
        ValueError,
        lambda: ex.corr2d_multi_in(X, K),
        "corr2d_multi_in(X with 2 channels, K with 3 channels) must raise ValueError"
        " / 输入通道数不一致时应抛出 ValueError",
    )


@pytest.mark.rules
def test_no_builtin_convolution(ex):
    X, K = torch.rand(2, 4, 5), torch.rand(3, 2, 2, 2)
    for name, kernel in (("corr2d_multi_in", K[0]), ("corr2d_multi_in_out", K)):
        _, ops = record_ops(lambda: getattr(ex, name)(X, kernel))
        expect_no_builtin(ops, f"{name} must not call built-in convolution/pooling / 不得调用内置卷积")


@pytest.mark.rules
def test_1x1_is_one_matrix_multiplication(ex):
    _, ops = record_ops(lambda: ex.corr2d_multi_in_out_1x1(torch.rand(3, 4, 5), torch.rand(2, 3, 1, 1)))
    expect_one_matmul(ops, "corr2d_multi_in_out_1x1 is one matrix multiplication / 1x1 卷积应只做一次矩阵乘法")


@pytest.mark.property
@PROPERTY
@given(case=channel_case())
@example(case=(book_X(), book_K()[None]))
def test_multi_in_out_matches_conv2d(ex, case):
    X, K = case
    what = f"X {tuple(X.shape)}, K {tuple(K.shape)} against torch.nn.functional.conv2d / 与 F.conv2d 比较"
    expected = oracle_multi(X, K)
    expect_tensor(ex.corr2d_multi_in_out(X, K), expected, "corr2d_multi_in_out for " + what)
    expect_tensor(ex.corr2d_multi_in(X, K[0]), expected[0], "corr2d_multi_in (output channel 0) for " + what)


@pytest.mark.property
@PROPERTY
@given(case=channel_case(max_kernel=1))
@example(case=(book_X(), torch.tensor([[1.0, -1.0], [0.5, 2.0], [0.0, 3.0]]).reshape(3, 2, 1, 1)))
def test_1x1_matches_conv2d(ex, case):
    X, K = case
    expect_tensor(
        ex.corr2d_multi_in_out_1x1(X, K),
        oracle_multi(X, K),
        f"corr2d_multi_in_out_1x1 for X {tuple(X.shape)}, K {tuple(K.shape)}"
        f" against torch.nn.functional.conv2d / 与 F.conv2d 比较",
    )
