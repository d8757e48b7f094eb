"""Hidden checks for ``lenet`` and ``shape_trace`` (d2l 6.6.1).

The oracle network is the grader's own ``netspec.build(netspec.LENET)``: the student's weights are
loaded into it and both must compute the same function. Traces are compared with the trace of the
same spec built and run here, in the parent.
"""
from __future__ import annotations

from typing import Any

import torch

from ..worker import netspec
from . import strategies as S
from .expect import expect_close, with_inputs
from .framework import CheckFailed, Context, Exercise, Text, type_name

EXERCISE = Exercise("lenet", modules=("lenet",))
BOOK_LAYERS = [name for name, _ in netspec.LENET]
BOOK_PARAMETERS = 61_706
BOOK_INPUT = (1, 1, 28, 28)

STRUCTURE_HINT = Text("The book's order: Conv2d(1, 6, 5, padding=2), Sigmoid, AvgPool2d(2, 2), Conv2d(6, 16, 5), "
                      "Sigmoid, AvgPool2d(2, 2), Flatten, Linear(400, 120), Sigmoid, Linear(120, 84), Sigmoid, "
                      "Linear(84, 10), all in ONE nn.Sequential (no ReLU, no max pooling).",
                      "教材的顺序：Conv2d(1, 6, 5, padding=2)、Sigmoid、AvgPool2d(2, 2)、Conv2d(6, 16, 5)、Sigmoid、"
                      "AvgPool2d(2, 2)、Flatten、Linear(400, 120)、Sigmoid、Linear(120, 84)、Sigmoid、"
                      "Linear(84, 10)，全部放在一个 nn.Sequential 中（不用 ReLU，不用最大汇聚）。")
TRACE_HINT = Text("One entry per top-level layer (a nested Sequential is ONE entry named 'Sequential'): "
                  "(type(layer).__name__, tuple of the layer's OUTPUT shape).",
                  "每个顶层层一项（嵌套的 Sequential 算一项，名为 'Sequential'）："
                  "(type(layer).__name__, 该层输出形状的元组)。")


def model(ctx: Context) -> tuple[dict, torch.Tensor]:
    """The ``lenet_model`` observation of a fresh ``lenet()`` on a fixed batch of 4 images."""
    # Contrasted inputs (3 x standard normal): with the small initial weights the sigmoids leave
    # little signal, and max pooling instead of average pooling then changes the output by ~6e-4
    # (uniform [0, 1) inputs: ~1e-4), well above the comparison's tolerance.
    X = 3 * torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(ctx.options.seed or 0))
    seen = ctx.probe("lenet_model", X)
    if not isinstance(seen, dict):
        raise CheckFailed(Text(f"lenet() could not be observed (got {type_name(seen)})",
                               f"无法检查 lenet()（得到 {type_name(seen)}）"))
    if seen.get("is_sequential") is not True:
        got = seen.get("type")
        raise CheckFailed(Text(f"lenet() must return an nn.Sequential, got {got}",
                               f"lenet() 应返回 nn.Sequential，实际为 {got}"), STRUCTURE_HINT)
    return seen, X


@EXERCISE.check(2, "lenet() is an nn.Sequential with the book's layers in the book's order",
                "lenet() 是 nn.Sequential，层的种类和顺序与教材一致")
def structure(ctx: Context) -> None:
    seen, _ = model(ctx)
    layers = seen.get("layers")
    if layers != BOOK_LAYERS:
        shown = ", ".join(map(str, layers)) if isinstance(layers, list) else type_name(layers)
        raise CheckFailed(Text(f"lenet()'s layers: expected {', '.join(BOOK_LAYERS)}; got {shown}",
                               f"lenet() 的各层：期望 {', '.join(BOOK_LAYERS)}；实际为 {shown}"), STRUCTURE_HINT)


@EXERCISE.check(1, "lenet() has 61,706 parameters", "lenet() 共有 61,706 个参数")
def parameter_count(ctx: Context) -> None:
    seen, _ = model(ctx)
    count = seen.get("num_params")
    if type(count) is not int or count != BOOK_PARAMETERS:
        raise CheckFailed(Text(f"lenet() has {count!r} parameters, expected {BOOK_PARAMETERS:,}",
                               f"lenet() 的参数个数为 {count!r}，期望 {BOOK_PARAMETERS:,}"), STRUCTURE_HINT)


@EXERCISE.check(2, "lenet() computes the book's function: its weights in the grader's LeNet give the same output",
                "lenet() 计算的是教材中的函数：其权重载入评分程序的 LeNet 后输出相同")
def same_function(ctx: Context) -> None:
    seen, X = model(ctx)
    state = seen.get("state")
    if not isinstance(state, dict) or not all(type(v) is torch.Tensor for v in state.values()):
        raise CheckFailed(Text("lenet()'s state_dict could not be read", "无法读取 lenet() 的 state_dict"))
    oracle_net = netspec.build(netspec.LENET)
    try:
        oracle_net.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, TypeError) as exc:
        detail = " ".join(str(exc).split())[:600]
        raise CheckFailed(Text(f"lenet()'s weights do not fit the book's LeNet: {detail}",
                               f"lenet() 的权重与教材的 LeNet 不匹配：{detail}"), STRUCTURE_HINT) from None
    if isinstance(seen.get("forward_error"), str):
        error = seen["forward_error"]
        raise CheckFailed(Text(f"lenet()(X) for a batch of 4 1x28x28 inputs raised {error}",
                               f"lenet()(X)（4 个 1x28x28 输入）抛出了 {error}"), STRUCTURE_HINT)
    oracle_net.eval()
    with torch.no_grad():
        expected = oracle_net(X)
    try:
        expect_close(seen.get("Y"), expected, "lenet()(X) for a batch of 4 random 1x28x28 inputs",
                     rtol=1e-4, atol=1e-5)
    except CheckFailed as failure:
        raise CheckFailed(failure.text, STRUCTURE_HINT) from None


