"""Hidden checks for the gradable exercises of d2l 6.2 and 6.4: composing kernels, the cost of a
convolution, cross-correlation as one matrix product. The oracle is ``F.conv2d``."""

from __future__ import annotations

from typing import Any

import torch
from torch.nn import functional as F

from ..text import Text
from . import strategies as S
from .expect import (
    Invalid,
    ask,
    expect_close,
    expect_equal,
    expect_invalid_rejected,
    expect_matches,
    show,
    tensor_result,
    with_inputs,
)
from .framework import CheckFailed, Context, checks_of, type_name
from .rules import expect_no_builtin, expect_one_matmul

EXERCISE = checks_of("theory")
COMPOSE = "theory.compose_kernels"
COST = "theory.conv_cost"
MATMUL = "theory.corr2d_matmul"
COST_KEYS = ("madds", "params", "output_elems")


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    return F.conv2d(S.as_4d(X), S.as_4d(K.to(X.dtype)))[0, 0]


@EXERCISE.check(
    1,
    "compose_kernels([[1, -1]], [[1], [-1]]) = [[1, -1], [-1, 1]]",
    "compose_kernels([[1, -1]], [[1], [-1]]) = [[1, -1], [-1, 1]]",
)
def compose_example(ctx: Context) -> None:
    K1, K2 = torch.tensor([[1.0, -1.0]]), torch.tensor([[1.0], [-1.0]])
    inputs = {"K1": K1, "K2": K2}
    expect_close(
        ask(ctx, COMPOSE, inputs, K1, K2), torch.tensor([[1.0, -1.0], [-1.0, 1.0]]), "compose_kernels(K1, K2)", inputs
    )


@EXERCISE.check(
    3,
    "corr2d(corr2d(X, K1), K2) == corr2d(X, compose_kernels(K1, K2)) (non-square kernels)",
    "corr2d(corr2d(X, K1), K2) == corr2d(X, compose_kernels(K1, K2))（非方形卷积核）",
)
def compose_property(ctx: Context) -> None:
    # All or nothing: a composition wrong for some kernel shapes is wrong, whatever share of the
    # drawn examples it survives.
    @ctx.given(S.kernel_pair_and_input())
    def prop(case):
        X, K1, K2 = case
        inputs = {"K1": K1, "K2": K2, "X": X}
        K = tensor_result(ask(ctx, COMPOSE, {"K1": K1, "K2": K2}, K1, K2), "compose_kernels(K1, K2)", inputs)
        shape = (K1.shape[0] + K2.shape[0] - 1, K1.shape[1] + K2.shape[1] - 1)
        if tuple(K.shape) != shape:
            raise CheckFailed(
                with_inputs(
                    Text(
                        f"compose_kernels(K1, K2): expected shape {shape}, got {tuple(K.shape)}",
                        f"compose_kernels(K1, K2)：期望形状 {shape}，实际为 {tuple(K.shape)}",
                    ),
                    inputs,
                ),
                Text(
                    "Each output of the second layer sees k1 + k2 - 1 inputs per dimension.",
                    "第二层的每个输出在每个维度上依赖 k1 + k2 - 1 个输入。",
                ),
            )
        if K.is_complex() or not (K.is_floating_point() or K.dtype in (torch.int64, torch.int32)):
            raise CheckFailed(
                with_inputs(
                    Text(
                        f"compose_kernels(K1, K2): unexpected dtype {K.dtype}",
                        f"compose_kernels(K1, K2)：数据类型 {K.dtype} 不符合要求",
                    ),
                    inputs,
                )
            )
        expect_close(
            corr2d(X, K.detach()),
            corr2d(corr2d(X, K1), K2),
            "corr2d(X, compose_kernels(K1, K2)) vs corr2d(corr2d(X, K1), K2)",
            inputs,
        )

    prop()


