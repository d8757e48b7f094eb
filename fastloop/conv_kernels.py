"""Stride-1 convolutions as Triton kernels on the tensor cores, for the chapter's small networks.

At LeNet's sizes cuDNN spends about 160 of a graphed training step's 285 microseconds (H100) on
its two convolutions and their bias gradients: its kernels, layout conversions and split
reductions are built for large images. Here each direction is one kernel that gathers the
inputs each output needs (im2col in registers, never in memory) and multiplies them with the
weights on the tensor cores (TF32, as cuDNN by default):

* the forward pass, bias included, one program per sample and block of output positions;
* the input gradient, the same kernel reading the weights flipped, channel axes swapped;
* the weight and bias gradients, partial sums per chunk of the batch, then one sum over the
  chunks (so the result does not depend on scheduling).

Measured on an H100 (LeNet, batch 256, microseconds per call, cuDNN in brackets): first
convolution 15 (30) forward, 25 (48) weight and bias gradients; second 10 (18) forward, 30 (37)
input gradient, 23 (39) weight and bias gradients. One pipeline stage (``num_stages=1``) matters:
Triton's default of three made the weight gradients several times slower.

Imported by :mod:`fastloop.lean_kernels` at the first convolution, where Triton is installed. With
``TRITON_INTERPRET=1`` the kernels run on CPU tensors, which is how the CPU tests check them.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F
import triton
import triton.language as tl

#: False once a kernel failed on this machine (no C compiler for Triton's launcher, an unwritable
#: cache, a GPU it does not support): convolutions then run PyTorch's operators.
usable = True

#: Each weight-gradient launch aims at about this many programs (batch chunks x input channels).
WGRAD_PROGRAMS = 2048


@triton.jit
def _taps(
    offs,
    inside,
    WO,
    PH: tl.constexpr,
    PW: tl.constexpr,
    KH: tl.constexpr,
    KW: tl.constexpr,
    TAPS: tl.constexpr,
    H,
    W,
    sxh,
    sxw,
):
    """For output positions ``offs`` (flat, row-major; ``inside`` marks the real ones) and each
    kernel tap: the input's offset within a channel and whether that input exists
    (``[TAPS, len(offs)]``)."""
    taps = tl.arange(0, TAPS)
    iy = (offs // WO)[None, :] + (taps // KW - PH)[:, None]
    ix = (offs % WO)[None, :] + (taps % KW - PW)[:, None]
    exists = (taps < KH * KW)[:, None] & inside[None, :] & (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
    return iy * sxh + ix * sxw, exists


@triton.jit
def _conv_kernel(
    x_ptr,
    w_ptr,
    b_ptr,
    y_ptr,
    C,
    H,
    W,
    O,
    HO,
    WO,
    sxn,
    sxc,
    sxh,
    sxw,
    swo,
    swc,
    swh,
    sww,
    PH: tl.constexpr,
    PW: tl.constexpr,
    KH: tl.constexpr,
    KW: tl.constexpr,
    FLIP: tl.constexpr,
    HAS_BIAS: tl.constexpr,
    TAPS: tl.constexpr,
    OB: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """y[n, :, block] (contiguous) for program (n, block): per input channel, the weights
    [out channels, taps] times the gathered inputs [taps, positions], on the tensor cores."""
    n = tl.program_id(0)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    inside = offs < HO * WO
    x_off, exists = _taps(offs, inside, WO, PH, PW, KH, KW, TAPS, H, W, sxh, sxw)
    taps = tl.arange(0, TAPS)
    o = tl.arange(0, OB)
    if FLIP:
        w_tap = (KH - 1 - taps // KW) * swh + (KW - 1 - taps % KW) * sww
    else:
        w_tap = (taps // KW) * swh + (taps % KW) * sww
    w_off = o[:, None] * swo + w_tap[None, :]
    w_exists = (o < O)[:, None] & (taps < KH * KW)[None, :]
    acc = tl.zeros([OB, BLOCK], dtype=tl.float32)
    for c in range(C):
        xv = tl.load(x_ptr + n * sxn + c * sxc + x_off, mask=exists, other=0.0)
        wv = tl.load(w_ptr + c * swc + w_off, mask=w_exists, other=0.0)
        acc += tl.dot(wv, xv)
    if HAS_BIAS:
        acc += tl.load(b_ptr + o, mask=o < O, other=0.0)[:, None]
    tl.store(y_ptr + (n * O + o[:, None]) * HO * WO + offs[None, :], acc, mask=(o < O)[:, None] & inside[None, :])


@triton.jit(do_not_specialize=["N"])
def _wgrad_kernel(
    x_ptr,
    g_ptr,
    part_ptr,
    N,
    C,
    H,
    W,
    O,
    HO,
    WO,
    sxn,
    sxc,
    sxh,
    sxw,
    PER_CHUNK,
    PH: tl.constexpr,
    PW: tl.constexpr,
    KH: tl.constexpr,
    KW: tl.constexpr,
    TAPS: tl.constexpr,
    OB: tl.constexpr,
    BLOCK: tl.constexpr,
):
    """For program (c, batch chunk): over the chunk's samples and all output positions, the output
    gradient [out channels, positions] times the gathered inputs of channel c [positions, taps];
    tap KH*KW reads ones instead, which gives the bias gradient. Written to part[chunk, :, c, :]."""
    c = tl.program_id(0)
    chunk = tl.program_id(1)
    taps = tl.arange(0, TAPS)
    o = tl.arange(0, OB)
    acc = tl.zeros([OB, TAPS], dtype=tl.float32)
    first = chunk * PER_CHUNK
    for start in range(0, HO * WO, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        inside = offs < HO * WO
        x_off, exists = _taps(offs, inside, WO, PH, PW, KH, KW, TAPS, H, W, sxh, sxw)
        ones = ((taps == KH * KW)[:, None] & inside[None, :]).to(tl.float32)
        g_off = o[:, None] * HO * WO + offs[None, :]
        g_exists = (o < O)[:, None] & inside[None, :]
        for n in range(first, tl.minimum(first + PER_CHUNK, N)):
            xv = tl.load(x_ptr + n * sxn + c * sxc + x_off, mask=exists, other=0.0) + ones
            gv = tl.load(g_ptr + n * O * HO * WO + g_off, mask=g_exists, other=0.0)
            acc += tl.dot(gv, tl.trans(xv))
    tl.store(part_ptr + ((chunk * OB + o[:, None]) * C + c) * TAPS + taps[None, :], acc)


def _sizes(positions: int, taps: int, channels: int, most: int) -> tuple[int, int, int]:
    """Block sizes (output positions, at most ``most``; taps; channels): powers of two of at least
    16, as the tensor cores' products need."""
    return (
        max(16, min(most, triton.next_power_of_2(positions))),
        max(16, triton.next_power_of_2(taps)),
        max(16, triton.next_power_of_2(channels)),
    )


