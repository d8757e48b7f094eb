"""A one-kernel gradient for the chapter's average pooling on the GPU.

At LeNet's sizes (batch 256) a training step is a chain of about fifty tiny kernels. On an H100,
ATen's general average-pooling gradient took 31 of a graphed step's 308 microseconds for LeNet's
two 2x2 poolings. Inside ``LeanKernels`` (a ``TorchFunctionMode``), ``avg_pool2d`` whose windows
tile the input (stride equal to the kernel, no padding, sizes divisible) keeps ATen's forward
kernel, and its gradient is one broadcast division: 7 microseconds for both, and a step of 285.
The numbers are the same (each gradient element is one output gradient divided by the window
size, as in ATen). Other poolings and all other operators run unchanged. ``TrainStep`` enters the
mode for its eager and captured steps on a GPU, so replayed CUDA graphs hold this kernel.

(Convolutions stay with cuDNN: computing LeNet's as im2col plus one matrix product made the step
slower, 441 microseconds, because the im2col copies cost more than cuDNN's small kernels.)
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.modules.utils import _pair
from torch.overrides import TorchFunctionMode


class _TiledAvgPool(torch.autograd.Function):
    """Average pooling over windows that tile the input; the gradient spreads each output's
    gradient evenly over its window with one broadcast division."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, kernel: tuple[int, int]) -> torch.Tensor:
        ctx.kernel = kernel
        return F.avg_pool2d(x, kernel, kernel)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        kh, kw = ctx.kernel
        N, C, Ho, Wo = grad.shape
        spread = grad.reshape(N, C, Ho, 1, Wo, 1).expand(N, C, Ho, kh, Wo, kw) / (kh * kw)
        return spread.reshape(N, C, Ho * kh, Wo * kw), None


def tiled_avg_pool2d(x: torch.Tensor, kernel: tuple[int, int]) -> torch.Tensor:
    """``F.avg_pool2d(x, kernel)`` for windows that tile ``x`` exactly, with the one-kernel gradient."""
    return _TiledAvgPool.apply(x, kernel)


def _avg_pool2d_rule(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True, divisor_override=None) -> Callable[[], torch.Tensor] | None:
    """The lean call for this ``F.avg_pool2d`` call, or None where it does not apply."""
    kernel = _pair(kernel_size)
    if (input.dim() != 4 or divisor_override is not None or _pair(padding) != (0, 0)
            or (stride not in (None, []) and _pair(stride) != kernel)
            or input.shape[2] % kernel[0] or input.shape[3] % kernel[1]):
        return None
    return lambda: tiled_avg_pool2d(input, kernel)


#: PyTorch's function -> the rule that returns its lean call (or None).
_RULES: dict[Callable, Callable] = {F.avg_pool2d: _avg_pool2d_rule}


class LeanKernels(TorchFunctionMode):
    """Within ``with LeanKernels():``, tiling average poolings of tensors on ``device_types`` get
    the one-kernel gradient; everything else is untouched."""

    def __init__(self, device_types: Sequence[str] = ("cuda",)) -> None:
        super().__init__()
        self.device_types = tuple(device_types)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rule = _RULES.get(func)
        if rule is not None and args and isinstance(args[0], torch.Tensor) \
                and args[0].device.type in self.device_types:
            lean = rule(*args, **kwargs)
            if lean is not None:
                return lean()
        return func(*args, **kwargs)
