"""Hidden checks for ``Conv2D`` and ``learn_kernel`` (d2l 6.2.2-6.2.4).

The layer is built and driven in the worker by the ``conv2d_layer`` probe; the oracle is
``F.conv2d(x, W) + b`` and, for gradients, autograd on that oracle here in the parent.
``learn_kernel`` runs through the ``seeded_call`` probe, so its random initialisation is
reproducible (seeds ``ctx.settings.seed`` (or 0) + i); the layer's random start is read through
``conv2d_layer`` with a seed.

The value checks build the layer as the book does, with a (k_h, k_w) pair. The rules the statement
adds (an int k meaning (k, k), forward and learn_kernel on your own corr2d and Conv2D, each family
of ``ValueError``) are rule checks of their own.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from cnnkit.rules import forbidden_ops

from ..text import Text
from . import strategies as S
from .expect import Invalid, expect_close, expect_invalid_rejected, show, tensor_result, with_inputs
from .framework import CheckFailed, Context, checks_of, type_name
from .rules import ONLY_FOR_CORRECT

EXERCISE = checks_of("conv_layer")
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
#: The step count: on a 4x5 checkerboard of 0s and 1s the two columns of the (1, 2) windows are
#: orthogonal with equal norms, so the Hessian of the summed squared error is 16 * I and one
#: gradient step multiplies the kernel's error K - STEP_KERNEL by exactly 1 - 16 * lr, from ANY
#: start. Two runs from the same seed (the same start) with the two STEP_LRS (factors 1/2 and 3/4)
#: end with errors in the ratio 1.5 ** STEP_EPOCHS; one update more or fewer gives 1.5 ** 4 or
#: 1.5 ** 2, half the loss (d2l's squared_loss) (7/6) ** 3. Float32 rounding stays below 1e-5.
STEP_KERNEL = torch.tensor([[3.0, -2.0]])
STEP_INPUT = (4, 5)
STEP_LRS = (1 / 32, 1 / 64)
STEP_EPOCHS = 3
STEP_TOLERANCE = 1e-3

SUM_HINT = Text(
    "As in the book: loss = ((conv2d(X) - Y) ** 2).sum(), then weight -= lr * weight.grad, "
    "zero the gradient every epoch, and learn only the kernel (the bias stays 0, like the "
    "book's bias=False: with lr = 3e-2 a learned bias makes the edge experiment diverge).",
    "与教材相同：loss = ((conv2d(X) - Y) ** 2).sum()，然后 weight -= lr * weight.grad，"
    "每个迭代周期清零梯度，只学习卷积核（偏置保持为 0，相当于教材中的 bias=False；"
    "在 lr = 3e-2 时同时学习偏置会使边缘实验发散）。",
)
STEPS_HINT = Text(
    "Make exactly num_epochs updates (for _ in range(num_epochs)), return the kernel after the last "
    "one, and step on the summed squared error ((Y_hat - Y) ** 2).sum() (not d2l's squared_loss, "
    "whose 1/2 halves every step).",
    "恰好更新 num_epochs 次（for _ in range(num_epochs)），返回最后一次更新之后的卷积核，并对平方误差之和 "
    "((Y_hat - Y) ** 2).sum() 求梯度（不要用 d2l 的 squared_loss：其中的 1/2 会使每一步减半）。",
)
NOT_2D = Text(
    "The statement asks for ValueError when X or Y is not a 2-D tensor (check X.dim() and Y.dim() before training).",
    "题目要求：X 或 Y 不是二维张量时抛出 ValueError（训练前检查 X.dim() 和 Y.dim()）。",
)
Y_SHAPE = Text(
    "The statement asks for ValueError when Y does not have the shape of the layer's output on X, "
    "(n_h - k_h + 1, n_w - k_w + 1): compare the shapes before training (a Y that broadcasts "
    "would otherwise be learned silently).",
    "题目要求：Y 的形状与该层在 X 上的输出形状 (n_h - k_h + 1, n_w - k_w + 1) 不一致时抛出 "
    "ValueError：请在训练前比较形状（否则可以广播的 Y 会被悄悄地用于训练）。",
)


def oracle(X: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return F.conv2d(S.as_4d(X), S.as_4d(W), b)[0, 0]


def edge_problem() -> tuple[torch.Tensor, torch.Tensor]:
    """The book's 6x8 image with black middle columns, and its vertical edges Y = corr2d(X, [[1, -1]])."""
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X, oracle(X, torch.tensor([[1.0, -1.0]]), torch.zeros(1))


