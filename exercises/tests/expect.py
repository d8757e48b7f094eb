"""Assertion helpers, oracles and hypothesis strategies shared by the public tests.

公开测试共用的断言函数、参照实现（oracle）与 hypothesis 策略。

Every check raises :class:`Mismatch` with a message that says what was expected
and what came back; ``conftest.py`` prints that message without a traceback.
The oracles use PyTorch's built-in operators: the TESTS may use them, the
exercises may not.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from cnnkit.rules import MATMUL_OPS, forbidden_ops, record_ops  # noqa: F401  (record_ops: for the tests)

#: Settings of every property test: few small examples, reproducible, no database; an explicit
#: (book) example runs first, and a failing one is reported at once, without a search.
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow],
)


class Mismatch(AssertionError):
    """A public check failed; the message says what was expected and what came back."""


def fail(what: str, *lines: str) -> None:
    """Raise :class:`Mismatch` with a heading ``what`` and indented detail lines."""
    __tracebackhide__ = True
    body = [what]
    for line in lines:
        body.extend("  " + part for part in str(line).splitlines())
    raise Mismatch("\n".join(body))


# --------------------------------------------------------------------------- showing values


def _number(x) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            return str(x)
        if x == int(x) and abs(x) < 1e15:
            return f"{int(x)}."
        return f"{x:.4g}"
    return str(x)


def _nested(values, indent: int = 0) -> str:
    if not isinstance(values, list):
        return _number(values)
    if not values or not isinstance(values[0], list):
        return "[" + ", ".join(_number(v) for v in values) + "]"
    inner = [_nested(v, indent + 1) for v in values]
    sep = ",\n" + " " * (indent + 1)
    return "[" + sep.join(inner) + "]"


def show(value, limit: int = 120) -> str:
    """A short, readable rendering of a tensor (nested lists) or any other value."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu()
        if t.is_floating_point() or t.is_complex():
            t = t.to(torch.float64)
        if t.numel() > limit:
            head = ", ".join(_number(v) for v in t.flatten()[:8].tolist())
            return f"tensor of shape {tuple(t.shape)}: [{head}, ...]"
        return _nested(t.tolist())
    if isinstance(value, list) and len(value) > 3 and all(isinstance(v, tuple) for v in value):
        return "[" + ",\n ".join(repr(v) for v in value) + "]"
    return repr(value)


# --------------------------------------------------------------------------- checks


def expect_tensor(got, expected, what: str, *, atol: float = 1e-4, rtol: float = 1e-4) -> None:
    """``got`` must be a tensor with ``expected``'s shape and (nearly) its values."""
    __tracebackhide__ = True
    expected = torch.as_tensor(expected).detach().cpu().to(torch.float64)
    if not isinstance(got, torch.Tensor):
        fail(
            what,
            f"expected a torch.Tensor of shape {tuple(expected.shape)}, got {type(got).__name__}"
            f" / 应返回张量（torch.Tensor），实际返回 {type(got).__name__}:",
            show(got),
        )
    if tuple(got.shape) != tuple(expected.shape):
        fail(
            what,
            f"expected shape {tuple(expected.shape)}, got shape {tuple(got.shape)}"
            f" / 期望形状 {tuple(expected.shape)}，实际形状 {tuple(got.shape)}",
            "expected / 期望:",
            show(expected),
            "got / 实际:",
            show(got),
        )
    g = got.detach().cpu().to(torch.float64)
    if not torch.allclose(g, expected, atol=atol, rtol=rtol):
        diff = (g - expected).abs().nan_to_num(nan=float("inf"))
        index = tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape)) if diff.dim() else ()
        fail(
            what,
            f"the shape {tuple(expected.shape)} is right but the values differ / 形状正确，但数值不一致",
            "expected / 期望:",
            show(expected),
            "got / 实际:",
            show(g),
            f"largest difference / 最大误差: {_number(float(diff.max()))} at index / 位置 {index}",
        )


def expect_equal(got, expected, what: str) -> None:
    """``got == expected`` for plain Python values (ints, tuples, lists, dicts)."""
    __tracebackhide__ = True
    if _loosely_equal(got, expected):
        return
    expected_text, got_text = show(expected), show(got)
    if "\n" in expected_text + got_text:
        lines = ["expected / 期望:", expected_text, "got / 实际:", got_text]
    else:
        lines = [f"expected / 期望: {expected_text}", f"got / 实际:      {got_text}"]
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected:
            if key not in got:
                lines.append(f"missing key / 缺少键 {key!r}")
            elif got[key] != expected[key]:
                lines.append(f"{key!r}: expected / 期望 {expected[key]!r}, got / 实际 {got[key]!r}")
    elif isinstance(expected, list) and isinstance(got, list):
        for i, (g, e) in enumerate(zip(got, expected)):
            if not _loosely_equal(g, e):
                lines.append(
                    f"first difference at item / 第一处不同在第 {i} 项: expected / 期望 {e!r}, got / 实际 {g!r}"
                )
                break
        if len(got) != len(expected):
            lines.append(
                f"expected {len(expected)} items, got {len(got)} / 期望 {len(expected)} 项，实际 {len(got)} 项"
            )
    fail(what, *lines)


