"""Comparisons that explain themselves: expected vs got (shape, dtype, worst element) and the input."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import torch

from ..text import Text
from .framework import CheckFailed, Context, Raised, type_name


def show(value: Any, limit: int = 6) -> str:
    """A compact one-line picture of a value; tensors show shape, dtype and (small) contents."""
    if isinstance(value, torch.Tensor):
        head = f"tensor {'x'.join(map(str, value.shape)) or 'scalar'} {str(value.dtype).removeprefix('torch.')}"
        if value.numel() <= limit * limit:
            rows = value.tolist()
            return f"{head} {_round(rows)}"
        return head
    if isinstance(value, (list, tuple)) and len(value) > 12:
        return f"{type(value).__name__} of {len(value)} items"
    return repr(value)


def _round(data):
    if isinstance(data, list):
        return [_round(v) for v in data]
    return round(data, 4) if isinstance(data, float) else data


def show_inputs(inputs: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {show(value)}" for name, value in inputs.items())


def with_inputs(text: Text, inputs: dict[str, Any] | None) -> Text:
    if not inputs:
        return text
    shown = show_inputs(inputs)
    return text + Text(f"\n  counterexample: {shown}", f"\n  反例：{shown}")


def tensor_result(value: Any, what: str, inputs: dict[str, Any] | None = None) -> torch.Tensor:
    """Insist on a plain ``torch.Tensor`` (no subclass, list or array)."""
    if type(value) is not torch.Tensor:
        got = type_name(value)
        raise CheckFailed(
            with_inputs(
                Text(f"{what} must return a torch.Tensor, got {got}", f"{what} 应返回 torch.Tensor，实际返回 {got}"),
                inputs,
            )
        )
    return value


def expect_shape(got: torch.Tensor, shape: tuple, what: str, inputs: dict[str, Any] | None = None) -> None:
    """Fail unless ``got`` has exactly ``shape``."""
    if tuple(got.shape) != tuple(shape):
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{what}: expected shape {tuple(shape)}, got {tuple(got.shape)}",
                    f"{what}：期望形状 {tuple(shape)}，实际为 {tuple(got.shape)}",
                ),
                inputs,
            ),
            hint=Text(
                "Compare the output size of each dimension with the formula of the exercise "
                "(e.g. n - k + 1 without padding and stride).",
                "逐个维度对照练习中的输出大小公式（例如无填充、步幅为 1 时为 n - k + 1）。",
            ),
        )


def expect_close(
    got: Any,
    expected: torch.Tensor,
    what: str,
    inputs: dict[str, Any] | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-4,
    check_dtype: bool = False,
) -> None:
    """Fail unless ``got`` is a tensor of the expected shape whose values match within tolerance."""
    got = tensor_result(got, what, inputs)
    expect_shape(got, expected.shape, what, inputs)
    if check_dtype and got.dtype != expected.dtype:
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{what}: expected dtype {expected.dtype}, got {got.dtype}",
                    f"{what}：期望数据类型 {expected.dtype}，实际为 {got.dtype}",
                ),
                inputs,
            )
        )
    if got.is_complex() or not (got.is_floating_point() or got.dtype in (torch.int64, torch.int32, torch.bool)):
        raise CheckFailed(
            with_inputs(
                Text(f"{what}: unexpected dtype {got.dtype}", f"{what}：数据类型 {got.dtype} 不符合要求"), inputs
            )
        )
    got64, expected64 = got.detach().to(torch.float64), expected.detach().to(torch.float64)
    bad = ~torch.isclose(got64, expected64, rtol=rtol, atol=atol, equal_nan=False)
    if bad.any():
        error = (got64 - expected64).abs().nan_to_num(float("inf")).masked_fill(~bad, -1)
        index = tuple(int(i) for i in torch.unravel_index(error.argmax(), error.shape)) if error.dim() else ()
        where = f"at {list(index)}" if index else ""
        text = Text(
            f"{what}: {int(bad.sum())} of {bad.numel()} values differ; worst {where}: "
            f"expected {expected64[index].item():.6g}, got {got64[index].item():.6g}",
            f"{what}：{bad.numel()} 个值中有 {int(bad.sum())} 个不符；最大偏差位于 {list(index)}："
            f"期望 {expected64[index].item():.6g}，实际 {got64[index].item():.6g}",
        )
        raise CheckFailed(with_inputs(text, inputs))


def expect_equal(
    got: Any, expected: Any, what: str, inputs: dict[str, Any] | None = None, hint: Text | None = None
) -> None:
    """Plain equality for non-tensor results (shapes, counts, dicts, traces)."""
    if got != expected:
        raise CheckFailed(
            with_inputs(
                Text(
                    f"{what}: expected {show(expected)}, got {show(got)}",
                    f"{what}：期望 {show(expected)}，实际 {show(got)}",
                ),
                inputs,
            ),
            hint,
        )


def expect_matches(
    ctx: Context,
    strategy: Any,
    target: str,
    oracle: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    call: str,
    unpack: Callable[[Any], tuple[torch.Tensor, torch.Tensor]] = tuple,
) -> None:
    """For every case ``strategy`` draws, unpacked to ``(X, K)``, ``target(X, K)`` must equal ``oracle(X, K)``
    (hypothesis shrinks a failure to a small counterexample, shown with the message)."""

    @ctx.given(strategy)
    def prop(case):
        X, K = unpack(case)
        inputs = {"X": X, "K": K}
        expect_close(ask(ctx, target, inputs, X, K), oracle(X, K), call, inputs)

    prop()


def ask(ctx: Context, target: str, inputs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """``ctx.call``, but when the submission raises, the failure names the call (``pool2d(tensor 3x3,
    2)``) and shows the counterexample."""
    try:
        return ctx.call(target, *args, **kwargs)
    except CheckFailed as failure:
        called = call_text(target, *args, **kwargs)
        raise CheckFailed(
            with_inputs(Text(f"{called}: ", f"{called}：") + failure.text, inputs), failure.hint
        ) from None


def expect_value_error(
    ctx: Context, target: str, call: str, *args: Any, hint: Text | None = None, **kwargs: Any
) -> None:
    """Fail unless ``target(*args, **kwargs)`` raises ValueError, as the exercise asks of arguments
    it cannot handle (``call`` shows the call in the message)."""
    judge_value_error(ctx.call_expecting_error(target, *args, **kwargs), call, hint)


def judge_value_error(raised: Raised | None, call: str, hint: Text | None = None) -> None:
    """Fail unless what ``call`` raised (``None``: it returned) is a ValueError (or a subclass)."""
    if raised is None:
        raise CheckFailed(
            Text(f"{call} returned a result; expected ValueError", f"{call} 返回了结果；应抛出 ValueError"), hint
        )
    if "ValueError" not in raised.classes:  # a subclass of ValueError is one
        raise CheckFailed(
            Text(
                f"{call} raised {raised.name}: {raised.message}; expected ValueError",
                f"{call} 抛出了 {raised.name}：{raised.message}；应抛出 ValueError",
            ),
            hint,
        )


#: One call that breaks a rule of the statement: (the rule, as a hint; positional args; keyword args).
Invalid = tuple[Text, tuple, dict]


def call_text(target: str, *args: Any, **kwargs: Any) -> str:
    """The call as the student would write it, tensors by shape (and dtype, unless float32):
    ``corr2d(tensor 1x5x5, tensor 2x2)``, ``pool2d(tensor 3x4 int64, (2, 2))``."""

    def one(value: Any) -> str:
        if isinstance(value, torch.Tensor):
            dtype = "" if value.dtype == torch.float32 else f" {str(value.dtype).removeprefix('torch.')}"
            return f"tensor {'x'.join(map(str, value.shape)) or 'scalar'}{dtype}"
        return repr(value)

    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return f"{target.split('.')[-1]}({', '.join(parts)})"


def expect_invalid_rejected(ctx: Context, target: str, cases: Iterable[Invalid]) -> None:
    """Each call breaks one rule of the statement, so each must raise ValueError (the rule is the hint)."""
    for rule, args, kwargs in cases:
        expect_value_error(ctx, target, call_text(target, *args, **kwargs), *args, hint=rule, **kwargs)