def not_2d_calls() -> list[Invalid]:
    """The first family of ValueError the statement asks of learn_kernel: X or Y not 2-D (Y of 1 or
    3 dimensions broadcasts against the output, so only a check catches it)."""
    X, Y = edge_problem()
    return [
        (NOT_2D, (X[None], Y, (1, 2)), {}),
        (NOT_2D, (X[0], Y, (1, 2)), {}),
        (NOT_2D, (X, Y[None], (1, 2)), {}),
        (NOT_2D, (X, Y[0], (1, 2)), {}),
    ]


def wrong_target_calls() -> list[Invalid]:
    """The second: Y not of the output's shape (one that broadcasts, one that does not, and one that
    only the kernel size makes wrong)."""
    X, Y = edge_problem()
    return [
        (Y_SHAPE, (X, Y[:1], (1, 2)), {}),
        (Y_SHAPE, (X, Y[:, :-1], (1, 2)), {}),
        (Y_SHAPE, (X, Y, (2, 2)), {}),
    ]


def oracle_grads(X, W, b, G) -> tuple[torch.Tensor, torch.Tensor]:
    W, b = W.clone().requires_grad_(True), b.clone().requires_grad_(True)
    (oracle(X, W, b) * G).sum().backward()
    return W.grad, b.grad


def observe(
    ctx: Context, kernel_size, X, W, b, G, run: bool = True, inputs: dict | None = None, seed: int | None = None
) -> dict:
    """Run the probe and insist on the shape of its answer (it is built by trusted code, but
    everything in it came from the student's objects). An exception of the student's code is
    reported with the inputs that caused it."""
    try:
        seen = ctx.probe("conv2d_layer", kernel_size, X, W, b, G, run, seed)
    except CheckFailed as failure:
        raise CheckFailed(with_inputs(failure.text, inputs), failure.hint) from None
    if not isinstance(seen, dict) or not isinstance(seen.get("params"), list):
        raise CheckFailed(
            Text(f"Conv2D could not be observed (got {type_name(seen)})", f"无法检查 Conv2D（得到 {type_name(seen)}）")
        )
    return seen


def expect_loaded(seen: dict, kernel_size, inputs: dict) -> None:
    """Fail when the probe could not put W and b into the layer (missing or wrong-sized attribute)."""
    for name, size in (("weight", math.prod(kernel_size)), ("bias", 1)):
        if seen.get("loaded", {}).get(name) is not True:
            kind, shape, _ = seen["attributes"][name]
            got = f"{kind} of shape {shape}" if shape is not None else kind
            raise CheckFailed(
                with_inputs(
                    Text(
                        f"Conv2D({kernel_size}).{name} must be a tensor with {size} element(s), got {got}",
                        f"Conv2D({kernel_size}).{name} 应为含 {size} 个元素的张量，实际为 {got}",
                    ),
                    inputs,
                )
            )


def build(ctx: Context, kernel_size, seed: int | None = None) -> dict:
    """Only build ``Conv2D(kernel_size)`` (after ``torch.manual_seed(seed)`` if given) and observe it
    (an int ``kernel_size`` k is built as the statement says, (k, k))."""
    k_h, k_w = S.as_pair(kernel_size)  # the statement lets an int k stand for (k, k)
    X, W, b, G = torch.ones(k_h + 2, k_w + 3), torch.ones(k_h, k_w), torch.ones(1), torch.ones(3, 4)
    return observe(ctx, kernel_size, X, W, b, G, run=False, seed=seed)  # forward is judged by other checks