def cost_result(value: Any, what: str, inputs: dict[str, Any] | None = None) -> dict[str, int]:
    """Insist on a dict whose madds, params and output_elems are ints (extra keys are ignored).

    Int-valued floats are refused: the counts are exact integers, and ``/`` where ``//`` belongs
    is the mistake this catches.
    """
    if type(value) is not dict:
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{what} must return a dict, got {type_name(value)}",
                    f"{what} 应返回 dict，实际返回 {type_name(value)}",
                ),
                inputs,
            )
        )
    missing = [key for key in COST_KEYS if key not in value]
    if missing:
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{what}: the dict lacks the key(s) {', '.join(missing)}",
                    f"{what}：字典缺少键 {', '.join(missing)}",
                ),
                inputs,
            )
        )
    for key in COST_KEYS:
        if type(value[key]) is not int:
            got = f"{type_name(value[key])} {show(value[key])}"
            raise CheckFailed(
                with_inputs(
                    Text(f"{what}['{key}'] must be an int, got {got}", f"{what}['{key}'] 应为整数，实际为 {got}"),
                    inputs,
                ),
                Text(
                    "Count with ints: use // for the output size, not /.", "请用整数计数：输出大小用整除 //，不要用 /。"
                ),
            )
    return {key: value[key] for key in COST_KEYS}


COST_HINTS = {
    "madds": Text(
        "One multiply-add per weight per output position: c_o * c_i * k_h * k_w * h_o * w_o.",
        "每个输出位置上每个权重一次乘加：c_o * c_i * k_h * k_w * h_o * w_o。",
    ),
    "params": Text(
        "Weights c_o * c_i * k_h * k_w, plus one bias per output channel.",
        "权重 c_o * c_i * k_h * k_w，再加上每个输出通道一个偏置。",
    ),
    "output_elems": Text("Every output channel has h_o * w_o elements.", "每个输出通道有 h_o * w_o 个元素。"),
}


def expect_cost(ctx: Context, sizes: tuple, expected: dict[str, int]) -> None:
    c_i, h, w, c_o, k_h, k_w, padding, stride = sizes
    what = f"conv_cost({c_i}, {h}, {w}, {c_o}, {k_h}, {k_w}, padding={padding}, stride={stride})"
    inputs = dict(zip(("c_i", "h", "w", "c_o", "k_h", "k_w", "padding", "stride"), sizes))
    got = cost_result(ask(ctx, COST, inputs, c_i, h, w, c_o, k_h, k_w, padding=padding, stride=stride), what)
    for key in COST_KEYS:
        expect_equal(got[key], expected[key], f"{what}['{key}']", hint=COST_HINTS[key])


@EXERCISE.check(
    1,
    "LeNet's first layer: conv_cost(1, 28, 28, 6, 5, 5, padding=2)",
    "LeNet 的第一层：conv_cost(1, 28, 28, 6, 5, 5, padding=2)",
)
def cost_example(ctx: Context) -> None:
    expect_cost(ctx, (1, 28, 28, 6, 5, 5, 2, 1), {"madds": 117600, "params": 156, "output_elems": 4704})


@EXERCISE.check(
    2,
    "conv_cost matches the layer F.conv2d builds (multiply-adds, parameters with biases, outputs; "
    "padding and stride ints or (h, w) pairs)",
    "conv_cost 与 F.conv2d 实际构成的卷积层一致（乘加次数、含偏置的参数个数、输出元素个数；"
    "填充和步幅为整数或 (h, w) 二元组）",
)
def cost_property(ctx: Context) -> None:
    # All or nothing: one formula covers every size; a share of drawn examples would measure how
    # often the strategy draws padding, stride or pairs, not how close the formula is.
    @ctx.given(S.conv_layer_sizes())
    def prop(sizes):
        c_i, h, w, c_o, k_h, k_w, padding, stride = sizes
        _, _, h_o, w_o = S.conv2d_output_shape(c_i, (h, w), c_o, (k_h, k_w), padding, stride)
        weights = c_o * c_i * k_h * k_w
        expect_cost(
            ctx, sizes, {"madds": weights * h_o * w_o, "params": weights + c_o, "output_elems": c_o * h_o * w_o}
        )

    prop()


@EXERCISE.check(
    1, "corr2d_matmul, the book's example: [[19, 25], [37, 43]]", "corr2d_matmul 的教材示例：[[19, 25], [37, 43]]"
)
def matmul_example(ctx: Context) -> None:
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    inputs = {"X": X, "K": K}
    expect_close(
        ask(ctx, MATMUL, inputs, X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]), "corr2d_matmul(X, K)", inputs
    )


@EXERCISE.check(
    2,
    "corr2d_matmul matches F.conv2d on random shapes (non-square, 1xN, Nx1, kernel = input)",
    "corr2d_matmul 在随机形状上与 F.conv2d 一致（非方形、1xN、Nx1、卷积核与输入同样大）",
)
def matmul_matches_builtin(ctx: Context) -> None:
    # All or nothing, as for corr2d's matches_builtin.
    expect_matches(ctx, S.input_and_kernel(), MATMUL, corr2d, "corr2d_matmul(X, K)")


