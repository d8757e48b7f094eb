"""Hidden checks for ``corr2d`` (d2l 6.2.1): the oracle is ``F.conv2d``, which is a cross-correlation."""
from __future__ import annotations

import torch
from hypothesis import strategies as st
from torch.nn import functional as F

from . import strategies as S
from .expect import expect_close, tensor_result
from .framework import CheckFailed, Context, Exercise, Text
from .rules import expect_fast_enough, expect_no_builtin

EXERCISE = Exercise("corr2d", modules=("corr2d",))
TARGET = "corr2d.corr2d"


def oracle(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    return F.conv2d(S.as_4d(X), S.as_4d(K.to(X.dtype)))[0, 0]


@EXERCISE.check(2, "the book's example: [[19, 25], [37, 43]]", "教材示例：[[19, 25], [37, 43]]")
def book_example(ctx: Context) -> None:
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    expect_close(ctx.call(TARGET, X, K), torch.tensor([[19.0, 25.0], [37.0, 43.0]]), "corr2d(X, K)", {"X": X, "K": K})


@EXERCISE.check(2, "edge detection with K = [[1, -1]] (and the transposed image)",
                "用 K = [[1, -1]] 检测边缘（以及转置后的图像）")
def edge_detector(ctx: Context) -> None:
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    K = torch.tensor([[1.0, -1.0]])
    for image in (X, X.t()):
        expect_close(ctx.call(TARGET, image, K), oracle(image, K), "corr2d(X, K)", {"X": image, "K": K})


@EXERCISE.check(3, "matches F.conv2d on random shapes (non-square, 1xN, Nx1, kernel = input, float64)",
                "在随机形状上与 F.conv2d 一致（非方形、1xN、Nx1、卷积核与输入同样大、float64）")
def matches_builtin(ctx: Context) -> None:
    @ctx.given(S.input_and_kernel())
    def prop(case):
        X, K = case
        expect_close(ctx.call(TARGET, X, K), oracle(X, K), "corr2d(X, K)", {"X": X, "K": K})

    prop()


@EXERCISE.check(1, "differentiable: gradients reach X and K and equal autograd's through F.conv2d",
                "可微：梯度能传到 X 和 K，且与经 F.conv2d 自动求导的结果一致")
def differentiable(ctx: Context) -> None:
    X, K = torch.randn(5, 6, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)
    G = torch.randn(4, 4, dtype=torch.float64)
    got = ctx.probe("gradients", TARGET, [X, K], G)
    got = got if isinstance(got, dict) else {}
    expect_close(got.get("Y"), oracle(X, K), "corr2d(X, K)", {"X": X, "K": K})
    grads = got.get("grads")
    X_, K_ = X.clone().requires_grad_(True), K.clone().requires_grad_(True)
    (oracle(X_, K_) * G).sum().backward()
    for name, value, want in zip("XK", grads if isinstance(grads, list) and len(grads) == 2 else [None, None],
                                 (X_.grad, K_.grad)):
        if value is None:
            raise CheckFailed(Text(f"no gradient reached {name}: the result is not connected to the inputs "
                                   f"(built from .item() values or a fresh tensor?)",
                                   f"梯度没有传到 {name}：结果与输入断开了（是否用了 .item() 或新建的张量？）"))
        expect_close(value, want, f"gradient of sum(corr2d(X, K) * G) with respect to {name}", {"X": X, "K": K},
                     rtol=1e-6, atol=1e-8)


@EXERCISE.check(2, "maths: linear in X and in K, delta and all-ones kernels, translation, inputs unchanged",
                "数学性质：对 X 和 K 线性、单位脉冲核与全一核、平移等变、不修改输入")
def properties(ctx: Context) -> None:
    @ctx.given(S.input_and_kernel(max_side=7, max_kernel=3), st.integers(-3, 3), st.integers(-3, 3),
               max_examples=15)
    def prop(case, a, b):
        X, K = case
        k_h, k_w = K.shape
        inputs = {"X": X, "K": K, "a": a, "b": b}
        expect_close(ctx.call(TARGET, a * X + b * X.flip(0, 1), K),
                     a * oracle(X, K) + b * oracle(X.flip(0, 1), K), "corr2d(a*X + b*X', K)", inputs)
        expect_close(ctx.call(TARGET, X, a * K + b), a * oracle(X, K) + b * oracle(X, torch.ones_like(K)),
                     "corr2d(X, a*K + b)", inputs)
        delta = torch.zeros_like(K)
        delta[-1, -1] = 1
        expect_close(ctx.call(TARGET, X, delta), X[k_h - 1:, k_w - 1:], "corr2d(X, delta kernel)", inputs)
        expect_close(ctx.call(TARGET, X, torch.ones_like(K)), oracle(X, torch.ones_like(K)),
                     "corr2d(X, ones) (window sums)", inputs)
        shifted = torch.roll(X, -1, dims=1)  # column j+1 moves to j
        moved = tensor_result(ctx.call(TARGET, shifted, K), "corr2d", inputs)
        expect_close(moved[:, :-1], oracle(X, K)[:, 1:], "corr2d(X shifted left by one column, K)[:, :-1]", inputs)
        _, (X_after, K_after) = ctx.call_returning_args(TARGET, X, K)
        expect_close(X_after, X, "X after the call (inputs must not be modified)", inputs)
        expect_close(K_after, K, "K after the call (inputs must not be modified)", inputs)

    prop()


@EXERCISE.check(2, "no built-in convolution (F.conv2d, torch.conv2d, nn.Conv2d, aten.convolution)",
                "不使用内置卷积（F.conv2d、torch.conv2d、nn.Conv2d、aten.convolution）")
def no_builtin(ctx: Context) -> None:
    expect_no_builtin(ctx, TARGET, torch.randn(6, 7), torch.randn(2, 3))


@EXERCISE.check(2, "speed: at most 20x the reference on a 64x64 input with a 3x3 kernel",
                "速度：在 64x64 输入、3x3 卷积核上不慢于参考实现的 20 倍")
def speed(ctx: Context) -> None:
    def make(i: int) -> tuple:
        generator = torch.Generator().manual_seed(i)
        return torch.randn(64, 64, generator=generator), torch.randn(3, 3, generator=generator)

    expect_fast_enough(ctx, TARGET, make, max_ratio=20)
