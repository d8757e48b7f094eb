"""Rules shared by the operation exercises: no built-in convolution/pooling, and speed."""

from __future__ import annotations

from typing import Any, Callable

from cnnkit.rules import forbidden_ops, matmul_count

from ..text import Text
from .expect import expect_close, with_inputs
from .framework import CheckFailed, Context

#: The start of a rule check's message when the result it judged was wrong.
ONLY_FOR_CORRECT = Text(
    "this rule is scored only for a correct result, and on this input the result is wrong: ",
    "只有结果正确时才按此规则计分，而此输入下的结果不正确：",
)


def expect_reference_result(value: Any, expected: Any, target: str, args: tuple) -> None:
    """A rule is only worth points for a function that works, so a fast or clean-looking function
    that returns garbage gets nothing here either; the message says so, and shows the input."""
    try:
        expect_close(value, expected, target.split(".")[-1], _arguments(args))
    except CheckFailed as failure:
        raise CheckFailed(ONLY_FOR_CORRECT + failure.text, failure.hint) from None


def _recorded_call(ctx: Context, target: str, args: tuple):
    """Call ``target`` while recording operators; the result must equal the reference's."""
    value, ops = ctx.call_with_ops(target, *args)
    expect_reference_result(value, ctx.reference_call(target, *args), target, args)
    if not ops:
        raise CheckFailed(Text("no tensor operation of the call could be observed", "未能观察到该调用中的任何张量运算"))
    return ops


def _arguments(args: tuple) -> dict[str, Any]:
    return {f"argument {i + 1}": arg for i, arg in enumerate(args)}


def expect_no_builtin(ctx: Context, target: str, *args) -> None:
    """Run ``target`` once while recording operators; fail if a convolution/pooling op ran. Checks
    call it on several inputs (small, large, float64: a submission may switch to the built-in for
    some inputs only), so the message shows the input."""
    used = forbidden_ops(_recorded_call(ctx, target, args))
    if used:
        name = target.split(".")[-1]
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{name} must not use built-in convolution or pooling, but it called {', '.join(used)}",
                    f"{name} 不得调用内置卷积或汇聚运算，但调用了 {', '.join(used)}",
                ),
                _arguments(args),
            ),
            Text(
                "Write the sliding window yourself (loops, slicing, unfold or a matrix product).",
                "请自己实现滑动窗口（循环、切片、unfold 或矩阵乘法）。",
            ),
        )


def expect_one_matmul(ctx: Context, target: str, *args) -> None:
    """Fail unless the call is exactly one matrix multiplication and no convolution."""
    ops = _recorded_call(ctx, target, args)
    count = matmul_count(ops)
    if forbidden_ops(ops) or count != 1:
        name = target.split(".")[-1]
        used = ", ".join(f"{op} x{n}" for op, n in sorted(ops.items()))
        raise CheckFailed(
            Text(
                f"{name} must be computed as exactly one matrix multiplication; it made {count} "
                f"(operators used: {used})",
                f"{name} 应恰好通过一次矩阵乘法计算，实际 {count} 次（使用的运算：{used}）",
            )
        )


#: Times under this many seconds count as this many: below it, scheduling noise dominates.
TIME_FLOOR = 0.005


def expect_fast_enough(
    ctx: Context, target: str, make_inputs: Callable[[int], tuple], max_ratio: float, repeats: int = 3
) -> None:
    """Fail when the submission is more than ``max_ratio`` times slower than the reference.

    Both run in worker processes started the same way, timed from the parent on fresh inputs of
    the same size (so caching results cannot help); the best of ``repeats`` calls counts.
    """
    inputs = [make_inputs(i) for i in range(repeats)]
    reference, expected = ctx.time_calls(target, inputs, reference=True)
    submission, got = ctx.time_calls(target, inputs)
    for args, value, want in zip(inputs, got, expected):  # a fast wrong answer earns nothing
        expect_reference_result(value, want, target, args)
    ratio = max(submission, TIME_FLOOR) / max(reference, TIME_FLOOR)
    if ratio > max_ratio:
        name = target.split(".")[-1]
        raise CheckFailed(
            Text(
                f"{name} took {submission * 1e3:.1f} ms, {ratio:.0f}x the reference's "
                f"{reference * 1e3:.1f} ms (limit {max_ratio:g}x)",
                f"{name} 用时 {submission * 1e3:.1f} ms，是参考实现 {reference * 1e3:.1f} ms 的 "
                f"{ratio:.0f} 倍（上限 {max_ratio:g} 倍）",
            ),
            Text(
                "Avoid a Python loop per element: slice whole windows, or vectorise.",
                "避免逐元素的 Python 循环：对整个窗口切片，或向量化。",
            ),
        )