@EXERCISE.rule(
    1,
    "corr2d_matmul is exactly one matrix product, with no built-in convolution",
    "corr2d_matmul 恰好通过一次矩阵乘法计算，不使用内置卷积",
)
def matmul_rule(ctx: Context) -> None:
    X, K = torch.randn(6, 7), torch.randn(3, 2)
    expect_no_builtin(ctx, MATMUL, X, K)
    expect_one_matmul(ctx, MATMUL, X, K)


INVALID_HINT = Text(
    "Check the arguments before computing: compose_kernels and corr2d_matmul take 2-D tensors (and "
    "corr2d_matmul a kernel no larger than X); conv_cost rejects what conv_output_shape rejects "
    "(you may call it).",
    "计算之前先检查参数：compose_kernels 和 corr2d_matmul 只接受二维张量（corr2d_matmul 的卷积核"
    "不得大于 X）；conv_cost 拒绝 conv_output_shape 拒绝的参数（可以直接调用它）。",
)


@EXERCISE.rule(
    0.25,
    "compose_kernels with a kernel that is not 2-D raises ValueError",
    "compose_kernels 的卷积核不是二维时抛出 ValueError",
)
def compose_rejects_non_2d(ctx: Context) -> None:
    expect_invalid_rejected(
        ctx,
        COMPOSE,
        [
            (INVALID_HINT, (torch.ones(1, 2, 2), torch.ones(2, 2)), {}),
            (INVALID_HINT, (torch.ones(2, 2), torch.ones(3)), {}),
        ],
    )


@EXERCISE.rule(
    0.25,
    "corr2d_matmul with an X or K that is not 2-D raises ValueError",
    "corr2d_matmul 的 X 或 K 不是二维时抛出 ValueError",
)
def matmul_rejects_non_2d(ctx: Context) -> None:
    expect_invalid_rejected(
        ctx,
        MATMUL,
        [
            (INVALID_HINT, (torch.ones(2, 4, 4), torch.ones(2, 2)), {}),
            (INVALID_HINT, (torch.ones(4, 4), torch.ones(2)), {}),
        ],
    )


@EXERCISE.rule(
    0.25,
    "corr2d_matmul with a kernel taller or wider than X raises ValueError",
    "corr2d_matmul 的卷积核比 X 高或宽时抛出 ValueError",
)
def matmul_rejects_kernel_larger_than_input(ctx: Context) -> None:
    expect_invalid_rejected(
        ctx,
        MATMUL,
        [
            (INVALID_HINT, (torch.ones(2, 3), torch.ones(3, 3)), {}),
            (INVALID_HINT, (torch.ones(4, 2), torch.ones(2, 3)), {}),
        ],
    )


#: What ``conv_output_shape`` rejects: sizes and kernel sizes < 1, padding < 0, stride < 1,
#: neither an int nor an (h, w) pair, a kernel larger than the padded input.
COST_INVALID: list[Invalid] = [
    (INVALID_HINT, (1, 4, 4, 1, 7, 3), {"padding": 1}),
    (INVALID_HINT, (1, 6, 4, 1, 3, 5), {"padding": (1, 0)}),
    (INVALID_HINT, (1, 5, 5, 1, 3, 3), {"stride": 0}),
    (INVALID_HINT, (1, 5, 5, 1, 3, 3), {"stride": (1, 0)}),
    (INVALID_HINT, (1, 5, 5, 1, 3, 3), {"padding": -1}),
    (INVALID_HINT, (1, 0, 5, 1, 1, 1), {}),
    (INVALID_HINT, (1, 5, 5, 1, 0, 3), {}),
    (INVALID_HINT, (1, 5, 5, 1, 3, 3), {"padding": 1.5}),
]


@EXERCISE.rule(
    0.25,
    "conv_cost raises ValueError for what conv_output_shape rejects (sizes < 1, padding < 0, "
    "stride < 1, a float, a kernel larger than the padded input)",
    "conv_cost 对 conv_output_shape 拒绝的参数抛出 ValueError（尺寸小于 1、填充小于 0、步幅小于 1、"
    "浮点数、卷积核大于填充后的输入）",
)
def cost_rejects_invalid_sizes(ctx: Context) -> None:
    expect_invalid_rejected(ctx, COST, COST_INVALID)
