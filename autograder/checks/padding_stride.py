"""Hidden checks for padding and stride (d2l 6.3): the oracle is ``F.conv2d`` with padding and stride.

Also home of two helpers the checks of channels, pooling and theory share: :func:`given` (one
failure per property) and :func:`ask` (a raised exception shows its counterexample).
"""
from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from . import strategies as S
from .expect import ask, expect_close, expect_equal, show, tensor_result, with_inputs
from .framework import CheckFailed, Context, Exercise, Text, type_name
from .rules import expect_fast_enough, expect_no_builtin

EXERCISE = Exercise("padding_stride", modules=("padding_stride",))
SHAPE = "padding_stride.conv_output_shape"
TARGET = "padding_stride.corr2d_pad_stride"

#: 6.3's four cases on an 8x8 input: (kernel_size, padding, stride) -> output shape.
BOOK_CASES = [
    (3, 1, 1, (8, 8)),
    ((5, 3), (2, 1), 1, (8, 8)),
    (3, 1, 2, (4, 4)),
    ((3, 5), (0, 1), (3, 4), (2, 2)),
]

SHAPE_HINT = Text("Per dimension: floor((n - k + 2p) / s) + 1, with p added on BOTH sides; "
                  "an int means the same value for height and width, a pair is (h, w).",
                  "每个维度：floor((n - k + 2p) / s) + 1，上下（左右）两侧都要加上 p；"
                  "整数表示高和宽取同一值，二元组为 (h, w)。")


def oracle(X: torch.Tensor, K: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    return F.conv2d(S.as_4d(X), S.as_4d(K.to(X.dtype)), padding=S.as_pair(padding), stride=S.as_pair(stride))[0, 0]


def oracle_shape(input_size, kernel_size, padding=0, stride=1) -> tuple[int, int]:
    """The (h, w) that ``F.conv2d`` really produces (computed on the meta device: no data)."""
    X = torch.empty(1, 1, *S.as_pair(input_size), device="meta")
    K = torch.empty(1, 1, *S.as_pair(kernel_size), device="meta")
    return tuple(F.conv2d(X, K, padding=S.as_pair(padding), stride=S.as_pair(stride)).shape[-2:])


def shape_result(value: Any, what: str, inputs: dict[str, Any] | None = None) -> tuple[int, int]:
    """Insist on a tuple or list of two ints (a torch.Size arrives as a tuple); return it as a tuple."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(type(v) is int for v in value)):
        got = f"{type_name(value)} {show(value)}" if isinstance(value, (tuple, list, int, float)) else type_name(value)
        raise CheckFailed(with_inputs(Text(f"{what} must return a tuple of two ints (h, w), got {got}",
                                           f"{what} 应返回由两个整数组成的元组 (h, w)，实际返回 {got}"), inputs),
                          Text("Use integer division // (not /) and return (h, w) as Python ints.",
                               "请使用整除 //（而不是 /），并以 Python 整数返回 (h, w)。"))
    return tuple(value)


def expect_output(got: Any, expected: torch.Tensor, what: str, inputs: dict[str, Any]) -> None:
    """``expect_close``, but a wrong shape gets the padding-and-stride formula as its hint."""
    got = tensor_result(got, what, inputs)
    if tuple(got.shape) != tuple(expected.shape):
        raise CheckFailed(with_inputs(Text(f"{what}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}",
                                           f"{what}：期望形状 {tuple(expected.shape)}，实际为 {tuple(got.shape)}"),
                                      inputs), SHAPE_HINT)
    expect_close(got, expected, what, inputs)


def expect_shape_answer(ctx: Context, input_size, kernel_size, padding, stride, expected) -> None:
    what = f"conv_output_shape({input_size!r}, {kernel_size!r}, padding={padding!r}, stride={stride!r})"
    inputs = {"input_size": input_size, "kernel_size": kernel_size, "padding": padding, "stride": stride}
    got = shape_result(ask(ctx, SHAPE, inputs, input_size, kernel_size, padding, stride), what)
    expect_equal(got, tuple(expected), what, hint=SHAPE_HINT)


@EXERCISE.check(2, "the book's four 8x8 cases: (8, 8), (8, 8), (4, 4), (2, 2)",
                "教材中 8x8 输入的四个例子：(8, 8)、(8, 8)、(4, 4)、(2, 2)")
def book_shapes(ctx: Context) -> None:
    for kernel_size, padding, stride, shape in BOOK_CASES:
        expect_shape_answer(ctx, 8, kernel_size, padding, stride, shape)


@EXERCISE.check(3, "output shape matches F.conv2d (ints and (h, w) pairs mixed, non-square)",
                "输出形状与 F.conv2d 一致（整数与 (h, w) 二元组混用、非方形）")
def shape_matches_builtin(ctx: Context) -> None:
    @ctx.given(S.conv_shape_arguments())
    def prop(case):
        expect_shape_answer(ctx, *case, oracle_shape(*case))

    prop()


@EXERCISE.check(3, "corr2d_pad_stride matches F.conv2d with padding and stride (ints and pairs, kernel > input)",
                "corr2d_pad_stride 与带填充和步幅的 F.conv2d 一致（整数与二元组、卷积核大于输入）")
def matches_builtin(ctx: Context) -> None:
    @ctx.given(S.padded_input_and_kernel())
    def prop(case):
        X, K, padding, stride = case
        inputs = {"X": X, "K": K, "padding": padding, "stride": stride}
        expect_output(ask(ctx, TARGET, inputs, X, K, padding=padding, stride=stride), oracle(X, K, padding, stride),
                     "corr2d_pad_stride(X, K, padding, stride)", inputs)

    prop()


@EXERCISE.check(1, "defaults padding=0, stride=1 give plain corr2d",
                "默认的 padding=0、stride=1 即普通互相关运算")
def defaults(ctx: Context) -> None:
    @ctx.given(S.input_and_kernel(), max_examples=10)
    def prop(case):
        X, K = case
        inputs = {"X": X, "K": K}
        expect_output(ask(ctx, TARGET, inputs, X, K), oracle(X, K), "corr2d_pad_stride(X, K)", inputs)

    prop()


@EXERCISE.check(1, "no built-in convolution (F.pad is fine)", "不使用内置卷积（可以使用 F.pad）")
def no_builtin(ctx: Context) -> None:
    expect_no_builtin(ctx, TARGET, torch.randn(6, 7), torch.randn(3, 2), (1, 2), (2, 1))


@EXERCISE.check(2, "speed: at most 20x the reference on 32x32, 7x7 kernel, padding 3",
                "速度：在 32x32 输入、7x7 卷积核、填充 3 上不慢于参考实现的 20 倍")
def speed(ctx: Context) -> None:
    # A 7x7 kernel and stride 1: a loop over single elements is then ~50x the reference's loop
    # over windows (with 3x3, or with stride 2 where the reference computes every window, ~7x).
    def make(i: int) -> tuple:
        generator = torch.Generator().manual_seed(i)
        return torch.randn(32, 32, generator=generator), torch.randn(7, 7, generator=generator), 3, 1

    expect_fast_enough(ctx, TARGET, make, max_ratio=20)
