"""Hidden checks for ``lenet`` and ``shape_trace`` (d2l 6.6.1).

The oracle network is the grader's own ``netspec.build(netspec.LENET)``: the student's weights are
loaded into it by position (whatever the student named the layers) and both must compute the same
function. Traces are compared with the trace of the same spec built and run here, in the parent.
"""

from __future__ import annotations

from typing import Any

import torch

from ..text import Text
from ..worker.runtime import netspec
from . import strategies as S
from .expect import expect_close, with_inputs
from .framework import CheckFailed, Context, checks_of, type_name
from .rules import ONLY_FOR_CORRECT

EXERCISE = checks_of("lenet")
BOOK_LAYERS = [name for name, _ in netspec.LENET]
BOOK_PARAMETERS = 61_706
BOOK_INPUT = (1, 1, 28, 28)

STRUCTURE_HINT = Text(
    "The book's order: Conv2d(1, 6, 5, padding=2), Sigmoid, AvgPool2d(2, 2), Conv2d(6, 16, 5), "
    "Sigmoid, AvgPool2d(2, 2), Flatten, Linear(400, 120), Sigmoid, Linear(120, 84), Sigmoid, "
    "Linear(84, 10), all in ONE nn.Sequential (no ReLU, no max pooling).",
    "教材的顺序：Conv2d(1, 6, 5, padding=2)、Sigmoid、AvgPool2d(2, 2)、Conv2d(6, 16, 5)、Sigmoid、"
    "AvgPool2d(2, 2)、Flatten、Linear(400, 120)、Sigmoid、Linear(120, 84)、Sigmoid、"
    "Linear(84, 10)，全部放在一个 nn.Sequential 中（不用 ReLU，不用最大汇聚）。",
)
TRACE_HINT = Text(
    "One entry per top-level layer, as `for layer in net:` visits them (a nested Sequential is ONE "
    "entry named 'Sequential'; a module placed twice gives two entries): "
    "(type(layer).__name__, tuple of the layer's OUTPUT shape).",
    "按 `for layer in net:` 的顺序每个顶层层一项（嵌套的 Sequential 算一项，名为 'Sequential'；"
    "放在两处的同一模块算两项）：(type(layer).__name__, 该层输出形状的元组)。",
)


def listed(names: list, limit: int = 4, sep: str = ", ") -> str:
    """The first ``limit`` names joined by ``sep``, with "..." when there are more."""
    return sep.join(map(str, names[:limit])) + (f"{sep}..." if len(names) > limit else "")


def model(ctx: Context) -> tuple[dict, torch.Tensor]:
    """The ``lenet_model`` observation of a fresh ``lenet()`` on a fixed batch of 4 images."""
    # Contrasted inputs (3 x standard normal): with the small initial weights the sigmoids leave
    # little signal, and max pooling instead of average pooling then changes the output by ~6e-4
    # (uniform [0, 1) inputs: ~1e-4), well above the comparison's tolerance.
    X = 3 * torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(ctx.settings.seed or 0))
    seen = ctx.probe("lenet_model", X)
    if not isinstance(seen, dict):
        raise CheckFailed(
            Text(
                f"lenet() could not be observed (got {type_name(seen)})", f"无法检查 lenet()（得到 {type_name(seen)}）"
            )
        )
    if seen.get("is_sequential") is not True:
        got = seen.get("type")
        raise CheckFailed(
            Text(f"lenet() must return an nn.Sequential, got {got}", f"lenet() 应返回 nn.Sequential，实际为 {got}"),
            STRUCTURE_HINT,
        )
    if seen.get("uninitialised"):
        names = listed(seen["uninitialised"])
        raise CheckFailed(
            Text(
                f"lenet() returned a network whose lazy layers are not initialised yet "
                f"(parameters {names} have no shape): it has no 61,706 parameters to check",
                f"lenet() 返回的网络中延后初始化的层尚未初始化（参数 {names} 还没有形状），"
                f"因而无法检查其 61,706 个参数",
            ),
            Text(
                "Give Conv2d/Linear their input sizes, or run one forward pass on "
                "torch.zeros(1, 1, 28, 28) before returning the network.",
                "为 Conv2d/Linear 指定输入大小，或在返回网络之前先用 torch.zeros(1, 1, 28, 28) 做一次前向传播。",
            ),
        )
    return seen, X