def initial_weight(ctx: Context, kernel_size, seed: int) -> torch.Tensor:
    """The weight ``Conv2D(kernel_size)`` starts with after ``torch.manual_seed(seed)``."""
    return tensor_result(build(ctx, kernel_size, seed).get("initial_weight"), f"Conv2D({kernel_size}).weight")


def expect_random_start(ctx: Context, kernel_size=(2, 3)) -> None:
    """The statement asks for a weight "initialised randomly as in the book" (torch.rand, drawn
    from torch's generator): its entries are not all equal, and layers built after different
    seeds start differently (a constant, or a seed fixed inside the layer, is neither)."""
    call = f"Conv2D({kernel_size}).weight"
    seed, other_seed = seeds(ctx, 2)
    weight, other = initial_weight(ctx, kernel_size, seed), initial_weight(ctx, kernel_size, other_seed)
    hint = Text(
        "Initialise it as the book does: nn.Parameter(torch.rand(kernel_size)), with no torch.manual_seed "
        "inside the layer.",
        "请按教材初始化：nn.Parameter(torch.rand(kernel_size))，不要在层内调用 torch.manual_seed。",
    )
    if weight.numel() > 1 and bool((weight == weight.flatten()[0]).all()):
        raise CheckFailed(
            Text(
                f"{call} starts as {show(weight)} after torch.manual_seed({seed}): every entry is "
                f"the same, but the statement asks for a random start",
                f"{call} 在 torch.manual_seed({seed}) 之后的初始值为 {show(weight)}：所有元素都相同，"
                f"而题目要求随机初始化",
            ),
            hint,
        )
    if weight.shape == other.shape and torch.equal(weight, other):
        raise CheckFailed(
            Text(
                f"{call} starts as {show(weight)} after torch.manual_seed({seed}) and the same after "
                f"torch.manual_seed({other_seed}): it is not drawn at random",
                f"{call} 在 torch.manual_seed({seed}) 和 torch.manual_seed({other_seed}) 之后的初始值"
                f"相同（{show(weight)}）：没有随机初始化",
            ),
            hint,
        )


def parameter_list(seen: dict, call: str) -> dict[str, tuple[tuple, object]]:
    """The layer's parameters as the probe saw them: name -> (shape, requires_grad)."""
    found = {}
    for entry in seen["params"]:
        if (
            not isinstance(entry, (list, tuple))
            or len(entry) != 3
            or not isinstance(entry[0], str)
            or not isinstance(entry[1], tuple)
        ):
            raise CheckFailed(Text(f"{call}: unreadable parameter list", f"{call}：无法读取参数列表"))
        found[entry[0]] = (tuple(entry[1]), entry[2])
    return found


