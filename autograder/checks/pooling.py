"""Hidden checks for ``pool2d`` (d2l 6.5): the oracles are ``F.max_pool2d`` and ``F.avg_pool2d`` with stride 1.

The book's example and the comparisons with PyTorch call ``pool2d`` as the book does: a (p_h, p_w)
pair and a floating-point ``X``. What the statement adds (an int window, an integer ``X``, each
family of ``ValueError``, no built-ins, speed) is checked by a rule check of its own.
"""

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
#: The book's 3x3 input (6.5.1).
BOOK_X = torch.arange(9.0).reshape(3, 3)

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
INT_WINDOW_HINT = Text(
    "The statement lets an int p stand for the window (p, p); the book's pool2d unpacks a pair "
    "(p_h, p_w = pool_size), so turn an int into (p, p) first.",
    "题目允许用整数 p 表示窗口 (p, p)；教材的 pool2d 直接解包二元组（p_h, p_w = pool_size），"
    "所以要先把整数转换为 (p, p)。",
)
INTEGER_HINT = Text(
    "Convert an integer X to floating point first (e.g. X.float()): the mean of integers is not an "
    "integer, and .mean() refuses integer tensors.",
    "先把整数类型的 X 转换为浮点类型（例如 X.float()）：整数的平均值不一定是整数，而且 .mean() 不接受整数张量。",
)


def oracle(X: torch.Tensor, pool_size, mode: str) -> torch.Tensor:
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(S.as_4d(X), S.as_pair(pool_size), stride=1)[0, 0]


@EXERCISE.check(
    2,
    "the book's example: pool2d(X, (2, 2)) = [[4, 5], [7, 8]] (max, the default mode) and "
    "pool2d(X, (2, 2), 'avg') = [[2, 3], [5, 6]]",
    "教材示例：pool2d(X, (2, 2)) = [[4, 5], [7, 8]]（最大汇聚，默认模式），pool2d(X, (2, 2), 'avg') = [[2, 3], [5, 6]]",
)
def book_example(ctx: Context) -> None:
    inputs = {"X": BOOK_X, "pool_size": (2, 2)}
    expect_close(
        ask(ctx, TARGET, inputs, BOOK_X, (2, 2)), torch.tensor([[4.0, 5.0], [7.0, 8.0]]), "pool2d(X, (2, 2))", inputs
    )
    expect_close(
        ask(ctx, TARGET, inputs, BOOK_X, (2, 2), "avg"),
        torch.tensor([[2.0, 3.0], [5.0, 6.0]]),
        "pool2d(X, (2, 2), 'avg')",
        inputs,
    )


def matches(ctx: Context, mode: str) -> None:
    # All or nothing: a pooling that is wrong for some window shapes is wrong, and the share of
    # drawn examples it survives says how often the strategy draws those shapes, not how close it is.
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


@EXERCISE.check(
    2,
    "max pooling matches F.max_pool2d (floating-point X, (p_h, p_w) windows: non-square, window = input, float64)",
    "最大汇聚与 F.max_pool2d 一致（浮点 X、(p_h, p_w) 窗口：非方形、窗口与输入同样大、float64）",
)
def max_matches_builtin(ctx: Context) -> None:
    matches(ctx, "max")


@EXERCISE.check(
    2,
    "average pooling matches F.avg_pool2d (floating-point X, (p_h, p_w) windows: non-square, window = input, float64)",
    "平均汇聚与 F.avg_pool2d 一致（浮点 X、(p_h, p_w) 窗口：非方形、窗口与输入同样大、float64）",
)
def avg_matches_builtin(ctx: Context) -> None:
    matches(ctx, "avg")


@EXERCISE.check(
    2,
    "maths: max >= avg everywhere, avg of a constant image is that constant, default mode is max",
    "数学性质：最大汇聚处处不小于平均汇聚、常数图像的平均汇聚仍是该常数、默认模式为最大汇聚",
)
def properties(ctx: Context) -> None:
    # Judged against each other, not against the oracles (the two checks above do that). All or
    # nothing: each example tests every property at once, so a share of examples has no meaning.
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


