"""Leaner kernels for the chapter's small convolutions and poolings on the GPU.

At LeNet's sizes (batch 256) a training step is a chain of about fifty tiny kernels, and on an
H100 cuDNN's general convolutions took about 160 of a graphed step's 285 microseconds. Inside
``LeanKernels`` (a ``TorchFunctionMode``) two operators change, on tensors of the given device
types only:

* ``conv2d`` with stride 1, one group, no dilation, float32 and padding below the kernel size
  runs ``fastloop.conv_kernels``' Triton kernels: one per direction, the weights and bias
  gradient included. They compute what ``F.conv2d`` does, in TF32 on the tensor cores as cuDNN
  does by default. Where Triton is missing (a CPU-only PyTorch), or once a kernel failed, PyTorch's
  operator runs.
* ``avg_pool2d`` whose windows tile the input (stride equal to the kernel, no padding, sizes
  divisible) keeps ATen's forward kernel, and its gradient is one broadcast division (7 instead
  of 31 microseconds for LeNet's two poolings, bit for bit the same numbers).

Everything else runs unchanged. ``TrainStep`` enters the mode for its eager and captured steps on
a GPU, so the replayed CUDA graphs hold these kernels. (Rejected on an H100, in microseconds per
step: convolutions as im2col plus one matrix product, 441; as row-Toeplitz matrix products, 329;
Triton kernels with a program per output plane and no tensor cores, 585.)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.modules.utils import _pair
from torch.overrides import TorchFunctionMode


@functools.cache
def _conv_kernels() -> ModuleType | None:
    """``fastloop.conv_kernels``, imported at the first convolution (Triton decides then whether it
    interprets its kernels), or None where Triton is missing."""
    try:
        from . import conv_kernels
    except ImportError:
        return None
    return conv_kernels


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


def _avg_pool2d_rule(
    input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
) -> Callable[[], torch.Tensor] | None:
    """The lean call for this ``F.avg_pool2d`` call, or None where it does not apply."""
    kernel = _pair(kernel_size)
    if (
        input.dim() != 4
        or divisor_override is not None
        or _pair(padding) != (0, 0)
        or (stride not in (None, []) and _pair(stride) != kernel)
        or input.shape[2] % kernel[0]
        or input.shape[3] % kernel[1]
    ):
        return None
    return lambda: tiled_avg_pool2d(input, kernel)


def _span(t: torch.Tensor) -> int:
    """How many elements ``t``'s view spans in its storage (the kernels index in 32 bits)."""
    return 1 + sum((size - 1) * abs(stride) for size, stride in zip(t.shape, t.stride()))


def _conv2d_rule(
    input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1
) -> Callable[[], torch.Tensor] | None:
    """The lean call for this ``F.conv2d`` call, or None where it does not apply: stride 1,
    float32, one group, no dilation, padding below the kernel size, on CUDA (or on the CPU where
    Triton interprets its kernels)."""
    if (
        isinstance(padding, str)
        or (input.device.type != "cuda" and os.environ.get("TRITON_INTERPRET") != "1")
        or input.dim() != 4
        or weight.dim() != 4
        or groups != 1
        or _pair(stride) != (1, 1)
        or _pair(dilation) != (1, 1)
        or input.dtype != torch.float32
        or weight.dtype != torch.float32
        or (bias is not None and bias.dtype != torch.float32)
        or input.shape[1] != weight.shape[1]
        or weight.device != input.device
        or (bias is not None and bias.device != input.device)
    ):
        return None
    (ph, pw), (o, c, kh, kw) = _pair(padding), weight.shape
    n, _, h, w = input.shape
    if (
        not (0 <= ph < kh <= h + 2 * ph and 0 <= pw < kw <= w + 2 * pw)
        or max(o, c) > 64
        or max(_span(input), _span(weight), n * o * (h + 2 * ph) * (w + 2 * pw)) >= 1 << 31
    ):
        return None
    kernels = _conv_kernels()
    if kernels is None or not kernels.usable:
        return None
    return lambda: kernels.TritonConv2d.apply(input, weight, bias, (ph, pw))


#: PyTorch's function -> the rule that returns its lean call (or None).
_RULES: dict[Callable, Callable] = {F.avg_pool2d: _avg_pool2d_rule, F.conv2d: _conv2d_rule}


class LeanKernels(TorchFunctionMode):
    """Within ``with LeanKernels():``, small stride-1 convolutions and tiling average poolings of
    tensors on ``device_types`` run the lean kernels above; everything else is untouched."""

    def __init__(self, device_types: Sequence[str] = ("cuda",)) -> None:
        super().__init__()
        self.device_types = tuple(device_types)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rule = _RULES.get(func)
        if rule is not None and args and isinstance(args[0], torch.Tensor) and args[0].device.type in self.device_types:
            lean = rule(*args, **kwargs)
            if lean is not None:
                return lean()
        return func(*args, **kwargs)
