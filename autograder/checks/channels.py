"""Hidden checks for multiple input and output channels and the 1x1 convolution (d2l 6.4).

The oracle is ``F.conv2d`` on a batch of one; the 1x1 version is also compared with the
per-pixel matrix product ``einsum('oi,ihw->ohw')``. Each rule the statement adds (one matrix
product, each family of ``ValueError``, no built-ins, speed) is a rule check of its own.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from torch.nn import functional as F

from ..text import Text
from . import strategies as S
from .expect import ask, expect_close, expect_invalid_rejected, expect_matches
from .framework import Context, checks_of
from .rules import expect_fast_enough, expect_no_builtin, expect_one_matmul

EXERCISE = checks_of("channels")
MULTI_IN = "channels.corr2d_multi_in"
MULTI_IN_OUT = "channels.corr2d_multi_in_out"
ONE_BY_ONE = "channels.corr2d_multi_in_out_1x1"

#: 6.4's example: two input channels and a 2x2 kernel per channel.
BOOK_X = torch.tensor(
    [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]
)
BOOK_K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])

#: The speed checks' sizes (X, K), also used by ``no_builtin``: a shortcut to a built-in for large
#: inputs only must not go unseen.
SPEED_MULTI_IN_OUT = ((2, 20, 20), (3, 2, 7, 7))
SPEED_ONE_BY_ONE = ((8, 256, 256), (8, 8, 1, 1))

X_NOT_3D = Text("X must be 3-D (c_i, h, w)", "X 必须是三维张量 (c_i, h, w)")
K_NOT_3D = Text(
    "K of corr2d_multi_in must be 3-D (c_i, k_h, k_w)", "corr2d_multi_in 的 K 必须是三维张量 (c_i, k_h, k_w)"
)
K_NOT_4D = Text("K must be 4-D (c_o, c_i, k_h, k_w)", "K 必须是四维张量 (c_o, c_i, k_h, k_w)")
C_I_DIFFERS = Text("K's number of input channels c_i must equal X's", "K 的输入通道数 c_i 必须与 X 的通道数相同")
NOT_1X1 = Text("the kernel of corr2d_multi_in_out_1x1 must be 1x1", "corr2d_multi_in_out_1x1 的卷积核必须是 1×1")

#: (function, X shape, K shape) of each family of ValueError the exercise asks for. X is 2 x 4 x 5
#: unless the case is about X; wrong channel counts go both ways (zip would silently drop the extra).
X_NOT_3D_CALLS = (
    (MULTI_IN, (4, 5), (4, 2, 2)),
    (MULTI_IN, (1, 2, 4, 5), (2, 2, 2)),
    (MULTI_IN_OUT, (4, 5), (3, 4, 2, 2)),
    (ONE_BY_ONE, (4, 5), (3, 4, 1, 1)),
)
K_DIMS_CALLS = (
    (MULTI_IN, (2, 4, 5), (2, 2)),
    (MULTI_IN, (2, 4, 5), (1, 2, 2, 2)),
    (MULTI_IN_OUT, (2, 4, 5), (2, 2, 2)),
    (MULTI_IN_OUT, (2, 4, 5), (1, 3, 2, 2, 2)),
    (ONE_BY_ONE, (2, 4, 5), (2, 1, 1)),
)
C_I_CALLS = (
    (MULTI_IN, (2, 4, 5), (3, 2, 2)),
    (MULTI_IN, (2, 4, 5), (1, 2, 2)),
    (MULTI_IN_OUT, (2, 4, 5), (3, 3, 2, 2)),
    (MULTI_IN_OUT, (2, 4, 5), (3, 1, 2, 2)),
    (ONE_BY_ONE, (2, 4, 5), (3, 3, 1, 1)),
)
NOT_1X1_CALLS = (
    (ONE_BY_ONE, (2, 4, 5), (3, 2, 3, 3)),
    (ONE_BY_ONE, (2, 4, 5), (3, 2, 1, 2)),
)


def oracle(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """(c_i, h, w) and (c_o, c_i, k_h, k_w) -> (c_o, h', w')."""
    return F.conv2d(X[None], K.to(X.dtype))[0]


def transposed_storage(X: torch.Tensor) -> torch.Tensor:
    """The same (c_i, h, w) values as ``Y.transpose(1, 2)`` of a (c_i, w, h) tensor Y: a valid X that is
    not contiguous, whose pixels ``X.view(c_i, h * w)`` cannot flatten (``reshape`` can)."""
    return X.transpose(1, 2).contiguous().transpose(1, 2)


def random_pair(
    shapes: tuple[tuple[int, ...], tuple[int, ...]], dtype: torch.dtype = torch.float32, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random (X, K) of the given shapes (seeded: a rerun sees the same input)."""
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(shape, generator=generator, dtype=dtype) for shape in shapes)