@EXERCISE.rule(
    0.5,
    "an int pool_size p means the window (p, p): pool2d(X, 2) and pool2d(X, 3) pool like (2, 2) and (3, 3)",
    "整数 pool_size p 表示窗口 (p, p)：pool2d(X, 2) 与 pool2d(X, 3) 的结果与 (2, 2)、(3, 3) 相同",
)
def int_pool_size(ctx: Context) -> None:
    X = torch.arange(20.0).reshape(4, 5)
    for p in (2, 3):
        for mode in ("max", "avg"):
            inputs = {"X": X, "pool_size": p}
            try:
                got = ask(ctx, TARGET, inputs, X, p, mode=mode)
                expect_close(
                    got, oracle(X, (p, p), mode), f"pool2d(X, {p}, mode={mode!r}) (the window ({p}, {p}))", inputs
                )
            except CheckFailed as failure:
                raise CheckFailed(failure.text, failure.hint or INT_WINDOW_HINT) from None


@EXERCISE.rule(
    0.5,
    "an integer X gives a floating-point result: pool2d(X of dtype int64, (2, 2)) in both modes "
    "equals the pooling of X.float()",
    "整数 X 得到浮点结果：两种模式下 pool2d(int64 类型的 X, (2, 2)) 都等于对 X.float() 汇聚的结果",
)
def integer_input(ctx: Context) -> None:
    inputs = {"X": INTEGER_X, "pool_size": (2, 2)}
    for mode in ("max", "avg"):
        call = f"pool2d(X of dtype int64, (2, 2), mode={mode!r})"
        try:
            got = tensor_result(ask(ctx, TARGET, inputs, INTEGER_X, (2, 2), mode=mode), call, inputs)
        except CheckFailed as failure:
            raise CheckFailed(failure.text, failure.hint or INTEGER_HINT) from None
        if not got.is_floating_point():
            raise CheckFailed(
                with_inputs(
                    Text(
                        f"{call}: expected a floating-point result, got dtype {got.dtype}",
                        f"{call}：结果应为浮点类型，实际为 {got.dtype}",
                    ),
                    inputs,
                ),
                INTEGER_HINT,
            )
        expect_close(got, oracle(INTEGER_X.double(), (2, 2), mode), call, inputs)


@EXERCISE.rule(
    0.5,
    "a mode other than 'max' or 'avg' raises ValueError ('min', 'mean', 'average', 'MAX', '', None)",
    "mode 不是 'max' 或 'avg' 时抛出 ValueError（'min'、'mean'、'average'、'MAX'、''、None）",
)
def rejects_unknown_mode(ctx: Context) -> None:
    X = torch.arange(12.0).reshape(3, 4)
    modes = ("min", "mean", "average", "MAX", "", None)
    expect_invalid_rejected(ctx, TARGET, [(MODE_HINT, (X, (2, 2)), {"mode": mode}) for mode in modes])


@EXERCISE.rule(
    0.25,
    "an X that is not 2-D raises ValueError (3-D and 1-D X)",
    "X 不是二维时抛出 ValueError（三维与一维的 X）",
)
def rejects_non_2d_input(ctx: Context) -> None:
    expect_invalid_rejected(
        ctx, TARGET, [(NOT_2D_HINT, (torch.ones(shape), (2, 2)), {}) for shape in ((2, 3, 4), (5,))]
    )


@EXERCISE.rule(
    0.25,
    "a window taller or wider than X raises ValueError",
    "窗口比 X 高或宽时抛出 ValueError",
)
def rejects_window_larger_than_input(ctx: Context) -> None:
    X = torch.arange(12.0).reshape(3, 4)
    expect_invalid_rejected(ctx, TARGET, [(TOO_LARGE_HINT, (X, window), {}) for window in ((4, 2), (2, 5))])


@EXERCISE.rule(
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


@EXERCISE.rule(
    1,
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