def conv(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, padding: tuple[int, int], flipped: bool = False
) -> torch.Tensor:
    """``F.conv2d(x, weight, bias, padding=padding)`` with stride 1, contiguous output. With
    ``flipped``, ``weight`` is read as ``weight.flip(2, 3).transpose(0, 1)`` (no copy)."""
    n, c, h, w = x.shape
    o, kh, kw = weight.shape[1 if flipped else 0], *weight.shape[2:]
    so, sc, sh, sw = weight.stride()
    if flipped:  # weight[o, c] is read as weight[c, o]
        so, sc = sc, so
    ph, pw = padding
    ho, wo = h + 2 * ph - kh + 1, w + 2 * pw - kw + 1
    y = torch.empty(n, o, ho, wo, device=x.device, dtype=torch.float32)
    block, taps, ob = _sizes(ho * wo, kh * kw, o, most=128)
    _conv_kernel[(n, triton.cdiv(ho * wo, block))](
        x,
        weight,
        bias.contiguous() if bias is not None else weight,
        y,
        c,
        h,
        w,
        o,
        ho,
        wo,
        *x.stride(),
        so,
        sc,
        sh,
        sw,
        PH=ph,
        PW=pw,
        KH=kh,
        KW=kw,
        FLIP=flipped,
        HAS_BIAS=bias is not None,
        TAPS=taps,
        OB=ob,
        BLOCK=block,
        num_warps=2,
        num_stages=1,
    )
    return y


def weight_and_bias_grad(
    x: torch.Tensor, grad: torch.Tensor, kernel: tuple[int, int], padding: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradients of ``F.conv2d(x, weight, bias, padding=padding)``'s weight and bias for the
    output gradient ``grad`` (contiguous): per-chunk partial sums, then one sum over the chunks."""
    n, c, h, w = x.shape
    _, o, ho, wo = grad.shape
    kh, kw = kernel
    block, taps, ob = _sizes(ho * wo, kh * kw + 1, o, most=64)
    per_chunk = triton.cdiv(n, max(1, min(n, WGRAD_PROGRAMS // c)))
    chunks = triton.cdiv(n, per_chunk)
    part = torch.empty(chunks, ob, c, taps, device=x.device, dtype=torch.float32)
    _wgrad_kernel[(c, chunks)](
        x,
        grad,
        part,
        n,
        c,
        h,
        w,
        o,
        ho,
        wo,
        *x.stride(),
        per_chunk,
        PH=padding[0],
        PW=padding[1],
        KH=kh,
        KW=kw,
        TAPS=taps,
        OB=ob,
        BLOCK=block,
        num_warps=4,
        num_stages=1,
    )
    dw = part[:, :o, :, : kh * kw].sum(0).view(o, c, kh, kw)
    db = part[:, :o, 0, kh * kw].sum(0)
    return dw, db


def _give_up(exc: Exception) -> None:
    global usable
    usable = False
    warnings.warn(
        f"the Triton convolution failed ({type(exc).__name__}: {exc}); PyTorch's convolutions run instead",
        RuntimeWarning,
        stacklevel=3,
    )


class TritonConv2d(torch.autograd.Function):
    """``F.conv2d`` with stride 1 (float32, groups 1, dilation 1): one Triton kernel per direction.
    If a kernel fails, a RuntimeWarning says so and PyTorch's operators compute the result."""

    @staticmethod
    def forward(
        ctx: Any, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, padding: tuple[int, int]
    ) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.padding = padding
        try:
            return conv(x, weight, bias, padding)
        except Exception as exc:  # noqa: BLE001 - any kernel failure means "use PyTorch's"
            _give_up(exc)
            return F.conv2d(x, weight, bias, padding=padding)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        kh, kw = weight.shape[2:]
        ph, pw = ctx.padding
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        try:
            dx = conv(grad, weight, None, (kh - 1 - ph, kw - 1 - pw), flipped=True) if need_x else None
            dw, db = weight_and_bias_grad(x, grad, (kh, kw), ctx.padding) if need_w or need_b else (None, None)
        except Exception as exc:  # noqa: BLE001
            _give_up(exc)
            dx = torch.nn.grad.conv2d_input(x.shape, weight, grad, padding=ctx.padding) if need_x else None
            dw = torch.nn.grad.conv2d_weight(x, weight.shape, grad, padding=ctx.padding) if need_w else None
            db = grad.sum((0, 2, 3)) if need_b else None
        return dx, dw if need_w else None, db if need_b else None, None