def _loosely_equal(got, expected) -> bool:
    """Equality that accepts a tuple subclass (torch.Size) for a tuple and an int-valued number for an int."""
    if isinstance(expected, tuple) and isinstance(got, tuple):
        return len(got) == len(expected) and all(_loosely_equal(g, e) for g, e in zip(got, expected))
    if isinstance(expected, list) and isinstance(got, list):
        return len(got) == len(expected) and all(_loosely_equal(g, e) for g, e in zip(got, expected))
    if isinstance(expected, dict) and isinstance(got, dict):
        return got.keys() == expected.keys() and all(_loosely_equal(got[k], expected[k]) for k in expected)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and got == expected
    return type(got) is type(expected) and got == expected


def expect_true(condition: bool, what: str, *details: str) -> None:
    """A yes/no check; ``details`` explain what came back."""
    __tracebackhide__ = True
    if not condition:
        fail(what, *details)


def expect_raises(exception: type[BaseException], call, what: str) -> None:
    """``call()`` must raise ``exception`` (a stub's NotImplementedError passes through)."""
    __tracebackhide__ = True
    try:
        result = call()
    except NotImplementedError:
        raise
    except exception:
        return
    except Exception as error:  # noqa: BLE001 - reported to the student
        fail(
            what,
            f"expected {exception.__name__}, got {type(error).__name__}: {error}"
            f" / 应抛出 {exception.__name__}，实际抛出 {type(error).__name__}",
        )
    fail(
        what,
        f"expected {exception.__name__}, but nothing was raised; it returned / 应抛出 "
        f"{exception.__name__}，实际没有抛出异常，返回了:",
        show(result),
    )


# --------------------------------------------------------------------------- operator checks


def expect_no_builtin(ops, what: str) -> None:
    """No convolution or pooling operator among ``ops``."""
    __tracebackhide__ = True
    used = forbidden_ops(ops)
    expect_true(
        not used,
        what,
        f"built-in convolution/pooling operators were called: {used} / 调用了内置的卷积或汇聚算子: {used}",
        "write the computation yourself (slicing, *, sum, ...) / 请自己实现（切片、乘法、求和等）",
    )


def expect_one_matmul(ops, what: str) -> None:
    """Exactly one matrix-multiplication operator and no convolution/pooling among ``ops``."""
    __tracebackhide__ = True
    expect_no_builtin(ops, what)
    products = {op: n for op, n in ops.items() if op in MATMUL_OPS}
    found = sum(products.values())
    listed = ", ".join(f"{op} x{n}" for op, n in products.items()) or "none"
    expect_true(
        found == 1,
        what,
        f"expected exactly one matrix multiplication, found {found} ({listed}) / 应恰好做一次矩阵乘法，实际 {found} 次",
    )


# --------------------------------------------------------------------------- oracles (built-ins)


def oracle_conv(X: torch.Tensor, K: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    """Cross-correlation of a 2-D X with a 2-D K by ``F.conv2d`` (float64)."""
    return F.conv2d(X.double()[None, None], K.double()[None, None], padding=padding, stride=stride)[0, 0]


def oracle_multi(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Multi-channel cross-correlation: X (c_i, h, w), K (c_o, c_i, k_h, k_w) -> (c_o, h', w')."""
    return F.conv2d(X.double()[None], K.double())[0]


def oracle_pool(X: torch.Tensor, pool_size, mode: str) -> torch.Tensor:
    """Stride-1 pooling of a 2-D X by ``F.max_pool2d`` / ``F.avg_pool2d`` (float64)."""
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    return pool(X.double()[None, None], pool_size, stride=1)[0, 0]


# --------------------------------------------------------------------------- strategies

SMALL_INTS = st.integers(-4, 4)


def matrices(h: int, w: int):
    """Strategy: an (h, w) float tensor of small integers (exact sums, readable counterexamples)."""
    rows = st.lists(st.lists(SMALL_INTS, min_size=w, max_size=w), min_size=h, max_size=h)
    return rows.map(lambda r: torch.tensor(r, dtype=torch.float32).reshape(h, w))


@st.composite
def input_and_kernel(draw, max_size: int = 6, max_kernel: int = 3):
    """Strategy: (X, K) with 1 <= k <= min(n, max_kernel) in each dimension."""
    n_h, n_w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    k_h, k_w = draw(st.integers(1, min(n_h, max_kernel))), draw(st.integers(1, min(n_w, max_kernel)))
    return draw(matrices(n_h, n_w)), draw(matrices(k_h, k_w))


@st.composite
def channel_case(draw, max_channels: int = 3, max_size: int = 5, max_kernel: int = 3):
    """Strategy: (X, K) with X (c_i, h, w) and K (c_o, c_i, k_h, k_w)."""
    c_i, c_o = draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    h, w = draw(st.integers(1, max_size)), draw(st.integers(1, max_size))
    k_h, k_w = draw(st.integers(1, min(h, max_kernel))), draw(st.integers(1, min(w, max_kernel)))
    X = torch.stack([draw(matrices(h, w)) for _ in range(c_i)])
    K = torch.stack([torch.stack([draw(matrices(k_h, k_w)) for _ in range(c_i)]) for _ in range(c_o)])
    return X, K