@EXERCISE.check(
    2,
    "the book's examples: [[56, 72], [104, 120]] and the K, K+1, K+2 stack",
    "教材示例：[[56, 72], [104, 120]] 以及 K、K+1、K+2 堆叠后的结果",
)
def book_examples(ctx: Context) -> None:
    inputs = {"X": BOOK_X, "K": BOOK_K}
    expect_close(
        ask(ctx, MULTI_IN, inputs, BOOK_X, BOOK_K),
        torch.tensor([[56.0, 72.0], [104.0, 120.0]]),
        "corr2d_multi_in(X, K)",
        inputs,
    )
    K = torch.stack((BOOK_K, BOOK_K + 1, BOOK_K + 2), 0)
    inputs = {"X": BOOK_X, "K = stack((K, K + 1, K + 2))": K}
    expected = torch.tensor(
        [[[56.0, 72.0], [104.0, 120.0]], [[76.0, 100.0], [148.0, 172.0]], [[96.0, 128.0], [192.0, 224.0]]]
    )
    expect_close(ask(ctx, MULTI_IN_OUT, inputs, BOOK_X, K), expected, "corr2d_multi_in_out(X, K)", inputs)


@EXERCISE.check(
    3,
    "corr2d_multi_in matches F.conv2d (1-4 input channels, non-square, float64)",
    "corr2d_multi_in 与 F.conv2d 一致（1-4 个输入通道、非方形、float64）",
)
def multi_in_matches_builtin(ctx: Context) -> None:
    # All or nothing, like every property check here: a function wrong for some channel counts or
    # shapes is wrong, whatever share of the drawn examples it survives.
    expect_matches(
        ctx,
        S.channels_case(),
        MULTI_IN,
        lambda X, K: oracle(X, K[None])[0],
        "corr2d_multi_in(X, K)",
        unpack=lambda case: (case[0], case[1][0]),
    )


@EXERCISE.check(
    2,
    "corr2d_multi_in_out matches F.conv2d (output channels stacked on dimension 0)",
    "corr2d_multi_in_out 与 F.conv2d 一致（输出通道沿第 0 维堆叠）",
)
def multi_in_out_matches_builtin(ctx: Context) -> None:
    expect_matches(ctx, S.channels_case(), MULTI_IN_OUT, oracle, "corr2d_multi_in_out(X, K)")


@EXERCISE.check(
    2,
    "1x1 convolution matches F.conv2d and the per-pixel product einsum('oi,ihw->ohw') "
    "(X also non-contiguous: a transposed tensor)",
    "1x1 卷积与 F.conv2d 以及逐像素矩阵乘法 einsum('oi,ihw->ohw') 一致（X 也可以是转置得到的非连续张量）",
)
def one_by_one_matches(ctx: Context) -> None:
    # Any (c_i, h, w) tensor is a valid X, also a transposed view of another tensor.
    @ctx.given(st.tuples(S.channels_case(one_by_one=True), st.booleans()))
    def prop(case):
        (X, K), transposed = case
        X = transposed_storage(X) if transposed else X
        inputs = {"X (non-contiguous: Y.transpose(1, 2))" if transposed else "X": X, "K": K}
        got = ask(ctx, ONE_BY_ONE, inputs, X, K)
        expect_close(got, oracle(X, K), "corr2d_multi_in_out_1x1(X, K)", inputs)
        expect_close(
            got,
            torch.einsum("oi,ihw->ohw", K[:, :, 0, 0].to(X.dtype), X),
            "corr2d_multi_in_out_1x1(X, K) vs einsum('oi,ihw->ohw', K[:, :, 0, 0], X)",
            inputs,
        )

    prop()


@EXERCISE.rule(1, "the 1x1 convolution is exactly one matrix multiplication", "1x1 卷积恰好通过一次矩阵乘法计算")
def one_by_one_matmul(ctx: Context) -> None:
    expect_one_matmul(ctx, ONE_BY_ONE, torch.randn(3, 5, 4), torch.randn(2, 3, 1, 1))


