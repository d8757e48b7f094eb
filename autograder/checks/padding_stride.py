"""Hidden checks for padding and stride (d2l 6.3): the oracle is ``F.conv2d`` with padding and stride.

Also home of two helpers the checks of channels, pooling and theory share: :func:`given` (one
failure per property) and :func:`ask` (a raised exception shows its counterexample).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from ..text import Text
from . import strategies as S
from .expect import Invalid, ask, expect_close, expect_equal, expect_invalid_rejected, show, tensor_result, with_inputs
from .framework import CheckFailed, Context, checks_of, type_name
from .rules import expect_fast_enough, expect_no_builtin

EXERCISE = checks_of("padding_stride")
SHAPE = "padding_stride.conv_output_shape"
TARGET = "padding_stride.corr2d_pad_stride"

#: 6.3's four cases on an 8x8 input: (kernel_size, padding, stride) -> output shape.
BOOK_CASES = [
    (3, 1, 1, (8, 8)),
    ((5, 3), (2, 1), 1, (8, 8)),
    (3, 1, 2, (4, 4)),
    ((3, 5), (0, 1), (3, 4), (2, 2)),
]

SHAPE_HINT = Text(
    "Per dimension: floor((n - k + 2p) / s) + 1, with p added on BOTH sides; "
    "an int means the same value for height and width, a pair is (h, w).",
    "每个维度：floor((n - k + 2p) / s) + 1，上下（左右）两侧都要加上 p；整数表示高和宽取同一值，二元组为 (h, w)。",
)


SIZE_RULE = Text(
    "The statement asks for ValueError when a size or kernel size is < 1.",
    "题目要求：尺寸或卷积核大小小于 1 时抛出 ValueError。",
)
PADDING_RULE = Text(
    "The statement asks for ValueError when padding is < 0.", "题目要求：填充小于 0 时抛出 ValueError。"
)
STRIDE_RULE = Text("The statement asks for ValueError when stride is < 1.", "题目要求：步幅小于 1 时抛出 ValueError。")
PAIR_RULE = Text(
    "The statement asks for ValueError for an argument that is neither an int nor an (h, w) pair "
    "of ints (e.g. a float, or three numbers); do not round or truncate it.",
    "题目要求：参数既不是整数也不是整数二元组（例如浮点数，或三个数）时抛出 ValueError；不要取整或截断。",
)
NOT_2D_RULE = Text(
    "The statement asks for ValueError when X or K is not a 2-D tensor.",
    "题目要求：X 或 K 不是二维张量时抛出 ValueError。",
)
FIT_RULE = Text(
    "The statement asks for ValueError when the kernel is larger than the PADDED input (n + 2p) in either dimension.",
    "题目要求：卷积核在任一维上大于填充后的输入（n + 2p）时抛出 ValueError。",
)

#: The families of ValueError the statement requires, each as (calls of ``conv_output_shape``, calls
#: of ``corr2d_pad_stride``): a number out of range (sizes and kernel sizes < 1, padding < 0, stride < 1) ...
OUT_OF_RANGE: tuple[list[Invalid], list[Invalid]] = (
    [
        (SIZE_RULE, (0, 1), {"padding": 1}),
        (SIZE_RULE, ((8, 8), (3, 0)), {}),
        (PADDING_RULE, (8, 3), {"padding": -1}),
        (STRIDE_RULE, (8, 3), {"stride": 0}),
    ],
    [
        (PADDING_RULE, (torch.ones(5, 5), torch.ones(2, 2)), {"padding": -1}),
        (STRIDE_RULE, (torch.ones(5, 5), torch.ones(2, 2)), {"stride": 0}),
    ],
)
#: ... an argument that is neither an int nor an (h, w) pair of ints ...
NOT_INT_OR_PAIR: tuple[list[Invalid], list[Invalid]] = (
    [
        (PAIR_RULE, (8, 3), {"padding": 1.5}),
        (PAIR_RULE, (8.0, 3), {}),
        (PAIR_RULE, (8, 3), {"padding": (1, 1, 1)}),
    ],
    [(PAIR_RULE, (torch.ones(5, 5), torch.ones(2, 2)), {"padding": 1.5})],
)
#: ... an X or K that is not 2-D (``corr2d_pad_stride`` only) ...
NOT_2D: tuple[list[Invalid], list[Invalid]] = (
    [],
    [
        (NOT_2D_RULE, (torch.ones(1, 5, 5), torch.ones(2, 2)), {}),
        (NOT_2D_RULE, (torch.ones(5, 5), torch.ones(1, 2, 2)), {}),
    ],
)
#: ... and a kernel larger than the padded input (in either dimension).
DOES_NOT_FIT: tuple[list[Invalid], list[Invalid]] = (
    [
        (FIT_RULE, ((3, 8), (6, 3)), {"padding": 1}),
        (FIT_RULE, ((8, 3), (3, 6)), {"padding": 1}),
    ],
    [
        (FIT_RULE, (torch.ones(3, 5), torch.ones(6, 2)), {"padding": 1}),
        (FIT_RULE, (torch.ones(5, 3), torch.ones(2, 6)), {"padding": 1}),
    ],
)


def oracle(X: torch.Tensor, K: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    return F.conv2d(S.as_4d(X), S.as_4d(K.to(X.dtype)), padding=S.as_pair(padding), stride=S.as_pair(stride))[0, 0]


def oracle_shape(input_size, kernel_size, padding=0, stride=1) -> tuple[int, int]:
    """The (h, w) that ``F.conv2d`` really produces."""
    return tuple(S.conv2d_output_shape(1, input_size, 1, kernel_size, padding, stride)[-2:])


def shape_result(value: Any, what: str, inputs: dict[str, Any] | None = None) -> tuple[int, int]:
    """Insist on a tuple of two ints, as the statement says (a torch.Size, a tuple, arrives as one; a
    list does not pass); return it."""
    if not (isinstance(value, tuple) and len(value) == 2 and all(type(v) is int for v in value)):
        got = f"{type_name(value)} {show(value)}" if isinstance(value, (tuple, list, int, float)) else type_name(value)
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{what} must return a tuple of two ints (h, w), got {got}",
                    f"{what} 应返回由两个整数组成的元组 (h, w)，实际返回 {got}",
                ),
                inputs,
            ),
            Text(
                "Return a tuple (h, w) of Python ints, not a list: use integer division // (not /) "
                "and write return h, w.",
                "请返回由 Python 整数组成的元组 (h, w)，而不是列表：使用整除 //（而不是 /），并写成 return h, w。",
            ),
        )
    return value


def expect_output(got: Any, expected: torch.Tensor, what: str, inputs: dict[str, Any]) -> None:
    """``expect_close``, but a wrong shape gets the padding-and-stride formula as its hint."""
    got = tensor_result(got, what, inputs)
    if tuple(got.shape) != tuple(expected.shape):
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{what}: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}",
                    f"{what}：期望形状 {tuple(expected.shape)}，实际为 {tuple(got.shape)}",
                ),
                inputs,
            ),
            SHAPE_HINT,
        )
    expect_close(got, expected, what, inputs)


def expect_shape_answer(ctx: Context, input_size, kernel_size, padding, stride, expected) -> None:
    what = f"conv_output_shape({input_size!r}, {kernel_size!r}, padding={padding!r}, stride={stride!r})"
    inputs = {"input_size": input_size, "kernel_size": kernel_size, "padding": padding, "stride": stride}
    got = shape_result(ask(ctx, SHAPE, inputs, input_size, kernel_size, padding, stride), what)
    expect_equal(got, tuple(expected), what, hint=SHAPE_HINT)


@EXERCISE.check(
    2,
    "the book's four 8x8 cases: (8, 8), (8, 8), (4, 4), (2, 2)",
    "教材中 8x8 输入的四个例子：(8, 8)、(8, 8)、(4, 4)、(2, 2)",
)
def book_shapes(ctx: Context) -> None:
    for kernel_size, padding, stride, shape in BOOK_CASES:
        expect_shape_answer(ctx, 8, kernel_size, padding, stride, shape)


@EXERCISE.check(
    3,
    "output shape matches F.conv2d (ints and (h, w) pairs mixed, non-square)",
    "输出形状与 F.conv2d 一致（整数与 (h, w) 二元组混用、非方形）",
)
def shape_matches_builtin(ctx: Context) -> None:
    # All or nothing, like every property check here: a formula wrong for some mix of ints and pairs
    # is wrong, whatever share of the drawn examples it survives.
    @ctx.given(S.conv_shape_arguments())
    def prop(case):
        expect_shape_answer(ctx, *case, oracle_shape(*case))

    prop()


@EXERCISE.check(
    3,
    "corr2d_pad_stride matches F.conv2d with padding and stride (ints and pairs, kernel > input)",
    "corr2d_pad_stride 与带填充和步幅的 F.conv2d 一致（整数与二元组、卷积核大于输入）",
)
def matches_builtin(ctx: Context) -> None:
    @ctx.given(S.padded_input_and_kernel())
    def prop(case):
        X, K, padding, stride = case
        inputs = {"X": X, "K": K, "padding": padding, "stride": stride}
        expect_output(
            ask(ctx, TARGET, inputs, X, K, padding=padding, stride=stride),
            oracle(X, K, padding, stride),
            "corr2d_pad_stride(X, K, padding, stride)",
            inputs,
        )

    prop()


@EXERCISE.check(1, "defaults padding=0, stride=1 give plain corr2d", "默认的 padding=0、stride=1 即普通互相关运算")
def defaults(ctx: Context) -> None:
    @ctx.given(S.input_and_kernel(), max_examples=10)
    def prop(case):
        X, K = case
        inputs = {"X": X, "K": K}
        expect_output(ask(ctx, TARGET, inputs, X, K), oracle(X, K), "corr2d_pad_stride(X, K)", inputs)

    prop()


def expect_family_rejected(ctx: Context, family: tuple[list[Invalid], list[Invalid]]) -> None:
    """Every call of one family of ValueError, of both functions, must raise ValueError."""
    shapes, calls = family
    expect_invalid_rejected(ctx, SHAPE, shapes)
    expect_invalid_rejected(ctx, TARGET, calls)


@EXERCISE.rule(
    0.25,
    "a number out of range raises ValueError: a size or kernel size < 1, padding < 0, stride < 1",
    "数值超出范围时抛出 ValueError：尺寸或卷积核大小小于 1、填充小于 0、步幅小于 1",
)
def rejects_out_of_range(ctx: Context) -> None:
    expect_family_rejected(ctx, OUT_OF_RANGE)


@EXERCISE.rule(
    0.25,
    "an argument that is neither an int nor an (h, w) pair of ints raises ValueError (1.5, 8.0, (1, 1, 1))",
    "参数既不是整数也不是整数二元组时抛出 ValueError（1.5、8.0、(1, 1, 1)）",
)
def rejects_non_int_arguments(ctx: Context) -> None:
    expect_family_rejected(ctx, NOT_INT_OR_PAIR)


@EXERCISE.rule(
    0.25,
    "corr2d_pad_stride with an X or K that is not 2-D raises ValueError",
    "corr2d_pad_stride 的 X 或 K 不是二维时抛出 ValueError",
)
def rejects_non_2d(ctx: Context) -> None:
    expect_family_rejected(ctx, NOT_2D)


@EXERCISE.rule(
    0.25,
    "a kernel larger than the padded input (n + 2p) in either dimension raises ValueError",
    "卷积核在任一维上大于填充后的输入（n + 2p）时抛出 ValueError",
)
def rejects_kernel_larger_than_padded_input(ctx: Context) -> None:
    expect_family_rejected(ctx, DOES_NOT_FIT)


@EXERCISE.rule(
    1,
    "no built-in convolution (F.pad is fine), on a small, a 32x32 and a float64 input",
    "不使用内置卷积（可以使用 F.pad），分别在小输入、32x32 输入和 float64 输入上检查",
)
def no_builtin(ctx: Context) -> None:
    small = (torch.randn(6, 7), torch.randn(3, 2), (1, 2), (2, 1))
    float64 = tuple(a.double() if isinstance(a, torch.Tensor) else a for a in small)
    for args in (small, speed_inputs(0), float64):
        expect_no_builtin(ctx, TARGET, *args)


def speed_inputs(i: int) -> tuple:
    """The speed check's case, seeded by ``i``: 32x32 input, 7x7 kernel, padding 3, stride 1.

    A 7x7 kernel and stride 1: a loop over single elements is then ~50x the reference's loop
    over windows (with 3x3, or with stride 2 where the reference computes every window, ~7x).
    """
    generator = torch.Generator().manual_seed(i)
    return torch.randn(32, 32, generator=generator), torch.randn(7, 7, generator=generator), 3, 1


@EXERCISE.rule(
    1,
    "speed: at most 20x the reference on 32x32, 7x7 kernel, padding 3",
    "速度：在 32x32 输入、7x7 卷积核、填充 3 上不慢于参考实现的 20 倍",
)
def speed(ctx: Context) -> None:
    expect_fast_enough(ctx, TARGET, speed_inputs, max_ratio=20)