@EXERCISE.check(
    1,
    "Conv2D((k_h, k_w)) has exactly two Parameters, both trainable: weight of shape (k_h, k_w) and bias (1,)",
    "Conv2D((k_h, k_w)) 恰有两个模型参数，且都可训练：形状为 (k_h, k_w) 的 weight 和形状为 (1,) 的 bias",
)
def parameters(ctx: Context) -> None:
    for kernel_size in ((1, 2), (2, 3), (3, 3)):
        seen = build(ctx, kernel_size)
        call = f"Conv2D({kernel_size})"
        if seen.get("is_module") is not True:
            raise CheckFailed(Text(f"{call} must be an nn.Module", f"{call} 应继承 nn.Module"))
        found = parameter_list(seen, call)
        listing = ", ".join(f"{n} {s}" for n, (s, _) in found.items()) or "none"
        for name, shape in (("weight", kernel_size), ("bias", (1,))):
            if name not in found:
                kind = seen["attributes"][name][0]
                what = "missing" if kind == "NoneType" else f"a {kind}, not an nn.Parameter"
                raise CheckFailed(
                    Text(
                        f"{call}.{name} is {what} (parameters found: {listing})",
                        f"{call}.{name} {'不存在' if kind == 'NoneType' else f'是 {kind}，而不是 nn.Parameter'}"
                        f"（找到的参数：{listing}）",
                    ),
                    Text(
                        f"Register it as self.{name} = nn.Parameter(...).",
                        f"请用 self.{name} = nn.Parameter(...) 注册。",
                    ),
                )
            got_shape, trainable = found[name]
            if got_shape != tuple(shape):
                raise CheckFailed(
                    Text(
                        f"{call}.{name}: expected shape {tuple(shape)}, got {got_shape}",
                        f"{call}.{name}：期望形状 {tuple(shape)}，实际为 {got_shape}",
                    ),
                    Text(
                        "As in the book: weight = nn.Parameter(torch.rand(kernel_size)), bias = "
                        "nn.Parameter(torch.zeros(1)).",
                        "与教材相同：weight = nn.Parameter(torch.rand(kernel_size))，bias = "
                        "nn.Parameter(torch.zeros(1))。",
                    ),
                )
            if trainable is not True:
                raise CheckFailed(
                    Text(
                        f"{call}.{name} has requires_grad=False: it would never be learned",
                        f"{call}.{name} 的 requires_grad=False：无法被学习",
                    )
                )
        if set(found) != {"weight", "bias"}:
            raise CheckFailed(
                Text(
                    f"{call} must have exactly the parameters weight and bias, found {listing}",
                    f"{call} 应恰有 weight 和 bias 两个参数，实际为 {listing}",
                )
            )


@EXERCISE.check(
    0.5,
    "Conv2D's weight starts random, as in the book (torch.rand): not constant, different after different seeds",
    "Conv2D 的 weight 与教材一样随机初始化（torch.rand）：不是常数，不同随机种子下初始值不同",
)
def random_start(ctx: Context) -> None:
    expect_random_start(ctx)


@EXERCISE.check(
    1,
    "forward(x) equals corr2d(x, weight) + bias (F.conv2d) on random shapes",
    "在随机形状上 forward(x) 等于 corr2d(x, weight) + bias（与 F.conv2d 比较）",
)
def forward(ctx: Context) -> None:
    # All or nothing: a layer wrong for some kernel shapes is wrong, whatever share of the drawn
    # shapes it survives.
    @ctx.given(S.conv_layer_case())
    def prop(case):
        kernel_size, X, W, b, G = case
        inputs = {"x": X, "weight": W, "bias": b}
        seen = observe(ctx, kernel_size, X, W, b, G, inputs=inputs)
        expect_loaded(seen, kernel_size, inputs)
        expect_close(seen["Y"], oracle(X, W, b), f"Conv2D({kernel_size})(x)", inputs)

    prop()


