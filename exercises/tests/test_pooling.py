"""Public tests of exercises/pooling.py (d2l-zh 6.5 / d2l-en 7.5)."""

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from .expect import (
    PROPERTY,
    expect_no_builtin,
    expect_raises,
    expect_tensor,
    expect_true,
    matrices,
    oracle_pool,
    record_ops,
    show,
)


@pytest.fixture(scope="module")
def ex(submission):
    return submission("pooling")


def book_X():
    return torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])


@pytest.mark.book
def test_max_pooling_book(ex):
    expect_tensor(
        ex.pool2d(book_X(), (2, 2)),
        [[4.0, 5.0], [7.0, 8.0]],
        "pool2d(X, (2, 2)) (the default mode is 'max') of the book's example (6.5.1) / 最大汇聚层",
    )


@pytest.mark.book
def test_avg_pooling_book(ex):
    expect_tensor(
        ex.pool2d(book_X(), (2, 2), "avg"),
        [[2.0, 3.0], [5.0, 6.0]],
        "pool2d(X, (2, 2), 'avg') of the book's example (6.5.1) / 平均汇聚层",
    )


def test_rectangular_window(ex):
    X = torch.arange(12.0).reshape(3, 4)
    expect_tensor(
        ex.pool2d(X, (1, 3), "max"), oracle_pool(X, (1, 3), "max"), "pool2d(X (3, 4), (1, 3), 'max') / 矩形汇聚窗口"
    )
    expect_tensor(
        ex.pool2d(X, (3, 2), "avg"), oracle_pool(X, (3, 2), "avg"), "pool2d(X (3, 4), (3, 2), 'avg') / 矩形汇聚窗口"
    )


@pytest.mark.errors
@pytest.mark.parametrize("mode", ["min", "mean", "MAX", ""])
def test_unknown_mode_raises(ex, mode):
    expect_raises(
        ValueError,
        lambda: ex.pool2d(book_X(), (2, 2), mode),
        f"pool2d(X, (2, 2), mode={mode!r}) must raise ValueError / 未知的 mode 应抛出 ValueError",
    )


@pytest.mark.rules
def test_no_builtin_pooling(ex):
    for mode in ("max", "avg"):
        _, ops = record_ops(lambda: ex.pool2d(torch.rand(5, 6), (2, 3), mode))
        expect_no_builtin(
            ops, f"pool2d(..., {mode!r}) must not call built-in pooling/convolution / 不得调用内置汇聚或卷积运算"
        )


@st.composite
def pooling_case(draw):
    n_h, n_w = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    p_h, p_w = draw(st.integers(1, min(n_h, 3))), draw(st.integers(1, min(n_w, 3)))
    return draw(matrices(n_h, n_w)), (p_h, p_w)


@pytest.mark.property
@PROPERTY
@given(case=pooling_case())
@example(case=(book_X(), (2, 2)))
def test_matches_builtin_pooling(ex, case):
    X, size = case
    results = {}
    for mode in ("max", "avg"):
        results[mode] = ex.pool2d(X, size, mode)
        expect_tensor(
            results[mode],
            oracle_pool(X, size, mode),
            f"pool2d(X {tuple(X.shape)}, {size}, {mode!r}) against torch.nn.functional."
            f"{mode}_pool2d(stride=1) / 与内置汇聚比较",
        )
    expect_true(
        bool((results["max"] >= results["avg"] - 1e-5).all()),
        f"pool2d(X, {size}, 'max') >= pool2d(X, {size}, 'avg') everywhere / 最大值不小于平均值",
        "max / 最大汇聚:",
        show(results["max"]),
        "avg / 平均汇聚:",
        show(results["avg"]),
    )
