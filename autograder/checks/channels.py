"""Hidden checks for multiple input and output channels and the 1x1 convolution (d2l 6.4).

The oracle is ``F.conv2d`` on a batch of one; the 1x1 version is also compared with the
per-pixel matrix product ``einsum('oi,ihw->ohw')``.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from . import strategies as S
from .expect import ask, expect_close, expect_matches
from .framework import Context, Exercise
from .rules import expect_fast_enough, expect_no_builtin, expect_one_matmul

EXERCISE = Exercise("channels", modules=("channels",))
MULTI_IN = "channels.corr2d_multi_in"
MULTI_IN_OUT = "channels.corr2d_multi_in_out"
ONE_BY_ONE = "channels.corr2d_multi_in_out_1x1"

#: 6.4's example: two input channels and a 2x2 kernel per channel.
BOOK_X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                       [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
BOOK_K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])


def oracle(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(c_i, h, w) and (c_o, c_i, k_h, k_w) -> (c_o, h', w')."""
    return F.conv2d(X[None], K.to(X.dtype))[0]


@EXERCISE.check(2, "the book's examples: [[56, 72], [104, 120]] and the K, K+1, K+2 stack",
                "教材示例：[[56, 72], [104, 120]] 以及 K、K+1、K+2 堆叠后的结果")
def book_examples(ctx: Context) -> None:
    inputs = {"X": BOOK_X, "K": BOOK_K}
    expect_close(ask(ctx, MULTI_IN, inputs, BOOK_X, BOOK_K), torch.tensor([[56.0, 72.0], [104.0, 120.0]]),
                 "corr2d_multi_in(X, K)", inputs)
    K = torch.stack((BOOK_K, BOOK_K + 1, BOOK_K + 2), 0)
    inputs = {"X": BOOK_X, "K = stack((K, K + 1, K + 2))": K}
    expected = torch.tensor([[[56.0, 72.0], [104.0, 120.0]], [[76.0, 100.0], [148.0, 172.0]],
                             [[96.0, 128.0], [192.0, 224.0]]])
    expect_close(ask(ctx, MULTI_IN_OUT, inputs, BOOK_X, K), expected, "corr2d_multi_in_out(X, K)", inputs)


@EXERCISE.check(3, "corr2d_multi_in matches F.conv2d (1-4 input channels, non-square, float64)",
                "corr2d_multi_in 与 F.conv2d 一致（1-4 个输入通道、非方形、float64）")
def multi_in_matches_builtin(ctx: Context) -> None:
    expect_matches(ctx, S.channels_case(), MULTI_IN, lambda X, K: oracle(X, K[None])[0], "corr2d_multi_in(X, K)",
                   unpack=lambda case: (case[0], case[1][0]))


@EXERCISE.check(3, "corr2d_multi_in_out matches F.conv2d (output channels stacked on dimension 0)",
                "corr2d_multi_in_out 与 F.conv2d 一致（输出通道沿第 0 维堆叠）")
def multi_in_out_matches_builtin(ctx: Context) -> None:
    expect_matches(ctx, S.channels_case(), MULTI_IN_OUT, oracle, "corr2d_multi_in_out(X, K)")


@EXERCISE.check(2, "1x1 convolution matches F.conv2d and the per-pixel product einsum('oi,ihw->ohw')",
                "1x1 卷积与 F.conv2d 以及逐像素矩阵乘法 einsum('oi,ihw->ohw') 一致")
def one_by_one_matches(ctx: Context) -> None:
    @ctx.given(S.channels_case(one_by_one=True))
    def prop(case):
        X, K = case
        inputs = {"X": X, "K": K}
        got = ask(ctx, ONE_BY_ONE, inputs, X, K)
        expect_close(got, oracle(X, K), "corr2d_multi_in_out_1x1(X, K)", inputs)
        expect_close(got, torch.einsum("oi,ihw->ohw", K[:, :, 0, 0].to(X.dtype), X),
                     "corr2d_multi_in_out_1x1(X, K) vs einsum('oi,ihw->ohw', K[:, :, 0, 0], X)", inputs)

    prop()


@EXERCISE.check(1, "the 1x1 convolution is exactly one matrix multiplication", "1x1 卷积恰好通过一次矩阵乘法计算")
def one_by_one_matmul(ctx: Context) -> None:
    expect_one_matmul(ctx, ONE_BY_ONE, torch.randn(3, 5, 4), torch.randn(2, 3, 1, 1))


@EXERCISE.check(1, "speed: the 1x1 convolution within 5x one matrix product (8 -> 8 channels, 256x256)",
                "速度：1x1 卷积不慢于一次矩阵乘法的 5 倍（8 -> 8 通道、256x256）")
def one_by_one_speed(ctx: Context) -> None:
    # Many pixels, few channels: the reference (one product plus the transfer) takes ~7 ms, a
    # loop over pixels ~60x that. With many channels the transfer of the tensors dominates both.
    def make(i: int) -> tuple:
        generator = torch.Generator().manual_seed(i)
        return torch.randn(8, 256, 256, generator=generator), torch.randn(8, 8, 1, 1, generator=generator)

    expect_fast_enough(ctx, ONE_BY_ONE, make, max_ratio=5)


@EXERCISE.check(1, "no built-in convolution in any of the three functions",
                "三个函数都不使用内置卷积")
def no_builtin(ctx: Context) -> None:
    X = torch.randn(3, 6, 5)
    expect_no_builtin(ctx, MULTI_IN, X, torch.randn(3, 2, 3))
    expect_no_builtin(ctx, MULTI_IN_OUT, X, torch.randn(2, 3, 3, 2))
    expect_no_builtin(ctx, ONE_BY_ONE, X, torch.randn(2, 3, 1, 1))


@EXERCISE.check(1, "speed: corr2d_multi_in_out at most 20x the reference (2 -> 3 channels, 20x20, 7x7)",
                "速度：corr2d_multi_in_out 不慢于参考实现的 20 倍（2 -> 3 通道、20x20、7x7）")
def speed(ctx: Context) -> None:
    # A 7x7 kernel: a loop over single elements is ~50x the reference's loop over windows.
    def make(i: int) -> tuple:
        generator = torch.Generator().manual_seed(i)
        return torch.randn(2, 20, 20, generator=generator), torch.randn(3, 2, 7, 7, generator=generator)

    expect_fast_enough(ctx, MULTI_IN_OUT, make, max_ratio=20)