@EXERCISE.check(
    2,
    "lenet() is an nn.Sequential with the book's layers in the book's order",
    "lenet() 是 nn.Sequential，层的种类和顺序与教材一致",
)
def structure(ctx: Context) -> None:
    seen, _ = model(ctx)
    layers = seen.get("layers")
    if layers != BOOK_LAYERS:
        shown = ", ".join(map(str, layers)) if isinstance(layers, list) else type_name(layers)
        text = Text(
            f"lenet()'s layers: expected {', '.join(BOOK_LAYERS)}; got {shown}",
            f"lenet() 的各层：期望 {', '.join(BOOK_LAYERS)}；实际为 {shown}",
        )
        if isinstance(layers, list) and "Sequential" in layers:
            text = text + Text(
                " (a nested nn.Sequential block counts as one layer: put the layers themselves "
                "into the one nn.Sequential, e.g. nn.Sequential(*block1, *block2, ...))",
                "（嵌套的 nn.Sequential 块只算一层：请把各层直接放进同一个 nn.Sequential，"
                "例如 nn.Sequential(*block1, *block2, ...)）",
            )
        raise CheckFailed(text, STRUCTURE_HINT)


@EXERCISE.check(1, "lenet() has 61,706 parameters, all trainable", "lenet() 共有 61,706 个参数，全部可训练")
def parameter_count(ctx: Context) -> None:
    seen, _ = model(ctx)
    count = seen.get("num_params")
    if type(count) is not int or count != BOOK_PARAMETERS:
        raise CheckFailed(
            Text(
                f"lenet() has {count!r} parameters, expected {BOOK_PARAMETERS:,}",
                f"lenet() 的参数个数为 {count!r}，期望 {BOOK_PARAMETERS:,}",
            ),
            STRUCTURE_HINT,
        )
    frozen = seen.get("frozen")
    if not isinstance(frozen, list) or not all(type(name) is str for name in frozen):
        raise CheckFailed(
            Text(
                f"lenet()'s parameters could not be read (got {type_name(frozen)})",
                f"无法读取 lenet() 的参数（得到 {type_name(frozen)}）",
            )
        )
    if frozen:
        names = listed(frozen)
        raise CheckFailed(
            Text(
                f"lenet() has {BOOK_PARAMETERS:,} parameters, but {len(frozen)} of its parameter "
                f"tensors do not require grad ({names}): training would leave them as initialised",
                f"lenet() 有 {BOOK_PARAMETERS:,} 个参数，但其中 {len(frozen)} 个参数张量不需要梯度"
                f"（{names}）：训练不会更新它们",
            ),
            Text(
                "Leave every parameter trainable: do not call requires_grad_(False) on the network or its "
                "layers (nor set p.requires_grad = False).",
                "让所有参数都可训练：不要对网络或其中的层调用 requires_grad_(False)"
                "（也不要设置 p.requires_grad = False）。",
            ),
        )


@EXERCISE.check(
    2,
    "lenet() computes the book's function: its weights in the grader's LeNet give the same output",
    "lenet() 计算的是教材中的函数：其权重载入评分程序的 LeNet 后输出相同",
)
def same_function(ctx: Context) -> None:
    seen, X = model(ctx)
    state = seen.get("state")
    if not isinstance(state, dict) or not all(type(v) is torch.Tensor for v in state.values()):
        raise CheckFailed(Text("lenet()'s state_dict could not be read", "无法读取 lenet() 的 state_dict"))
    oracle_net = netspec.build(netspec.LENET)
    load_by_position(oracle_net, state)
    if isinstance(seen.get("forward_error"), str):
        error = seen["forward_error"]
        raise CheckFailed(
            Text(
                f"lenet()(X) for a batch of 4 1x28x28 inputs raised {error}",
                f"lenet()(X)（4 个 1x28x28 输入）抛出了 {error}",
            ),
            STRUCTURE_HINT,
        )
    oracle_net.eval()
    with torch.no_grad():
        expected = oracle_net(X)
    try:
        expect_close(seen.get("Y"), expected, "lenet()(X) for a batch of 4 random 1x28x28 inputs", rtol=1e-4, atol=1e-5)
    except CheckFailed as failure:
        raise CheckFailed(failure.text, STRUCTURE_HINT) from None


def shapes(items) -> str:
    """'0.weight (6, 1, 5, 5), 0.bias (6,), ...' for (key, tensor) pairs."""
    return ", ".join(f"{key} {tuple(value.shape)}" for key, value in items)


