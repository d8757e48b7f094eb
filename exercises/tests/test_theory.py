"""Public tests of exercises/theory.py (exercises of d2l-zh 6.2 and 6.4 / d2l-en 7.2 and 7.4)."""

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from .expect import (
    PROPERTY,
    expect_equal,
    expect_one_matmul,
    expect_raises,
    expect_tensor,
    input_and_kernel,
    matrices,
    oracle_conv,
    record_ops,
)


@pytest.fixture(scope="module")
def ex(submission):
    return submission("theory")


def test_compose_kernels_example(ex):
    torch.manual_seed(0)
    K1, K2 = torch.randn(2, 2), torch.randn(2, 3)
    X = torch.randn(6, 7)
    K = ex.compose_kernels(K1, K2)
    expect_equal(
        tuple(K.shape), (3, 4), "shape of compose_kernels(K1 (2, 2), K2 (2, 3)): (k1+k2-1) / 组合后卷积核的形状"
    )
    expect_tensor(
        oracle_conv(X, K),
        oracle_conv(oracle_conv(X, K1), K2),
        "corr2d(X, compose_kernels(K1, K2)) == corr2d(corr2d(X, K1), K2) / 两次互相关等于一次",
        atol=1e-4,
    )


def test_compose_kernels_small(ex):
    expect_tensor(
        ex.compose_kernels(torch.tensor([[1.0, -1.0]]), torch.tensor([[1.0], [-1.0]])),
        [[1.0, -1.0], [-1.0, 1.0]],
        "compose_kernels([[1, -1]], [[1], [-1]]) / 水平与垂直差分的组合",
    )


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((3, 8, 8, 2, 3, 3), {"padding": 1}, {"madds": 3456, "params": 56, "output_elems": 128}),
        ((1, 28, 28, 6, 5, 5), {"padding": 2}, {"madds": 117600, "params": 156, "output_elems": 4704}),
        ((2, 6, 6, 4, 2, 2), {"stride": 2}, {"madds": 288, "params": 36, "output_elems": 36}),
    ],
    ids=["3ch-8x8-k3-p1", "lenet-conv1", "k2-s2"],
)
def test_conv_cost(ex, args, kwargs, expected):
    call = ", ".join([*map(str, args), *(f"{k}={v}" for k, v in kwargs.items())])
    expect_equal(
        ex.conv_cost(*args, **kwargs), expected, f"conv_cost({call}) (c_i, h, w, c_o, k_h, k_w) / 卷积层的计算成本"
    )


@pytest.mark.book
def test_corr2d_matmul_book(ex):
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    expect_tensor(
        ex.corr2d_matmul(X, K),
        [[19.0, 25.0], [37.0, 43.0]],
        "corr2d_matmul(X, K) of the book's example (6.2.1) / 教材 6.2.1 节的例子",
    )


@pytest.mark.rules
def test_corr2d_matmul_is_one_matrix_product(ex):
    _, ops = record_ops(lambda: ex.corr2d_matmul(torch.rand(5, 6), torch.rand(2, 3)))
    expect_one_matmul(ops, "corr2d_matmul is one matrix product (im2col) / 只能做一次矩阵乘法")


@pytest.mark.errors
def test_corr2d_matmul_rejects_large_kernel(ex):
    expect_raises(
        ValueError,
        lambda: ex.corr2d_matmul(torch.ones(2, 2), torch.ones(3, 3)),
        "corr2d_matmul with a kernel larger than the input must raise ValueError / 卷积核大于输入时应抛出 ValueError",
    )


@pytest.mark.property
@PROPERTY
@given(case=input_and_kernel())
@example(case=(torch.arange(9.0).reshape(3, 3), torch.tensor([[0.0, 1.0], [2.0, 3.0]])))
def test_corr2d_matmul_matches_conv2d(ex, case):
    X, K = case
    expect_tensor(
        ex.corr2d_matmul(X, K),
        oracle_conv(X, K),
        f"corr2d_matmul(X {tuple(X.shape)}, K {tuple(K.shape)}) against torch.nn.functional.conv2d / 与 F.conv2d 比较",
    )


@st.composite
def two_kernels(draw):
    shapes = [(draw(st.integers(1, 3)), draw(st.integers(1, 3))) for _ in range(2)]
    return draw(matrices(*shapes[0])), draw(matrices(*shapes[1]))


@pytest.mark.property
@PROPERTY
@given(kernels=two_kernels(), seed=st.integers(0, 2**16))
@example(kernels=(torch.tensor([[1.0, -1.0]]), torch.tensor([[1.0], [-1.0]])), seed=0)
def test_compose_kernels_property(ex, kernels, seed):
    K1, K2 = kernels
    X = torch.randn(6, 6, generator=torch.Generator().manual_seed(seed))
    K = ex.compose_kernels(K1, K2)
    expect_equal(
        tuple(K.shape),
        (K1.shape[0] + K2.shape[0] - 1, K1.shape[1] + K2.shape[1] - 1),
        f"shape of compose_kernels(K1 {tuple(K1.shape)}, K2 {tuple(K2.shape)}) / 形状",
    )
    expect_tensor(
        oracle_conv(X, K),
        oracle_conv(oracle_conv(X, K1), K2),
        f"corr2d(X, compose_kernels(K1, K2)) == corr2d(corr2d(X, K1), K2) for K1 {tuple(K1.shape)},"
        f" K2 {tuple(K2.shape)} / 两次互相关等于一次",
        atol=1e-3,
    )