# -- shape_trace -----------------------------------------------------------------------------------
def expected_trace(spec: list, input_shape: tuple) -> list[tuple[str, tuple[int, ...]]]:
    """Build the spec here and record each top-level layer's class name and output shape."""
    net = netspec.build(spec)
    X, trace = torch.rand(input_shape), []
    with torch.no_grad():
        for layer in net:
            X = layer(X)
            trace.append((type(layer).__name__, tuple(X.shape)))
    return trace


def describe(spec: list) -> str:
    """A compact picture of a spec: Sequential(Conv2d(1->3, k=(2, 3), p=1, s=2), ReLU, ...)."""
    parts = []
    for name, kwargs in spec:
        if name == "Sequential":
            parts.append(describe(kwargs["layers"]))
        elif kwargs and name != "Dropout":
            parts.append(f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})")
        else:
            parts.append(name)
    return f"Sequential({', '.join(parts)})"


def normalise(result: Any, call: str) -> list[tuple[str, tuple[int, ...]]]:
    """Accept a list (or tuple) of (name, shape) pairs, each a tuple or list, the shape a tuple/list of
    ints (a torch.Size arrives as a tuple); anything else fails with a clear message."""
    if not isinstance(result, (list, tuple)):
        raise CheckFailed(Text(f"{call} must return a list of (name, shape) pairs, got {type_name(result)}",
                               f"{call} 应返回由 (名称, 形状) 组成的列表，实际返回 {type_name(result)}"), TRACE_HINT)
    trace = []
    for i, entry in enumerate(result):
        ok = isinstance(entry, (list, tuple)) and len(entry) == 2 and type(entry[0]) is str
        shape = entry[1] if ok else None
        if not ok or not isinstance(shape, (list, tuple)) or not all(type(d) is int for d in shape):
            shown = repr(entry) if not isinstance(entry, (list, tuple)) or len(repr(entry)) < 120 else type_name(entry)
            raise CheckFailed(Text(f"{call}: entry {i} must be a (layer class name, shape tuple) pair, got {shown}",
                                   f"{call}：第 {i} 项应为 (层的类名, 形状元组)，实际为 {shown}"), TRACE_HINT)
        trace.append((entry[0], tuple(shape)))
    return trace


def expect_trace(ctx: Context, spec: list, input_shape: tuple, name: str | None = None) -> None:
    call = f"shape_trace(net, {tuple(input_shape)})"
    inputs = {"net": name or describe(spec), "input_shape": tuple(input_shape)}
    try:
        observed = ctx.probe("shape_trace", spec, tuple(input_shape))
    except CheckFailed as failure:  # the student's code raised: say on which network
        raise CheckFailed(with_inputs(failure.text, inputs), failure.hint) from None
    if observed["changed"]:
        names = ", ".join(observed["changed"][:6]) + (", ..." if len(observed["changed"]) > 6 else "")
        raise CheckFailed(with_inputs(Text(f"{call} changed the network's parameters ({names})",
                                           f"{call} 改变了网络的参数（{names}）"), inputs),
                          Text("A shape trace only reads the network: feed a random input through its layers and "
                               "record each output's shape; do not re-initialise, train or replace anything.",
                               "形状追踪只读取网络：把随机输入依次送入各层并记录输出形状；不要重新初始化、训练或替换任何参数。"))
    got = normalise(observed["trace"], call)
    expected = expected_trace(spec, tuple(input_shape))
    if got == expected:
        return
    if len(got) != len(expected):
        text = Text(f"{call}: expected {len(expected)} entries (one per top-level layer), got {len(got)}",
                    f"{call}：期望 {len(expected)} 项（每个顶层层一项），实际为 {len(got)} 项")
    else:
        i = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
        text = Text(f"{call}: entry {i} should be {expected[i]}, got {got[i]}",
                    f"{call}：第 {i} 项应为 {expected[i]}，实际为 {got[i]}")
    lines = "\n    ".join(f"{n} {s}" for n, s in expected)
    text = text + Text(f"\n  expected trace:\n    {lines}", f"\n  期望的结果：\n    {lines}")
    raise CheckFailed(with_inputs(text, inputs), TRACE_HINT)


@EXERCISE.check(2, "shape_trace(lenet, (1, 1, 28, 28)) is the book's trace, ending Linear (1, 10)",
                "shape_trace(lenet, (1, 1, 28, 28)) 与教材的输出一致，最后一项为 Linear (1, 10)")
def book_trace(ctx: Context) -> None:
    expect_trace(ctx, netspec.LENET, BOOK_INPUT, name="the book's LeNet (built by the grader)")


#: Always checked before the random networks: nesting, strides, padding and a non-square batch.
FIXED_NETWORK = (
    [["Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1, "stride": 2}], ["ReLU", {}],
     ["Sequential", {"layers": [["Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": (2, 3)}],
                                ["MaxPool2d", {"kernel_size": 2}]]}],
     ["Flatten", {}], ["Linear", {"in_features": 16, "out_features": 5}], ["Tanh", {}]],
    (3, 2, 9, 12),
)


@EXERCISE.check(3, "shape_trace on random networks (padding, stride, pooling, BatchNorm, nested Sequential) "
                   "and non-square batches", "shape_trace 作用于随机网络（填充、步幅、汇聚、批量规范化、嵌套 "
                   "Sequential）和非方形的批量输入")
def random_traces(ctx: Context) -> None:
    expect_trace(ctx, *FIXED_NETWORK)

    @ctx.given(S.network_and_input())
    def prop(case):
        spec, input_shape = case
        expect_trace(ctx, spec, input_shape)

    prop()