def load_by_position(oracle_net: torch.nn.Sequential, state: dict[str, torch.Tensor]) -> None:
    """Load the student's state_dict into the oracle tensor by tensor, in order, so that any layer
    names (an OrderedDict, nested blocks) work; fail, naming the first misfit, unless the number of
    tensors and every shape match the book's LeNet."""
    expected = oracle_net.state_dict()
    got = list(state.items())
    if len(got) != len(expected):
        raise CheckFailed(
            Text(
                f"lenet()'s weights do not fit the book's LeNet: its state_dict holds {len(got)} "
                f"tensors ({shapes(got)}), the book's LeNet {len(expected)} ({shapes(expected.items())})",
                f"lenet() 的权重与教材的 LeNet 不匹配：其 state_dict 含 {len(got)} 个张量"
                f"（{shapes(got)}），教材的 LeNet 含 {len(expected)} 个（{shapes(expected.items())}）",
            ),
            STRUCTURE_HINT,
        )
    for i, ((key, value), (book_key, book_value)) in enumerate(zip(got, expected.items())):
        if value.shape != book_value.shape:
            raise CheckFailed(
                Text(
                    f"lenet()'s weights do not fit the book's LeNet: tensor {i} of its state_dict "
                    f"('{key}') has shape {tuple(value.shape)}, the book's ('{book_key}') "
                    f"{tuple(book_value.shape)}",
                    f"lenet() 的权重与教材的 LeNet 不匹配：其 state_dict 的第 {i} 个张量（'{key}'）"
                    f"形状为 {tuple(value.shape)}，教材的（'{book_key}'）为 {tuple(book_value.shape)}",
                ),
                STRUCTURE_HINT,
            )
    oracle_net.load_state_dict(dict(zip(expected.keys(), state.values())), strict=True)


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
        elif name == "Reuse":
            parts.append(f"{spec[kwargs['index']][0]} [the same object as entry {kwargs['index']}]")
        elif kwargs and name != "Dropout":
            parts.append(f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})")
        else:
            parts.append(name)
    return f"Sequential({', '.join(parts)})"


def normalise(result: Any, call: str) -> list[tuple[str, tuple[int, ...]]]:
    """Accept a list (or tuple) of (name, shape) pairs, each a tuple or list, the shape a tuple/list of
    ints (a torch.Size arrives as a tuple); anything else fails with a clear message."""
    if not isinstance(result, (list, tuple)):
        raise CheckFailed(
            Text(
                f"{call} must return a list of (name, shape) pairs, got {type_name(result)}",
                f"{call} 应返回由 (名称, 形状) 组成的列表，实际返回 {type_name(result)}",
            ),
            TRACE_HINT,
        )
    trace = []
    for i, entry in enumerate(result):
        ok = isinstance(entry, (list, tuple)) and len(entry) == 2 and type(entry[0]) is str
        shape = entry[1] if ok else None
        if not ok or not isinstance(shape, (list, tuple)) or not all(type(d) is int for d in shape):
            shown = repr(entry) if not isinstance(entry, (list, tuple)) or len(repr(entry)) < 120 else type_name(entry)
            raise CheckFailed(
                Text(
                    f"{call}: entry {i} must be a (layer class name, shape tuple) pair, got {shown}",
                    f"{call}：第 {i} 项应为 (层的类名, 形状元组)，实际为 {shown}",
                ),
                TRACE_HINT,
            )
        trace.append((entry[0], tuple(shape)))
    return trace


UNCHANGED_HINT = Text(
    "A shape trace only reads the network: feed a random input through its layers and record each "
    "output's shape; do not re-initialise, train, convert (.double(), .to(...)) or freeze anything, "
    "and put the network back in the training mode it came in (net.train(was_training)).",
    "形状追踪只读取网络：把随机输入依次送入各层并记录输出形状；不要重新初始化、训练、转换"
    "（.double()、.to(...)）或冻结任何参数，并恢复网络原来的训练模式（net.train(was_training)）。",
)
RAISED_HINT = Text(
    "Run the layers with `for layer in net:` (net.children() lists a module placed twice only once).",
    "用 `for layer in net:` 依次运行各层（net.children() 对放在两处的同一模块只列出一次）。",
)


def expect_trace(
    ctx: Context, spec: list, input_shape: tuple, name: str | None = None, training: bool = True
) -> list[str]:
    """``shape_trace`` on the network ``spec`` describes (handed over in training mode or not) must
    return the trace built here; returns what the call changed in the network (judged by
    ``leaves_network_unchanged`` alone)."""
    call = f"shape_trace(net, {tuple(input_shape)})"
    inputs = {"net": name or describe(spec), "input_shape": tuple(input_shape)}
    inputs |= {} if training else {"mode": "eval"}
    try:
        observed = ctx.probe("shape_trace", spec, tuple(input_shape), training)
    except CheckFailed as failure:  # the student's code raised: say on which network
        raise CheckFailed(
            with_inputs(Text(f"{call}: ", f"{call}：") + failure.text, inputs), failure.hint or RAISED_HINT
        ) from None
    got = normalise(observed["trace"], call)
    expected = expected_trace(spec, tuple(input_shape))
    if got == expected:
        return observed["changed"]
    if len(got) != len(expected):
        text = Text(
            f"{call}: expected {len(expected)} entries (one per top-level layer), got {len(got)}",
            f"{call}：期望 {len(expected)} 项（每个顶层层一项），实际为 {len(got)} 项",
        )
    else:
        i = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
        text = Text(
            f"{call}: entry {i} should be {expected[i]}, got {got[i]}",
            f"{call}：第 {i} 项应为 {expected[i]}，实际为 {got[i]}",
        )
    lines = "\n    ".join(f"{n} {s}" for n, s in expected)
    text = text + Text(f"\n  expected trace:\n    {lines}", f"\n  期望的结果：\n    {lines}")
    raise CheckFailed(with_inputs(text, inputs), TRACE_HINT)