@EXERCISE.rule(
    1,
    "speed: the 1x1 convolution within 5x one matrix product (8 -> 8 channels, 256x256)",
    "速度：1x1 卷积不慢于一次矩阵乘法的 5 倍（8 -> 8 通道、256x256）",
)
def one_by_one_speed(ctx: Context) -> None:
    # Many pixels, few channels: the reference (one product plus the transfer) takes ~7 ms, a
    # loop over pixels ~60x that. With many channels the transfer of the tensors dominates both.
    expect_fast_enough(ctx, ONE_BY_ONE, lambda i: random_pair(SPEED_ONE_BY_ONE, seed=i), max_ratio=5)


def expect_wrong_shapes_rejected(ctx: Context, calls: tuple, rule: Text) -> None:
    """Each call (function, X shape, K shape) breaks ``rule``, so each must raise ValueError."""
    hint = Text("The exercise asks for ValueError here: ", "练习要求此时抛出 ValueError：") + rule + Text(".", "。")
    for target, x_shape, k_shape in calls:
        expect_invalid_rejected(ctx, target, [(hint, (torch.ones(x_shape), torch.ones(k_shape)), {})])


@EXERCISE.rule(
    0.25,
    "an X that is not 3-D (c_i, h, w) raises ValueError in all three functions",
    "三个函数在 X 不是三维 (c_i, h, w) 时都抛出 ValueError",
)
def rejects_x_not_3d(ctx: Context) -> None:
    expect_wrong_shapes_rejected(ctx, X_NOT_3D_CALLS, X_NOT_3D)


@EXERCISE.rule(
    0.25,
    "a K with the wrong number of dimensions raises ValueError (3-D for corr2d_multi_in, 4-D for the other two)",
    "K 的维数不对时抛出 ValueError（corr2d_multi_in 为三维，另两个函数为四维）",
)
def rejects_k_wrong_dimensions(ctx: Context) -> None:
    for calls, rule in ((K_DIMS_CALLS[:2], K_NOT_3D), (K_DIMS_CALLS[2:], K_NOT_4D)):
        expect_wrong_shapes_rejected(ctx, calls, rule)


@EXERCISE.rule(
    0.25,
    "a K whose number of input channels c_i differs from X's raises ValueError (more and fewer)",
    "K 的输入通道数 c_i 与 X 的不同时抛出 ValueError（多或少）",
)
def rejects_channel_mismatch(ctx: Context) -> None:
    expect_wrong_shapes_rejected(ctx, C_I_CALLS, C_I_DIFFERS)


@EXERCISE.rule(
    0.25,
    "corr2d_multi_in_out_1x1 with a kernel that is not 1x1 raises ValueError",
    "corr2d_multi_in_out_1x1 的卷积核不是 1×1 时抛出 ValueError",
)
def rejects_kernel_not_1x1(ctx: Context) -> None:
    expect_wrong_shapes_rejected(ctx, NOT_1X1_CALLS, NOT_1X1)


@EXERCISE.rule(
    1,
    "no built-in convolution in any of the three functions (small, speed-check-sized and float64 inputs)",
    "三个函数都不使用内置卷积（小输入、速度测试大小的输入和 float64 输入）",
)
def no_builtin(ctx: Context) -> None:
    x_speed, k_speed = SPEED_MULTI_IN_OUT
    small = {
        MULTI_IN: ((3, 6, 5), (3, 2, 3)),
        MULTI_IN_OUT: ((3, 6, 5), (2, 3, 3, 2)),
        ONE_BY_ONE: ((3, 6, 5), (2, 3, 1, 1)),
    }
    large = {MULTI_IN: (x_speed, k_speed[1:]), MULTI_IN_OUT: SPEED_MULTI_IN_OUT, ONE_BY_ONE: SPEED_ONE_BY_ONE}
    for target, shapes in small.items():
        for args in (random_pair(shapes), random_pair(large[target]), random_pair(shapes, torch.float64)):
            expect_no_builtin(ctx, target, *args)


@EXERCISE.rule(
    1,
    "speed: corr2d_multi_in_out at most 20x the reference (2 -> 3 channels, 20x20, 7x7)",
    "速度：corr2d_multi_in_out 不慢于参考实现的 20 倍（2 -> 3 通道、20x20、7x7）",
)
def speed(ctx: Context) -> None:
    # A 7x7 kernel: a loop over single elements is ~50x the reference's loop over windows.
    expect_fast_enough(ctx, MULTI_IN_OUT, lambda i: random_pair(SPEED_MULTI_IN_OUT, seed=i), max_ratio=20)
