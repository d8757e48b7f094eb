"""Hidden checks for ``Conv2D`` and ``learn_kernel`` (d2l 6.2.2-6.2.4).

The layer is built and driven in the worker by the ``conv2d_layer`` probe; the oracle is
``F.conv2d(x, W) + b`` and, for gradients, autograd on that oracle here in the parent.
``learn_kernel`` runs through the ``seeded_call`` probe, so its random initialisation is
reproducible (seeds ``ctx.options.seed`` (or 0) + i).
"""
from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from cnnkit.rules import forbidden_ops

from . import strategies as S
from .expect import expect_close, tensor_result, with_inputs
from .framework import CheckFailed, Context, Exercise, Text, type_name

EXERCISE = Exercise("conv_layer", modules=("corr2d", "conv_layer"))
LEARN = "conv_layer.learn_kernel"

#: The edge experiment is run with this many seeds; every result must be within EDGE_TOLERANCE
#: of [[1, -1]] in every entry. Calibration (seeds 0..1999, the reference, lr 3e-2, 10 epochs):
#: max abs error 0.118, mean 0.065. The public test uses 0.2 with seed 0.
EDGE_SEEDS = 5
EDGE_TOLERANCE = 0.25
#: The second experiment: a random whole-number (2, 3) kernel on a random 8x9 X, with
#: lr = 1/lambda_max of the quadratic's Hessian (bias included) and a condition number of at
#: most RANDOM_MAX_CONDITION, so plain gradient descent from ANY start contracts the error by
#: (1 - 1/6)^40 < 1e-3 (from a start in [0, 1)^6: below 0.006). Wrong by more than
#: RANDOM_TOLERANCE means the learning rate, the epochs or the gradient step is not used as given.
RANDOM_KERNEL = (2, 3)
RANDOM_INPUT = (8, 9)
RANDOM_EPOCHS = 40
RANDOM_MAX_CONDITION = 6.0
RANDOM_TOLERANCE = 0.05

SUM_HINT = Text("As in the book: loss = ((conv2d(X) - Y) ** 2).sum(), then weight -= lr * weight.grad, "
                "zero the gradient every epoch, and learn only the kernel (the bias stays 0, like the "
                "book's bias=False: with lr = 3e-2 a learned bias makes the edge experiment diverge).",
                "与教材相同：loss = ((conv2d(X) - Y) ** 2).sum()，然后 weight -= lr * weight.grad，"
                "每个迭代周期清零梯度，只学习卷积核（偏置保持为 0，相当于教材中的 bias=False；"
                "在 lr = 3e-2 时同时学习偏置会使边缘实验发散）。")


