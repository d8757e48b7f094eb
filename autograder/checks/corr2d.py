"""Hidden checks for ``corr2d`` (d2l 6.2.1): the oracle is ``F.conv2d``, which is a cross-correlation.

The value checks call ``corr2d`` as the book does, on floating-point tensors; each rule the
statement adds (differentiable, each family of ``ValueError``, no built-ins, speed) is a rule check.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from torch.nn import functional as F

from ..text import Text
from . import strategies as S
from .expect import Invalid, ask, expect_close, expect_invalid_rejected, expect_matches, tensor_result, with_inputs
from .framework import CheckFailed, Context, checks_of
from .rules import expect_fast_enough, expect_no_builtin

EXERCISE = checks_of("corr2d")
TARGET = "corr2d.corr2d"


NOT_2D = Text(
    "The statement asks for ValueError when X or K is not a 2-D tensor (check X.dim() and K.dim()).",
    "题目要求：X 或 K 不是二维张量时抛出 ValueError（检查 X.dim() 和 K.dim()）。",
)
TOO_BIG = Text(
    "The statement asks for ValueError when the kernel is larger than the input in EITHER dimension "
    "(compare the heights and the widths).",
    "题目要求：卷积核在任一维上大于输入时抛出 ValueError（高和宽都要比较）。",
)

#: The two families of ValueError the statement requires: non-2-D X or K ...
NOT_2D_CALLS: list[Invalid] = [
    (NOT_2D, (torch.ones(1, 5, 5), torch.ones(2, 2)), {}),
    (NOT_2D, (torch.ones(5), torch.ones(2, 2)), {}),
    (NOT_2D, (torch.ones(5, 5), torch.ones(1, 2, 2)), {}),
    (NOT_2D, (torch.ones(5, 5), torch.ones(2)), {}),
]
#: ... and a kernel taller or wider than X.
TOO_BIG_CALLS: list[Invalid] = [
    (TOO_BIG, (torch.ones(3, 5), torch.ones(4, 2)), {}),
    (TOO_BIG, (torch.ones(5, 3), torch.ones(2, 4)), {}),
]


def oracle(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    return F.conv2d(S.as_4d(X), S.as_4d(K.to(X.dtype)))[0, 0]


@EXERCISE.check(2, "the book's example: [[19, 25], [37, 43]]", "教材示例：[[19, 25], [37, 43]]")
def book_example(ctx: Context) -> None:
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    inputs = {"X": X, "K": K}
    expect_close(ask(ctx, TARGET, inputs, X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]), "corr2d(X, K)", inputs)


@EXERCISE.check(
    2, "edge detection with K = [[1, -1]] (and the transposed image)", "用 K = [[1, -1]] 检测边缘（以及转置后的图像）"
)
def edge_detector(ctx: Context) -> None:
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    K = torch.tensor([[1.0, -1.0]])
    for image, call in ((X, "corr2d(X, K)"), (X.t(), "corr2d(X.t(), K)")):
        inputs = {"X": image, "K": K}
        expect_close(ask(ctx, TARGET, inputs, image, K), oracle(image, K), call, inputs)


@EXERCISE.check(
    3,
    "matches F.conv2d on random shapes (non-square, 1xN, Nx1, kernel = input, float64)",
    "在随机形状上与 F.conv2d 一致（非方形、1xN、Nx1、卷积核与输入同样大、float64）",
)
def matches_builtin(ctx: Context) -> None:
    # All or nothing: a corr2d that is wrong for some shapes (non-square, 1xN) is wrong, and the share
    # of drawn examples it survives says how often the strategy draws those shapes.
    expect_matches(ctx, S.input_and_kernel(), TARGET, oracle, "corr2d(X, K)")


GRAD_HINT = Text(
    "Build the output from tensor operations on X and K (slicing, *, sum, stack) in a floating-point "
    "dtype, e.g. torch.zeros(shape, dtype=torch.result_type(X, K)); no .item(), .tolist(), "
    "torch.tensor(...) of values, .detach() or integer dtype.",
    "用对 X 和 K 的张量运算（切片、*、sum、stack）以浮点类型构造输出，例如 "
    "torch.zeros(shape, dtype=torch.result_type(X, K))；不要使用 .item()、.tolist()、"
    "由数值新建的 torch.tensor(...)、.detach() 或整数类型。",
)


def expect_floating_result(ctx: Context, X: torch.Tensor, K: torch.Tensor) -> None:
    """Autograd only flows through floating-point tensors: an integer result can never reach X and K,
    so say that plainly instead of letting the backward pass fail."""
    inputs = {"X": X, "K": K}
    Y = tensor_result(ask(ctx, TARGET, inputs, X, K), "corr2d(X, K)", inputs)
    if not (Y.is_floating_point() or Y.is_complex()):
        raise CheckFailed(
            with_inputs(
                Text(
                    f"corr2d(X, K) of {X.dtype} X and K returned dtype {Y.dtype}: "
                    f"expected a floating-point result (autograd cannot pass through "
                    f"{Y.dtype}, so no gradient can reach X or K)",
                    f"corr2d(X, K) 的输入 X 和 K 为 {X.dtype}，结果却是 {Y.dtype}："
                    f"应为浮点类型（自动微分无法经过 {Y.dtype}，梯度传不到 X 和 K）",
                ),
                inputs,
            ),
            GRAD_HINT,
        )


#: Tolerances for gradients: through a float64 result, and through a float32 one.
TIGHT = {"rtol": 1e-6, "atol": 1e-8}
FLOAT32 = {"rtol": 1e-4, "atol": 1e-5}


def backward_through(ctx: Context, X: torch.Tensor, K: torch.Tensor, G: torch.Tensor) -> dict:
    """The ``gradients`` probe: Y = corr2d(X, K) on inputs that require grad, then sum(Y * G).backward().
    A failure there (typically "does not require grad": Y is cut off from X and K) is explained."""
    inputs = {"X": X, "K": K}
    try:
        got = ctx.probe("gradients", TARGET, [X, K], G)
    except CheckFailed as failure:
        raise CheckFailed(
            with_inputs(
                Text(
                    "with X and K requiring grad, Y = corr2d(X, K) and then "
                    "sum(Y * G).backward() failed, expected gradients for X and K: ",
                    "X 和 K 需要梯度时，计算 Y = corr2d(X, K) 再执行 "
                    "sum(Y * G).backward() 失败，期望得到 X 和 K 的梯度：",
                )
                + failure.text,
                inputs,
            ),
            GRAD_HINT,
        ) from None
    return got if isinstance(got, dict) else {}


@EXERCISE.rule(
    1,
    "differentiable: gradients reach X and K and equal autograd's through F.conv2d",
    "可微：梯度能传到 X 和 K，且与经 F.conv2d 自动求导的结果一致",
)
def differentiable(ctx: Context) -> None:
    X, K = torch.randn(5, 6, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)
    G = torch.randn(4, 4, dtype=torch.float64)
    expect_floating_result(ctx, X, K)
    got = backward_through(ctx, X, K, G)
    expect_close(got.get("Y"), oracle(X, K), "corr2d(X, K)", {"X": X, "K": K})
    grads = got.get("grads")
    X_, K_ = X.clone().requires_grad_(True), K.clone().requires_grad_(True)
    (oracle(X_, K_) * G).sum().backward()
    for name, value, want in zip(
        "XK", grads if isinstance(grads, list) and len(grads) == 2 else [None, None], (X_.grad, K_.grad)
    ):
        if value is None:
            raise CheckFailed(
                Text(
                    f"no gradient reached {name}: the result is not connected to the inputs "
                    f"(built from .item() values or a fresh tensor?)",
                    f"梯度没有传到 {name}：结果与输入断开了（是否用了 .item() 或新建的张量？）",
                )
            )
        expect_close(
            value,
            want,
            f"gradient of sum(corr2d(X, K) * G) with respect to {name}",
            {"X": X, "K": K},
            # Gradients through a float32 result (the book fills torch.zeros(...), float32) carry its
            # rounding: judged at float32's precision, float64's otherwise.
            **(TIGHT if got["Y"].dtype == torch.float64 else FLOAT32),
        )


@EXERCISE.check(
    2,
    "maths: linear in X and in K, delta and all-ones kernels, translation, inputs unchanged",
    "数学性质：对 X 和 K 线性、单位脉冲核与全一核、平移等变、不修改输入",
)
def properties(ctx: Context) -> None:
    # All or nothing: each example tests every property at once, so a share of examples has no meaning.
    @ctx.given(S.input_and_kernel(max_side=7, max_kernel=3), st.integers(-3, 3), st.integers(-3, 3), max_examples=15)
    def prop(case, a, b):
        X, K = case
        k_h, k_w = K.shape
        inputs = {"X": X, "K": K, "a": a, "b": b}
        expect_close(
            ask(ctx, TARGET, inputs, a * X + b * X.flip(0, 1), K),
            a * oracle(X, K) + b * oracle(X.flip(0, 1), K),
            "corr2d(a*X + b*X', K)",
            inputs,
        )
        expect_close(
            ask(ctx, TARGET, inputs, X, a * K + b),
            a * oracle(X, K) + b * oracle(X, torch.ones_like(K)),
            "corr2d(X, a*K + b)",
            inputs,
        )
        delta = torch.zeros_like(K)
        delta[-1, -1] = 1
        expect_close(ask(ctx, TARGET, inputs, X, delta), X[k_h - 1 :, k_w - 1 :], "corr2d(X, delta kernel)", inputs)
        expect_close(
            ask(ctx, TARGET, inputs, X, torch.ones_like(K)),
            oracle(X, torch.ones_like(K)),
            "corr2d(X, ones) (window sums)",
            inputs,
        )
        shifted = torch.roll(X, -1, dims=1)  # column j+1 moves to j
        moved = tensor_result(ask(ctx, TARGET, inputs, shifted, K), "corr2d", inputs)
        expect_close(moved[:, :-1], oracle(X, K)[:, 1:], "corr2d(X shifted left by one column, K)[:, :-1]", inputs)
        _, (X_after, K_after) = ctx.call_returning_args(TARGET, X, K)
        expect_close(X_after, X, "X after the call (inputs must not be modified)", inputs)
        expect_close(K_after, K, "K after the call (inputs must not be modified)", inputs)

    prop()


@EXERCISE.rule(
    0.5,
    "an X or K that is not 2-D raises ValueError (3-D and 1-D tensors)",
    "X 或 K 不是二维时抛出 ValueError（三维与一维张量）",
)
def rejects_non_2d(ctx: Context) -> None:
    expect_invalid_rejected(ctx, TARGET, NOT_2D_CALLS)


@EXERCISE.rule(
    0.5,
    "a kernel taller or wider than X raises ValueError",
    "卷积核比 X 高或宽时抛出 ValueError",
)
def rejects_kernel_larger_than_input(ctx: Context) -> None:
    expect_invalid_rejected(ctx, TARGET, TOO_BIG_CALLS)


@EXERCISE.rule(
    2,
    "no built-in convolution (F.conv2d, torch.conv2d, nn.Conv2d, aten.convolution), "
    "on a small, a 64x64 and a float64 input",
    "不使用内置卷积（F.conv2d、torch.conv2d、nn.Conv2d、aten.convolution），"
    "分别在小输入、64x64 输入和 float64 输入上检查",
)
def no_builtin(ctx: Context) -> None:
    for args in [
        (torch.randn(6, 7), torch.randn(2, 3)),
        speed_inputs(0),
        (torch.randn(6, 7, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)),
    ]:
        expect_no_builtin(ctx, TARGET, *args)


def speed_inputs(i: int) -> tuple:
    """The speed check's size: a 64x64 input and a 3x3 kernel, seeded by ``i``."""
    generator = torch.Generator().manual_seed(i)
    return torch.randn(64, 64, generator=generator), torch.randn(3, 3, generator=generator)


@EXERCISE.rule(
    1,
    "speed: at most 20x the reference on a 64x64 input with a 3x3 kernel",
    "速度：在 64x64 输入、3x3 卷积核上不慢于参考实现的 20 倍",
)
def speed(ctx: Context) -> None:
    expect_fast_enough(ctx, TARGET, speed_inputs, max_ratio=20)
