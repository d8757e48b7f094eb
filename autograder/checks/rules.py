"""Rules shared by the operation exercises: no built-in convolution/pooling, and speed."""
from __future__ import annotations

import re
from typing import Callable

from .framework import CheckFailed, Context, Text

#: ATen operators that compute a convolution or a pooling for you (convolution, conv2d,
#: slow_conv2d, _conv_depthwise2d, max_pool2d_with_indices, adaptive_avg_pool2d, ...).
FORBIDDEN_OP = re.compile(r"convolution|conv\d|conv_t|_conv_|pool")
MATMUL_OPS = {"aten.mm", "aten.bmm", "aten.addmm", "aten.matmul", "aten.baddbmm", "aten.mv",
              "aten.addmv", "aten.dot", "aten._unsafe_view_mm"}


def forbidden_ops(ops: set[str]) -> list[str]:
    """The operators in ``ops`` that a from-scratch implementation must not use."""
    return sorted(op for op in ops if FORBIDDEN_OP.search(op.split(".", 1)[1]))


def expect_no_builtin(ctx: Context, target: str, *args) -> None:
    """Run ``target`` once while recording operators; fail if a convolution/pooling op ran."""
    _, ops = ctx.call_with_ops(target, *args)
    used = forbidden_ops(ops)
    if used:
        name = target.split(".")[-1]
        raise CheckFailed(Text(f"{name} must not use built-in convolution or pooling, but it called {', '.join(used)}",
                               f"{name} 不得调用内置卷积或汇聚运算，但调用了 {', '.join(used)}"),
                          Text("Write the sliding window yourself (loops, slicing, unfold or a matrix product).",
                               "请自己实现滑动窗口（循环、切片、unfold 或矩阵乘法）。"))


def expect_one_matmul(ctx: Context, target: str, *args) -> None:
    """Fail unless the call reaches a matrix-multiplication operator and no convolution."""
    _, ops = ctx.call_with_ops(target, *args)
    name = target.split(".")[-1]
    if forbidden_ops(ops) or not ops & MATMUL_OPS:
        raise CheckFailed(Text(f"{name} must be computed as a matrix multiplication (operators used: "
                               f"{', '.join(sorted(ops)) or 'none'})",
                               f"{name} 应通过矩阵乘法计算（实际使用的运算：{', '.join(sorted(ops)) or '无'}）"))


#: Times under this many seconds count as this many: below it, scheduling noise dominates.
TIME_FLOOR = 0.005


def expect_fast_enough(ctx: Context, target: str, make_inputs: Callable[[int], tuple], max_ratio: float,
                       repeats: int = 3, reference_target: str | None = None) -> None:
    """Fail when the submission is more than ``max_ratio`` times slower than the reference.

    Both run in worker processes started the same way, timed from the parent on fresh inputs of
    the same size (so caching results cannot help); the best of ``repeats`` calls counts.
    """
    inputs = [make_inputs(i) for i in range(repeats)]
    reference = ctx.time_calls(reference_target or target, inputs, reference=True)
    submission = ctx.time_calls(target, inputs)
    ratio = max(submission, TIME_FLOOR) / max(reference, TIME_FLOOR)
    if ratio > max_ratio:
        name = target.split(".")[-1]
        raise CheckFailed(Text(f"{name} took {submission * 1e3:.1f} ms, {ratio:.0f}x the reference's "
                               f"{reference * 1e3:.1f} ms (limit {max_ratio:g}x)",
                               f"{name} 用时 {submission * 1e3:.1f} ms，是参考实现 {reference * 1e3:.1f} ms 的 "
                               f"{ratio:.0f} 倍（上限 {max_ratio:g} 倍）"),
                          Text("Avoid a Python loop per element: slice whole windows, or vectorise.",
                               "避免逐元素的 Python 循环：对整个窗口切片，或向量化。"))
