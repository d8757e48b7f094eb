"""Hidden checks for ``pool2d`` (d2l 6.5): the oracles are ``F.max_pool2d`` and ``F.avg_pool2d`` with stride 1."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from ..text import Text
from . import strategies as S
from .expect import ask, expect_close, expect_invalid_rejected, expect_shape, tensor_result, with_inputs
from .framework import CheckFailed, Context, checks_of
from .rules import expect_fast_enough, expect_no_builtin

EXERCISE = checks_of("pooling")
TARGET = "pooling.pool2d"

#: The speed check's input size and window, also used by ``no_builtin``: a shortcut to a built-in
#: for large inputs only must not go unseen.
SPEED_SIZE, SPEED_WINDOW = (48, 48), (9, 9)

#: An integer image (digits of pi): the output must still be floating point, its averages fractional.
INTEGER_X = torch.tensor([[3, 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8]])

MODE_HINT = Text(
    "Only 'max' and 'avg' are modes (exactly these strings); raise ValueError for anything else.",
    "mode 只能是 'max' 或 'avg'（仅限这两个字符串），其他值应抛出 ValueError。",
)
NOT_2D_HINT = Text(
    "pool2d pools a 2-D X only; raise ValueError for any other number of dimensions.",
    "pool2d 只处理二维的 X；维数不是 2 时应抛出 ValueError。",
)
TOO_LARGE_HINT = Text(
    "A window larger than X fits nowhere; raise ValueError instead of returning an empty tensor.",
    "窗口比 X 大时无处可放；应抛出 ValueError，而不是返回空张量。",
)


def oracle(X: torch.Tensor, pool_size, mode: str) -> torch.Tensor:
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(S.as_4d(X), S.as_pair(pool_size), stride=1)[0, 0]


@EXERCISE.check(
    2,
    "the book's example: max [[4, 5], [7, 8]] (the default mode; pool_size (2, 2) or the int 2), avg [[2, 3], [5, 6]]",
    "教材示例：最大汇聚（默认模式；pool_size 为 (2, 2) 或整数 2）[[4, 5], [7, 8]]，平均汇聚 [[2, 3], [5, 6]]",
)
def book_example(ctx: Context) -> None:
    X = torch.arange(9.0).reshape(3, 3)
    inputs = {"X": X, "pool_size": (2, 2)}
    expect_close(
        ask(ctx, TARGET, inputs, X, (2, 2)), torch.tensor([[4.0, 5.0], [7.0, 8.0]]), "pool2d(X, (2, 2))", inputs
    )
    square = {"X": X, "pool_size": 2}  # the exercise says an int p means the window (p, p)
    expect_close(ask(ctx, TARGET, square, X, 2), torch.tensor([[4.0, 5.0], [7.0, 8.0]]), "pool2d(X, 2)", square)
    expect_close(
        ask(ctx, TARGET, inputs, X, (2, 2), "avg"),
        torch.tensor([[2.0, 3.0], [5.0, 6.0]]),
        "pool2d(X, (2, 2), 'avg')",
        inputs,
    )


def matches(ctx: Context, mode: str) -> None:
    @ctx.given(S.pool_input_and_window())
    def prop(case):
        X, pool_size = case
        inputs = {"X": X, "pool_size": pool_size}
        expect_close(
            ask(ctx, TARGET, inputs, X, pool_size, mode=mode),
            oracle(X, pool_size, mode),
            f"pool2d(X, pool_size, mode={mode!r})",
            inputs,
        )

    prop()
    expect_float_for_integers(ctx, mode)


def expect_float_for_integers(ctx: Context, mode: str) -> None:
    """The exercise promises a floating-point output, so an integer X must pool like its float copy."""
    inputs = {"X": INTEGER_X, "pool_size": (2, 2)}
    call = f"pool2d(X of dtype int64, (2, 2), mode={mode!r})"
    got = tensor_result(ask(ctx, TARGET, inputs, INTEGER_X, (2, 2), mode=mode), call, inputs)
    if not got.is_floating_point():
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{call}: expected a floating-point result, got dtype {got.dtype}",
                    f"{call}：结果应为浮点类型，实际为 {got.dtype}",
                ),
                inputs,
            ),
            Text(
                "Convert an integer X to floating point first (e.g. X.float()).",
                "先把整数类型的 X 转换为浮点类型（例如 X.float()）。",
            ),
        )
    expect_close(got, oracle(INTEGER_X.double(), (2, 2), mode), call, inputs)


@EXERCISE.check(
    2,
    "max pooling matches F.max_pool2d (non-square windows and inputs, window = input, float64; "
    "an integer X gives a floating-point result)",
    "最大汇聚与 F.max_pool2d 一致（非方形窗口与输入、窗口与输入同样大、float64；整数 X 得到浮点结果）",
)
def max_matches_builtin(ctx: Context) -> None:
    matches(ctx, "max")


@EXERCISE.check(
    2,
    "average pooling matches F.avg_pool2d (non-square windows and inputs, window = input, float64; "
    "an integer X gives a floating-point result)",
    "平均汇聚与 F.avg_pool2d 一致（非方形窗口与输入、窗口与输入同样大、float64；整数 X 得到浮点结果）",
)
def avg_matches_builtin(ctx: Context) -> None:
    matches(ctx, "avg")


@EXERCISE.check(
    2,
    "maths: max >= avg everywhere, avg of a constant image is that constant, default mode is max",
    "数学性质：最大汇聚处处不小于平均汇聚、常数图像的平均汇聚仍是该常数、默认模式为最大汇聚",
)
def properties(ctx: Context) -> None:
    # Judged against each other, not against the oracles (the two checks above do that).
    @ctx.given(S.pool_input_and_window(max_side=7, max_window=4), max_examples=15)
    def prop(case):
        X, pool_size = case
        inputs = {"X": X, "pool_size": pool_size}
        shape = oracle(X, pool_size, "max").shape
        highest = tensor_result(ask(ctx, TARGET, inputs, X, pool_size, mode="max"), "pool2d", inputs)
        expect_shape(highest, shape, "pool2d(X, pool_size, mode='max')", inputs)
        mean = tensor_result(ask(ctx, TARGET, inputs, X, pool_size, mode="avg"), "pool2d", inputs)
        expect_shape(mean, shape, "pool2d(X, pool_size, mode='avg')", inputs)
        below = highest.detach().to(torch.float64) < mean.detach().to(torch.float64) - 1e-4
        if bool(below.any()):
            index = [int(i) for i in below.nonzero()[0]]
            raise CheckFailed(
                with_inputs(
                    Text(
                        f"pool2d: at {index} max pooling gives {float(highest[tuple(index)]):.6g}, "
                        f"less than average pooling's {float(mean[tuple(index)]):.6g}",
                        f"pool2d：在 {index} 处最大汇聚的结果 {float(highest[tuple(index)]):.6g} "
                        f"小于平均汇聚的结果 {float(mean[tuple(index)]):.6g}",
                    ),
                    inputs,
                )
            )
        expect_close(
            ask(ctx, TARGET, inputs, X, pool_size),
            highest,
            "pool2d(X, pool_size) (default mode) vs pool2d(X, pool_size, mode='max')",
            inputs,
        )
        constant = torch.full_like(X, float(X[0, 0]))
        inputs = {"X": constant, "pool_size": pool_size}
        expect_close(
            ask(ctx, TARGET, inputs, constant, pool_size, mode="avg"),
            torch.full(shape, float(X[0, 0])),
            "pool2d(constant image, pool_size, mode='avg')",
            inputs,
        )

    prop()


@EXERCISE.check(
    1,
    "invalid arguments raise ValueError: a mode other than 'max'/'avg' ('min', 'mean', 'average', "
    "'MAX', '', None), an X that is not 2-D, a window taller or wider than X",
    "无效参数抛出 ValueError：mode 不是 'max'/'avg'（'min'、'mean'、'average'、'MAX'、''、None）、X 不是二维、"
    "窗口比 X 高或宽",
)
def invalid_arguments(ctx: Context) -> None:
    X = torch.arange(12.0).reshape(3, 4)
    expect_invalid_rejected(
        ctx,
        TARGET,
        [
            *((MODE_HINT, (X, (2, 2)), {"mode": mode}) for mode in ("min", "mean", "average", "MAX", "", None)),
            *((NOT_2D_HINT, (torch.ones(shape), (2, 2)), {}) for shape in ((2, 3, 4), (5,))),
            *((TOO_LARGE_HINT, (X, window), {}) for window in ((4, 2), (2, 5))),
        ],
    )


@EXERCISE.check(
    1,
    "no built-in pooling or convolution (F.max_pool2d, F.avg_pool2d, nn.MaxPool2d, ...; small, "
    "speed-check-sized and float64 inputs)",
    "不使用内置汇聚或卷积运算（F.max_pool2d、F.avg_pool2d、nn.MaxPool2d 等；小输入、速度测试大小的输入和 "
    "float64 输入）",
)
def no_builtin(ctx: Context) -> None:
    generator = torch.Generator().manual_seed(0)
    cases = (
        (torch.randn(6, 7, generator=generator), (2, 3)),
        (torch.randn(SPEED_SIZE, generator=generator), SPEED_WINDOW),
        (torch.randn(6, 7, generator=generator, dtype=torch.float64), (3, 2)),
    )
    for X, pool_size in cases:
        for mode in ("max", "avg"):
            expect_no_builtin(ctx, TARGET, X, pool_size, mode)


@EXERCISE.check(
    2,
    "speed: max and avg at most 20x the reference on 48x48 with a 9x9 window",
    "速度：在 48x48 输入、9x9 窗口上，最大与平均汇聚都不慢于参考实现的 20 倍",
)
def speed(ctx: Context) -> None:
    # A 9x9 window: a loop over single elements is ~40x the reference's loop over windows.
    for mode in ("max", "avg"):

        def make(i: int) -> tuple:
            generator = torch.Generator().manual_seed(i)
            return torch.randn(SPEED_SIZE, generator=generator), SPEED_WINDOW, mode

        expect_fast_enough(ctx, TARGET, make, max_ratio=20)