def oracle(X: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.conv2d(S.as_4d(X), S.as_4d(W), b)[0, 0]


def oracle_grads(X, W, b, G) -> tuple[torch.Tensor, torch.Tensor]:
    W, b = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    (oracle(X, W, b) * G).sum().backward()
    return W.grad, b.grad


def observe(ctx: Context, kernel_size, X, W, b, G, run: bool = True, inputs: dict | None = None) -> dict:
    """Run the probe and insist on the shape of its answer (it is built by trusted code, but
    everything in it came from the student's objects). An exception of the student's code is
    reported with the inputs that caused it."""
    try:
        seen = ctx.probe("conv2d_layer", kernel_size, X, W, b, G, run)
    except CheckFailed as failure:
        raise CheckFailed(with_inputs(failure.text, inputs), failure.hint) from None
    if not isinstance(seen, dict) or not isinstance(seen.get("params"), list):
        raise CheckFailed(Text(f"Conv2D could not be observed (got {type_name(seen)})",
                               f"无法检查 Conv2D（得到 {type_name(seen)}）"))
    return seen


def expect_loaded(seen: dict, kernel_size, inputs: dict) -> None:
    """Fail when the probe could not put W and b into the layer (missing or wrong-sized attribute)."""
    for name, size in (("weight", math.prod(kernel_size)), ("bias", 1)):
        if seen.get("loaded", {}).get(name) is not True:
            kind, shape, _ = seen["attributes"][name]
            got = f"{kind} of shape {shape}" if shape is not None else kind
            raise CheckFailed(with_inputs(Text(f"Conv2D({kernel_size}).{name} must be a tensor with {size} "
                                               f"element(s), got {got}",
                                               f"Conv2D({kernel_size}).{name} 应为含 {size} 个元素的张量，实际为 {got}"),
                                          inputs))


@EXERCISE.check(1, "Conv2D has exactly two Parameters: weight (kernel_size) and bias (1,), both trainable",
                "Conv2D 恰有两个模型参数：weight（kernel_size）和 bias（形状 (1,)），且都可训练")
def parameters(ctx: Context) -> None:
    for kernel_size in ((1, 2), (2, 3), (3, 3)):
        k_h, k_w = kernel_size
        X = torch.ones(k_h + 2, k_w + 3)
        W, b, G = torch.ones(kernel_size), torch.ones(1), torch.ones(3, 4)
        seen = observe(ctx, kernel_size, X, W, b, G, run=False)  # forward is judged by other checks
        call = f"Conv2D({kernel_size})"
        if seen.get("is_module") is not True:
            raise CheckFailed(Text(f"{call} must be an nn.Module", f"{call} 应继承 nn.Module"))
        params = seen["params"]
        found = {}
        for entry in params:
            if (not isinstance(entry, (list, tuple)) or len(entry) != 3 or not isinstance(entry[0], str)
                    or not isinstance(entry[1], tuple)):
                raise CheckFailed(Text(f"{call}: unreadable parameter list", f"{call}：无法读取参数列表"))
            found[entry[0]] = (tuple(entry[1]), entry[2])
        listing = ", ".join(f"{n} {s}" for n, (s, _) in found.items()) or "none"
        for name, shape in (("weight", kernel_size), ("bias", (1,))):
            if name not in found:
                kind = seen["attributes"][name][0]
                what = "missing" if kind == "NoneType" else f"a {kind}, not an nn.Parameter"
                raise CheckFailed(Text(f"{call}.{name} is {what} (parameters found: {listing})",
                                       f"{call}.{name} {'不存在' if kind == 'NoneType' else f'是 {kind}，而不是 nn.Parameter'}"
                                       f"（找到的参数：{listing}）"),
                                  Text(f"Register it as self.{name} = nn.Parameter(...).",
                                       f"请用 self.{name} = nn.Parameter(...) 注册。"))
            got_shape, trainable = found[name]
            if got_shape != tuple(shape):
                raise CheckFailed(Text(f"{call}.{name}: expected shape {tuple(shape)}, got {got_shape}",
                                       f"{call}.{name}：期望形状 {tuple(shape)}，实际为 {got_shape}"),
                                  Text("weight has the shape kernel_size; bias is torch.zeros(1).",
                                       "weight 的形状为 kernel_size；bias 为 torch.zeros(1)。"))
            if trainable is not True:
                raise CheckFailed(Text(f"{call}.{name} has requires_grad=False: it would never be learned",
                                       f"{call}.{name} 的 requires_grad=False：无法被学习"))
        if set(found) != {"weight", "bias"}:
            raise CheckFailed(Text(f"{call} must have exactly the parameters weight and bias, found {listing}",
                                   f"{call} 应恰有 weight 和 bias 两个参数，实际为 {listing}"))


@EXERCISE.check(1, "forward uses your corr2d: no built-in convolution", "前向传播使用自己的 corr2d：不使用内置卷积")
def no_builtin(ctx: Context) -> None:
    X, W, b, G = torch.randn(5, 6), torch.randn(2, 3), torch.randn(1), torch.randn(4, 4)
    used = forbidden_ops(ctx.probe_ops("conv2d_layer", (2, 3), X, W, b, G))
    if used:
        raise CheckFailed(Text(f"Conv2D must compute its output with corr2d, but it called {', '.join(used)}",
                               f"Conv2D 应使用 corr2d 计算输出，但调用了 {', '.join(used)}"))


@EXERCISE.check(2, "forward(x) equals corr2d(x, weight) + bias (F.conv2d) on random shapes",
                "在随机形状上 forward(x) 等于 corr2d(x, weight) + bias（与 F.conv2d 比较）")
def forward(ctx: Context) -> None:
    @ctx.given(S.conv_layer_case())
    def prop(case):
        kernel_size, X, W, b, G = case
        inputs = {"x": X, "weight": W, "bias": b}
        seen = observe(ctx, kernel_size, X, W, b, G, inputs=inputs)
        expect_loaded(seen, kernel_size, inputs)
        expect_close(seen["Y"], oracle(X, W, b), f"Conv2D({kernel_size})(x)", inputs)

    prop()


@EXERCISE.check(2, "gradients reach weight and bias and equal autograd's through F.conv2d",
                "梯度能传到 weight 和 bias，且与经 F.conv2d 自动求导的结果一致")
def gradients(ctx: Context) -> None:
    @ctx.given(S.conv_layer_case(), max_examples=max(5, ctx.options.max_examples // 2))
    def prop(case):
        kernel_size, X, W, b, G = case
        inputs = {"x": X, "weight": W, "bias": b, "upstream gradient": G}
        seen = observe(ctx, kernel_size, X, W, b, G, inputs=inputs)
        expect_loaded(seen, kernel_size, inputs)
        expected_w, expected_b = oracle_grads(X, W, b, G)
        Y = tensor_result(seen["Y"], f"Conv2D({kernel_size})(x)", inputs)
        if tuple(Y.shape) != tuple(G.shape):
            raise CheckFailed(with_inputs(Text(f"Conv2D({kernel_size})(x) has shape {tuple(Y.shape)}, expected "
                                          f"{tuple(G.shape)}", f"Conv2D({kernel_size})(x) 的形状为 "
                                          f"{tuple(Y.shape)}，期望 {tuple(G.shape)}"), inputs))
        for name, expected in (("weight", expected_w), ("bias", expected_b)):
            grad = seen[f"grad_{name}"]
            if grad is None:
                raise CheckFailed(with_inputs(Text(f"after backward(), Conv2D.{name}.grad is None: autograd did "
                                              f"not reach {name}", f"反向传播后 Conv2D.{name}.grad 为 None："
                                              f"自动微分没有传到 {name}"), inputs),
                                  Text("Compute forward from self.weight / self.bias themselves (no .data, "
                                       ".detach() or torch.no_grad()).",
                                       "前向传播应直接使用 self.weight / self.bias（不要用 .data、.detach() "
                                       "或 torch.no_grad()）。"))
            expect_close(grad, expected, f"gradient of sum(Conv2D(x) * G) with respect to {name}", inputs)

    prop()


EPOCHS_HINT = Text(" Use the lr and num_epochs you are given: one update per epoch.",
                   "请使用传入的 lr 和 num_epochs：每个迭代周期更新一次。")


def learn(ctx: Context, seed: int, X, Y, kernel_size, **kwargs) -> torch.Tensor:
    call = f"learn_kernel(X, Y, {kernel_size}{''.join(f', {k}={v:g}' for k, v in kwargs.items())})"
    K = tensor_result(ctx.probe("seeded_call", seed, LEARN, [X, Y, kernel_size], kwargs), call)
    if tuple(K.shape) != tuple(kernel_size):
        raise CheckFailed(Text(f"{call} returned shape {tuple(K.shape)}, expected {tuple(kernel_size)}",
                               f"{call} 返回的形状为 {tuple(K.shape)}，期望 {tuple(kernel_size)}"),
                          Text("Return the layer's weight (e.g. conv2d.weight.detach()).",
                               "请返回该层的 weight（例如 conv2d.weight.detach()）。"))
    return K


def seeds(ctx: Context, count: int) -> list[int]:
    base = ctx.options.seed or 0
    return [base + i for i in range(count)]


@EXERCISE.check(2, "learn_kernel learns the edge detector [[1, -1]] (the book's experiment, several seeds)",
                "learn_kernel 学到边缘检测核 [[1, -1]]（教材实验，多个随机种子）")
def learns_edge_detector(ctx: Context) -> None:
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    target = torch.tensor([[1.0, -1.0]])
    Y = oracle(X, target, torch.zeros(1))
    for seed in seeds(ctx, EDGE_SEEDS):
        K = learn(ctx, seed, X, Y, (1, 2))
        try:
            expect_close(K, target, f"learn_kernel(X, Y, (1, 2)) with torch.manual_seed({seed}) "
                         f"(tolerance {EDGE_TOLERANCE})", {"X": X, "Y": Y}, rtol=0, atol=EDGE_TOLERANCE)
        except CheckFailed as failure:
            raise CheckFailed(failure.text, SUM_HINT) from None


def kernel_problem(seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """A well-conditioned random (X, K, Y = corr2d(X, K)) and a learning rate that converges on it."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        X = torch.randn(RANDOM_INPUT, generator=generator).round(decimals=2)
        K = torch.randint(-2, 3, RANDOM_KERNEL, generator=generator).float()
        if not K.any():
            continue
        patches = F.unfold(S.as_4d(X.double()), RANDOM_KERNEL)[0].T  # one row per output element
        A = torch.cat([patches, torch.ones(len(patches), 1, dtype=patches.dtype)], dim=1)
        eigenvalues = torch.linalg.eigvalsh(2 * A.T @ A)  # Hessian of the summed squared error
        if eigenvalues[-1] <= RANDOM_MAX_CONDITION * eigenvalues[0]:
            exact = 1 / eigenvalues[-1].item()
            scale = 10 ** math.floor(math.log10(exact)) / 10
            lr = math.floor(exact / scale) * scale  # two significant digits, rounded down (< 10 %)
            lr = float(f"{lr:.2g}")
            return X, K, oracle(X, K, torch.zeros(1)), lr


@EXERCISE.check(2, "learn_kernel recovers a random (2, 3) kernel with the given lr and num_epochs "
                   "(and one epoch ends farther from it)",
                "learn_kernel 能用给定的 lr 和 num_epochs 恢复随机的 (2, 3) 卷积核（只训练一个迭代周期时离它更远）")
def learns_random_kernel(ctx: Context) -> None:
    for seed in seeds(ctx, 2):
        X, K, Y, lr = kernel_problem(seed)
        got = learn(ctx, seed, X, Y, RANDOM_KERNEL, lr=lr, num_epochs=RANDOM_EPOCHS)
        try:
            expect_close(got, K, f"learn_kernel(X, Y, {RANDOM_KERNEL}, lr={lr:g}, num_epochs={RANDOM_EPOCHS}) "
                         f"(tolerance {RANDOM_TOLERANCE})", {"X": X, "Y": Y}, rtol=0, atol=RANDOM_TOLERANCE)
        except CheckFailed as failure:
            raise CheckFailed(failure.text, SUM_HINT + EPOCHS_HINT) from None
        # Gradient descent with this lr (at most 1 / the largest curvature) never moves away from
        # the kernel, so one epoch from the same start ends strictly farther than RANDOM_EPOCHS.
        one = learn(ctx, seed, X, Y, RANDOM_KERNEL, lr=lr, num_epochs=1)
        far, near = (one - K).norm().item(), (got - K).norm().item()
        if not far > near:
            raise CheckFailed(Text(f"with torch.manual_seed({seed}), learn_kernel(X, Y, {RANDOM_KERNEL}, lr={lr:g}, "
                                   f"num_epochs=1) ends {far:.4g} from the kernel, no farther than num_epochs="
                                   f"{RANDOM_EPOCHS} ({near:.4g}): num_epochs is not followed",
                                   f"在 torch.manual_seed({seed}) 下，learn_kernel(X, Y, {RANDOM_KERNEL}, lr={lr:g}, "
                                   f"num_epochs=1) 的结果与目标核相距 {far:.4g}，并不比 num_epochs={RANDOM_EPOCHS} 时"
                                   f"（{near:.4g}）更远：没有按 num_epochs 训练"), EPOCHS_HINT)