@EXERCISE.check(
    2,
    "shape_trace(lenet, (1, 1, 28, 28)) is the book's trace, ending Linear (1, 10)",
    "shape_trace(lenet, (1, 1, 28, 28)) 与教材的输出一致，最后一项为 Linear (1, 10)",
)
def book_trace(ctx: Context) -> None:
    expect_trace(ctx, netspec.LENET, BOOK_INPUT, name="the book's LeNet (built by the grader)")


#: Always checked before the random networks, in this order: nesting, strides, padding and a
#: non-square batch; then a small LeNet that shares one Sigmoid and one AvgPool2d object
#: between its blocks (the way ``for layer in net`` runs it; ``net.children()`` lists each once),
#: handed over in eval mode.
FIXED_NETWORKS = (
    {
        "spec": [
            ["Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1, "stride": 2}],
            ["ReLU", {}],
            [
                "Sequential",
                {
                    "layers": [
                        ["Conv2d", {"in_channels": 3, "out_channels": 4, "kernel_size": (2, 3)}],
                        ["MaxPool2d", {"kernel_size": 2}],
                    ]
                },
            ],
            ["Flatten", {}],
            ["Linear", {"in_features": 16, "out_features": 5}],
            ["Tanh", {}],
        ],
        "input_shape": (3, 2, 9, 12),
    },
    {
        "spec": [
            ["Conv2d", {"in_channels": 1, "out_channels": 2, "kernel_size": 3, "padding": 1}],
            ["Sigmoid", {}],
            ["AvgPool2d", {"kernel_size": 2, "stride": 2}],
            ["Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3}],
            ["Reuse", {"index": 1}],
            ["Reuse", {"index": 2}],
            ["Flatten", {}],
            ["Linear", {"in_features": 6, "out_features": 4}],
            ["Reuse", {"index": 1}],
        ],
        "input_shape": (2, 1, 10, 14),
        "training": False,
    },
)


@EXERCISE.check(
    2.5,
    "shape_trace on random networks (padding, stride, pooling, BatchNorm, nested Sequential, "
    "a module used twice) and non-square batches",
    "shape_trace 作用于随机网络（填充、步幅、汇聚、批量规范化、嵌套 Sequential、同一模块用两次）和非方形的批量输入",
)
def random_traces(ctx: Context) -> None:
    for fixed in FIXED_NETWORKS:
        expect_trace(ctx, **fixed)

    # All or nothing: a trace wrong for some kind of network is wrong, whatever share of the drawn
    # networks happens to avoid that kind.
    @ctx.given(S.network_and_input())
    def prop(case):
        spec, input_shape = case
        expect_trace(ctx, spec, input_shape)

    prop()


@EXERCISE.rule(
    0.5,
    "shape_trace leaves the network as it came: its parameters, their dtype and requires_grad, and "
    "its training mode (the book's LeNet and the fixed networks, in training and in eval mode)",
    "shape_trace 不改变传入的网络：参数及其数据类型与 requires_grad、训练模式都保持不变"
    "（教材的 LeNet 与固定的网络，训练模式与评估模式）",
)
def leaves_network_unchanged(ctx: Context) -> None:
    cases = [{"spec": netspec.LENET, "input_shape": BOOK_INPUT, "name": "the book's LeNet (built by the grader)"}]
    cases += [*FIXED_NETWORKS, {**FIXED_NETWORKS[0], "training": False}]
    for case in cases:
        try:  # the rule is scored only for a shape_trace that returns the right trace
            changed = expect_trace(ctx, **case)
        except CheckFailed as failure:
            raise CheckFailed(ONLY_FOR_CORRECT + failure.text, failure.hint) from None
        if changed:
            call = f"shape_trace(net, {tuple(case['input_shape'])})"
            inputs = {"net": case.get("name") or describe(case["spec"]), "input_shape": tuple(case["input_shape"])}
            inputs |= {} if case.get("training", True) else {"mode": "eval"}
            names = listed(changed, limit=6, sep="; ")
            raise CheckFailed(
                with_inputs(
                    Text(f"{call} changed the network it was given ({names})", f"{call} 改变了传入的网络（{names}）"),
                    inputs,
                ),
                UNCHANGED_HINT,
            )
