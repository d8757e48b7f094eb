"""Public tests of exercises/padding_stride.py (d2l-zh 6.3 / d2l-en 7.3)."""

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from .expect import (
    PROPERTY,
    expect_equal,
    expect_no_builtin,
    expect_raises,
    expect_tensor,
    matrices,
    oracle_conv,
    record_ops,
)

# The four cases of the book: 8x8 input, kernel, padding, stride -> output shape.
BOOK_CASES = [
    (3, 1, 1, (8, 8)),
    ((5, 3), (2, 1), 1, (8, 8)),
    (3, 1, 2, (4, 4)),
    ((3, 5), (0, 1), (3, 4), (2, 2)),
]
BOOK_IDS = ["k3-p1", "k5x3-p2x1", "k3-p1-s2", "k3x5-p0x1-s3x4"]


@pytest.fixture(scope="module")
def ex(submission):
    return submission("padding_stride")


def pair(v):
    return (v, v) if isinstance(v, int) else v


@pytest.mark.book
@pytest.mark.parametrize("kernel, padding, stride, shape", BOOK_CASES, ids=BOOK_IDS)
def test_conv_output_shape_book(ex, kernel, padding, stride, shape):
    expect_equal(
        ex.conv_output_shape(8, kernel, padding, stride),
        shape,
        f"conv_output_shape(8, kernel_size={kernel}, padding={padding}, stride={stride}) (6.3)",
    )


@pytest.mark.book
@pytest.mark.parametrize("kernel, padding, stride, shape", BOOK_CASES, ids=BOOK_IDS)
def test_corr2d_pad_stride_book(ex, kernel, padding, stride, shape):
    torch.manual_seed(0)
    X, K = torch.rand(8, 8), torch.rand(pair(kernel))
    expect_tensor(
        ex.corr2d_pad_stride(X, K, padding, stride),
        oracle_conv(X, K, padding, stride),
        f"corr2d_pad_stride(8x8 X, K {pair(kernel)}, padding={padding}, stride={stride}); "
        f"expected output shape {shape} (6.3) / 填充和步幅",
    )


def test_padding_adds_zeros(ex):
    expect_tensor(
        ex.corr2d_pad_stride(torch.ones(2, 2), torch.ones(3, 3), padding=1),
        [[4.0, 4.0], [4.0, 4.0]],
        "corr2d_pad_stride(ones(2, 2), ones(3, 3), padding=1): the padding is zeros / 填充的是零",
    )


def test_defaults_are_plain_corr2d(ex):
    X = torch.arange(12.0).reshape(3, 4)
    K = torch.tensor([[1.0, 0.0], [0.0, -1.0]])
    expect_tensor(
        ex.corr2d_pad_stride(X, K),
        oracle_conv(X, K),
        "corr2d_pad_stride(X, K) with padding=0, stride=1 equals corr2d(X, K) / 默认即普通互相关运算",
    )
    expect_equal(ex.conv_output_shape((3, 4), (2, 2)), (2, 3), "conv_output_shape((3, 4), (2, 2))")


@pytest.mark.errors
def test_rejects_kernel_larger_than_padded_input(ex):
    expect_raises(
        ValueError,
        lambda: ex.conv_output_shape(3, 6, padding=1),
        "conv_output_shape(3, 6, padding=1): the kernel is larger than the padded input (5x5)"
        " must raise ValueError / 卷积核大于填充后的输入时应抛出 ValueError",
    )


@pytest.mark.rules
def test_no_builtin_convolution(ex):
    _, ops = record_ops(lambda: ex.corr2d_pad_stride(torch.rand(6, 7), torch.rand(3, 2), padding=(1, 2), stride=2))
    expect_no_builtin(ops, "corr2d_pad_stride must not call built-in convolution/pooling / 不得调用内置卷积")


@st.composite
def padded_case(draw):
    n_h, n_w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    p_h, p_w = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    k_h, k_w = draw(st.integers(1, min(4, n_h + 2 * p_h))), draw(st.integers(1, min(4, n_w + 2 * p_w)))
    s_h, s_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return draw(matrices(n_h, n_w)), draw(matrices(k_h, k_w)), (p_h, p_w), (s_h, s_w)


@pytest.mark.property
@PROPERTY
@given(case=padded_case())
@example(case=(torch.arange(16.0).reshape(4, 4), torch.ones(3, 3), (1, 1), (2, 2)))
def test_matches_conv2d(ex, case):
    X, K, padding, stride = case
    expected = oracle_conv(X, K, padding, stride)
    what = (
        f"X {tuple(X.shape)}, K {tuple(K.shape)}, padding={padding}, stride={stride}"
        f" against torch.nn.functional.conv2d / 与 F.conv2d 比较"
    )
    expect_equal(
        ex.conv_output_shape(tuple(X.shape), tuple(K.shape), padding, stride),
        tuple(expected.shape),
        "conv_output_shape for " + what,
    )
    expect_tensor(ex.corr2d_pad_stride(X, K, padding, stride), expected, "corr2d_pad_stride for " + what)