@EXERCISE.check(
    1.5,
    "gradients reach weight and bias and equal autograd's through F.conv2d",
    "梯度能传到 weight 和 bias，且与经 F.conv2d 自动求导的结果一致",
)
def gradients(ctx: Context) -> None:
    # All or nothing: each example compares both gradients at once, and a gradient that is wrong
    # for some shapes is wrong, whatever share of the drawn shapes it survives.
    @ctx.given(S.conv_layer_case(), max_examples=max(5, ctx.settings.max_examples // 2))
    def prop(case):
        kernel_size, X, W, b, G = case
        inputs = {"x": X, "weight": W, "bias": b, "upstream gradient": G}
        seen = observe(ctx, kernel_size, X, W, b, G, inputs=inputs)
        expect_loaded(seen, kernel_size, inputs)
        expected_w, expected_b = oracle_grads(X, W, b, G)
        Y = tensor_result(seen["Y"], f"Conv2D({kernel_size})(x)", inputs)
        if tuple(Y.shape) != tuple(G.shape):
            raise CheckFailed(
                with_inputs(
                    Text(
                        f"Conv2D({kernel_size})(x) has shape {tuple(Y.shape)}, expected {tuple(G.shape)}",
                        f"Conv2D({kernel_size})(x) 的形状为 {tuple(Y.shape)}，期望 {tuple(G.shape)}",
                    ),
                    inputs,
                )
            )
        for name, expected in (("weight", expected_w), ("bias", expected_b)):
            grad = seen[f"grad_{name}"]
            if grad is None:
                raise CheckFailed(
                    with_inputs(
                        Text(
                            f"after backward(), Conv2D.{name}.grad is None: autograd did not reach {name}",
                            f"反向传播后 Conv2D.{name}.grad 为 None：自动微分没有传到 {name}",
                        ),
                        inputs,
                    ),
                    Text(
                        "Compute forward from self.weight / self.bias themselves (no .data, "
                        ".detach() or torch.no_grad()).",
                        "前向传播应直接使用 self.weight / self.bias（不要用 .data、.detach() 或 torch.no_grad()）。",
                    ),
                )
            expect_close(grad, expected, f"gradient of sum(Conv2D(x) * G) with respect to {name}", inputs)

    prop()


EPOCHS_HINT = Text(
    " Use the lr and num_epochs you are given: one update per epoch.",
    "请使用传入的 lr 和 num_epochs：每个迭代周期更新一次。",
)
STATE_HINT = Text(
    " Every call starts from a new Conv2D(kernel_size): keep nothing between calls.",
    "每次调用都从新建的 Conv2D(kernel_size) 开始：不要在调用之间保留任何状态。",
)


def learn(ctx: Context, seed: int, X, Y, kernel_size, **kwargs) -> torch.Tensor:
    call = f"learn_kernel(X, Y, {kernel_size}{''.join(f', {k}={v:g}' for k, v in kwargs.items())})"
    K = tensor_result(ctx.probe("seeded_call", seed, LEARN, [X, Y, kernel_size], kwargs), call)
    if tuple(K.shape) != tuple(kernel_size):
        raise CheckFailed(
            Text(
                f"{call} returned shape {tuple(K.shape)}, expected {tuple(kernel_size)}",
                f"{call} 返回的形状为 {tuple(K.shape)}，期望 {tuple(kernel_size)}",
            ),
            Text(
                "Return the layer's weight (e.g. conv2d.weight.detach()).",
                "请返回该层的 weight（例如 conv2d.weight.detach()）。",
            ),
        )
    return K


def seeds(ctx: Context, count: int) -> list[int]:
    base = ctx.settings.seed or 0
    return [base + i for i in range(count)]


@EXERCISE.check(
    2,
    "learn_kernel learns the edge detector [[1, -1]] (the book's experiment, several seeds)",
    "learn_kernel 学到边缘检测核 [[1, -1]]（教材实验，多个随机种子）",
)
def learns_edge_detector(ctx: Context) -> None:
    X, Y = edge_problem()
    target = torch.tensor([[1.0, -1.0]])
    for seed in seeds(ctx, EDGE_SEEDS):
        K = learn(ctx, seed, X, Y, (1, 2))
        try:
            expect_close(
                K,
                target,
                f"learn_kernel(X, Y, (1, 2)) with torch.manual_seed({seed}) (tolerance {EDGE_TOLERANCE})",
                {"X": X, "Y": Y},
                rtol=0,
                atol=EDGE_TOLERANCE,
            )
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


def step_problem() -> tuple[torch.Tensor, torch.Tensor, float]:
    """The checkerboard X, Y = corr2d(X, STEP_KERNEL), and the curvature c: one step scales the error by 1 - c * lr."""
    X = ((torch.arange(STEP_INPUT[0])[:, None] + torch.arange(STEP_INPUT[1])) % 2 == 0).float()
    patches = F.unfold(S.as_4d(X), STEP_KERNEL.shape)[0]  # one row per kernel entry
    hessian = 2 * patches @ patches.T  # of the summed squared error: 16 * I by construction
    return X, oracle(X, STEP_KERNEL, torch.zeros(1)), hessian[0, 0].item()


def expect_exact_steps(ctx: Context, seed: int) -> None:
    """Exactly num_epochs steps of the summed squared error with the given lr, whatever the start.

    The start is the submission's own random kernel, the same in calls after the same seed; on the
    checkerboard every step scales the error K - STEP_KERNEL by 1 - c * lr, so the run with the
    first lr pins the start down and the run with the second lr must end where that start leads.
    A start that changes between identical calls (e.g. drawn with numpy) cannot be pinned down:
    then only the other parts of the check judge the training.
    """
    X, Y, curvature = step_problem()
    (lr, other_lr), kernel_size = STEP_LRS, tuple(STEP_KERNEL.shape)
    first = learn(ctx, seed, X, Y, kernel_size, lr=lr, num_epochs=STEP_EPOCHS).double()
    again = learn(ctx, seed, X, Y, kernel_size, lr=lr, num_epochs=STEP_EPOCHS).double()
    if not torch.allclose(first, again, rtol=0, atol=1e-6):
        return
    second = learn(ctx, seed, X, Y, kernel_size, lr=other_lr, num_epochs=STEP_EPOCHS)
    step = (1 - curvature * other_lr) / (1 - curvature * lr)  # the ratio of the errors after one step each
    expected = STEP_KERNEL + step**STEP_EPOCHS * (first - STEP_KERNEL)
    error, other_error = first - STEP_KERNEL, second.double() - STEP_KERNEL
    seen = (error * other_error).sum().item() / max((error * error).sum().item(), 1e-12)
    call = f"learn_kernel(X, Y, {kernel_size}, lr={other_lr:g}, num_epochs={STEP_EPOCHS})"
    try:
        expect_close(
            second,
            expected,
            f"{call} after torch.manual_seed({seed})",
            {"X": X, "Y": Y, f"the result with lr={lr:g} (same seed)": first.float()},
            rtol=0,
            atol=STEP_TOLERANCE,
        )
    except CheckFailed as failure:
        raise CheckFailed(steps_text(curvature, STEP_LRS, step, seen) + failure.text, STEPS_HINT) from None


def steps_text(curvature: float, lrs: tuple[float, float], step: float, seen: float) -> Text:
    """Why the two runs must end as they should, and the ratio one update fewer or more would give."""
    lr, other_lr = lrs
    want, fewer, more = (step**n for n in (STEP_EPOCHS, STEP_EPOCHS - 1, STEP_EPOCHS + 1))
    kernel = STEP_KERNEL.tolist()
    return Text(
        f"exactly num_epochs gradient steps: on this X every step of the summed squared error multiplies the "
        f"kernel's distance from K = {kernel} by 1 - {curvature:g}*lr, so from the same start (same seed) "
        f"the distances with lr={other_lr:g} and lr={lr:g} must be in the ratio {step:g}^{STEP_EPOCHS} = "
        f"{want:.4g}; they are in the ratio {seen:.4g} ({fewer:.4g} would mean one update fewer, {more:.4g} "
        f"one more). ",
        f"恰好 num_epochs 步梯度下降：在此 X 上，平方误差之和的每一步都使卷积核与 K = {kernel} 的距离乘以 "
        f"1 - {curvature:g}*lr，因此从同一初始值（相同随机种子）出发，lr={other_lr:g} 与 lr={lr:g} 的距离之比"
        f"应为 {step:g}^{STEP_EPOCHS} = {want:.4g}；实际为 {seen:.4g}（{fewer:.4g} 表示少更新一次，{more:.4g} "
        f"表示多更新一次）。",
    )


@EXERCISE.check(
    1.5,
    "learn_kernel follows lr and num_epochs: it recovers a random (2, 3) kernel, one epoch ends "
    "farther from it, and it makes exactly num_epochs steps on the summed squared error",
    "learn_kernel 遵循 lr 和 num_epochs：能恢复随机的 (2, 3) 卷积核，只训练一个迭代周期时离它更远，"
    "且恰好按平方误差之和更新 num_epochs 次",
)
def learns_random_kernel(ctx: Context) -> None:
    for seed in seeds(ctx, 2):
        X, K, Y, lr = kernel_problem(seed)
        got = learn(ctx, seed, X, Y, RANDOM_KERNEL, lr=lr, num_epochs=RANDOM_EPOCHS)
        try:
            expect_close(
                got,
                K,
                f"learn_kernel(X, Y, {RANDOM_KERNEL}, lr={lr:g}, num_epochs={RANDOM_EPOCHS}) "
                f"(tolerance {RANDOM_TOLERANCE})",
                {"X": X, "Y": Y},
                rtol=0,
                atol=RANDOM_TOLERANCE,
            )
        except CheckFailed as failure:
            raise CheckFailed(failure.text, SUM_HINT + EPOCHS_HINT) from None
        # Gradient descent with this lr (at most 1 / the largest curvature) never moves away from
        # the kernel, so one epoch from the same start ends strictly farther than RANDOM_EPOCHS.
        one = learn(ctx, seed, X, Y, RANDOM_KERNEL, lr=lr, num_epochs=1)
        far, near = (one - K).norm().item(), (got - K).norm().item()
        if not far > near:
            raise CheckFailed(
                Text(
                    f"with torch.manual_seed({seed}), learn_kernel(X, Y, {RANDOM_KERNEL}, lr={lr:g}, "
                    f"num_epochs=1) ends {far:.4g} from the kernel, no farther than num_epochs="
                    f"{RANDOM_EPOCHS} ({near:.4g}): num_epochs is not followed, or the training "
                    f"goes on from an earlier call (a layer or kernel kept between calls)",
                    f"在 torch.manual_seed({seed}) 下，learn_kernel(X, Y, {RANDOM_KERNEL}, lr={lr:g}, "
                    f"num_epochs=1) 的结果与目标核相距 {far:.4g}，并不比 num_epochs={RANDOM_EPOCHS} 时"
                    f"（{near:.4g}）更远：没有按 num_epochs 训练，或者接着之前某次调用的结果继续训练"
                    f"（在调用之间保留了层或卷积核）",
                ),
                EPOCHS_HINT + STATE_HINT,
            )
    expect_exact_steps(ctx, seeds(ctx, 1)[0])


# -- the rules the statement adds --------------------------------------------------------------------
@EXERCISE.rule(
    0.5,
    "an int kernel_size k means (k, k): Conv2D(3).weight has shape (3, 3)",
    "整数 kernel_size k 表示 (k, k)：Conv2D(3).weight 的形状为 (3, 3)",
)
def int_kernel_size(ctx: Context) -> None:
    seen = build(ctx, 3)
    found = parameter_list(seen, "Conv2D(3)")
    shape = found["weight"][0] if "weight" in found else seen["attributes"]["weight"][1]
    if shape != (3, 3):
        raise CheckFailed(
            Text(
                f"Conv2D(3).weight: expected shape (3, 3), got {shape}",
                f"Conv2D(3).weight：期望形状 (3, 3)，实际为 {shape}",
            ),
            Text(
                "The statement lets an int k stand for (k, k); the book passes pairs (Conv2D((1, 2))), and "
                "torch.rand(3) has shape (3,): turn an int into (k, k) first.",
                "题目允许用整数 k 表示 (k, k)；教材传入的是二元组（Conv2D((1, 2))），而 torch.rand(3) 的形状为 (3,)："
                "请先把整数转换为 (k, k)。",
            ),
        )


@EXERCISE.rule(
    0.5,
    "Conv2D's forward uses your corr2d: no built-in convolution",
    "Conv2D 的前向传播使用自己的 corr2d：不使用内置卷积",
)
def forward_uses_corr2d(ctx: Context) -> None:
    X, W, b, G = torch.randn(5, 6), torch.randn(2, 3), torch.randn(1), torch.randn(4, 4)
    inputs = {"x": X, "weight": W, "bias": b}
    seen, ops = ctx.probe_with_ops("conv2d_layer", (2, 3), X, W, b, G)
    try:  # the rule is scored only for a forward pass that computes the right output
        if not isinstance(seen, dict):
            raise CheckFailed(
                Text(
                    f"Conv2D could not be observed (got {type_name(seen)})",
                    f"无法检查 Conv2D（得到 {type_name(seen)}）",
                )
            )
        expect_loaded(seen, (2, 3), inputs)
        expect_close(seen["Y"], oracle(X, W, b), "Conv2D((2, 3))(x)", inputs)
    except CheckFailed as failure:
        raise CheckFailed(ONLY_FOR_CORRECT + failure.text, failure.hint) from None
    used = forbidden_ops(ops)
    if used:
        raise CheckFailed(
            Text(
                f"Conv2D((2, 3))(x) must compute its output with your corr2d, but it called {', '.join(used)}",
                f"Conv2D((2, 3))(x) 应使用自己的 corr2d 计算输出，但调用了 {', '.join(used)}",
            ),
            Text(
                "forward(x) returns corr2d(x, self.weight) + self.bias.",
                "forward(x) 返回 corr2d(x, self.weight) + self.bias。",
            ),
        )


@EXERCISE.rule(
    0.5,
    "learn_kernel trains your Conv2D(kernel_size), not the built-in nn.Conv2d the book uses there",
    "learn_kernel 训练自己的 Conv2D(kernel_size)，而不是教材此处使用的内置 nn.Conv2d",
)
def learn_kernel_uses_conv2d(ctx: Context) -> None:
    X, Y = edge_problem()
    seed = seeds(ctx, 1)[0]
    call = f"learn_kernel(X, Y, (1, 2)) (the book's edge experiment, after torch.manual_seed({seed}))"
    try:  # the rule is scored only for a call that learns the edge detector
        K, ops = ctx.probe_with_ops("seeded_call", seed, LEARN, [X, Y, (1, 2)], {})
        expect_close(
            K,
            torch.tensor([[1.0, -1.0]]),
            f"{call} (tolerance {EDGE_TOLERANCE})",
            {"X": X, "Y": Y},
            rtol=0,
            atol=EDGE_TOLERANCE,
        )
    except CheckFailed as failure:
        raise CheckFailed(ONLY_FOR_CORRECT + failure.text, failure.hint) from None
    used = forbidden_ops(ops)
    if used:
        raise CheckFailed(
            Text(
                f"{call} must train your Conv2D(kernel_size), but it called {', '.join(used)}",
                f"{call} 应训练自己的 Conv2D(kernel_size)，但调用了 {', '.join(used)}",
            ),
            Text(
                "The book uses the built-in nn.Conv2d here for simplicity; this exercise asks for the class "
                "above: conv2d = Conv2D(kernel_size), on the 2-D X (no reshape to 4-D needed).",
                "教材此处为简单起见使用内置的 nn.Conv2d；本练习要求使用上面的类：conv2d = Conv2D(kernel_size)，"
                "直接作用于二维的 X（无需变形为四维）。",
            ),
        )


@EXERCISE.rule(
    0.5,
    "learn_kernel with an X or Y that is not 2-D raises ValueError (before training)",
    "X 或 Y 不是二维时，learn_kernel 抛出 ValueError（在训练之前）",
)
def rejects_non_2d(ctx: Context) -> None:
    expect_invalid_rejected(ctx, LEARN, not_2d_calls())


@EXERCISE.rule(
    0.5,
    "learn_kernel with a Y that does not have the shape of the layer's output on X raises ValueError",
    "Y 的形状与该层在 X 上的输出形状不一致时，learn_kernel 抛出 ValueError",
)
def rejects_wrong_target_shape(ctx: Context) -> None:
    expect_invalid_rejected(ctx, LEARN, wrong_target_calls())
