"""``fastloop.lean_kernels`` against PyTorch's own operators: the same numbers and gradients (bit for
bit for pooling; within TF32's rounding on a GPU for the Triton convolutions), a fallback with a
warning when a kernel fails, and PyTorch's operator wherever a rule does not apply. Without a GPU
the tests run on the CPU (``device_types=("cpu",)``), where Triton interprets its kernels; the GPU
tests in test_train_step.py train through the mode on CUDA."""

from __future__ import annotations

import contextlib
import os

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from fastloop import lean_kernels
from fastloop.lean_kernels import LeanKernels

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
if DEVICE == "cpu":
    # Triton reads this when fastloop.conv_kernels is first imported (at the first convolution).
    os.environ.setdefault("TRITON_INTERPRET", "1")
#: Largest error relative to the largest value: TF32 keeps 10 mantissa bits on the GPU; Triton's
#: interpreter multiplies in float32.
CONV_TOLERANCE = 4e-3 if DEVICE == "cuda" else 1e-5


def output_and_grads(
    fn, inputs: list[torch.Tensor], lean: bool, device: str = DEVICE
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """``fn(*inputs)`` on ``device`` (in ``LeanKernels`` or not), and the inputs' gradients of a
    fixed random projection of it."""
    inputs = [t.detach().to(device).requires_grad_() for t in inputs]
    with LeanKernels((device,)) if lean else contextlib.nullcontext():
        out = fn(*inputs)
    projection = torch.randn(out.shape, generator=torch.Generator().manual_seed(1)).to(device)
    return out, list(torch.autograd.grad(out, inputs, projection))


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 3),
    c=st.integers(1, 3),
    kh=st.integers(1, 3),
    kw=st.integers(1, 3),
    rows=st.integers(1, 4),
    cols=st.integers(1, 4),
    stride_given=st.booleans(),
)
def test_tiling_average_pooling_matches_avg_pool2d(n, c, kh, kw, rows, cols, stride_given):
    layer = nn.AvgPool2d((kh, kw), (kh, kw) if stride_given else None)
    x = torch.randn(n, c, rows * kh, cols * kw, generator=torch.Generator().manual_seed(0))
    out, (grad,) = output_and_grads(layer, [x], lean=True, device="cpu")
    assert type(out.grad_fn).__name__ == "_TiledAvgPoolBackward", "PyTorch's operator ran"
    expected, (expected_grad,) = output_and_grads(layer, [x], lean=False, device="cpu")
    assert torch.equal(out, expected) and torch.equal(grad, expected_grad)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (nn.AvgPool2d(3, stride=1), (2, 2, 6, 6)),  # overlapping windows
        (nn.AvgPool2d(2, padding=1), (2, 2, 6, 6)),
        (nn.AvgPool2d(2), (2, 2, 5, 5)),  # windows do not tile the input
        (nn.AvgPool2d(2, divisor_override=3), (2, 2, 6, 6)),
    ],
)
def test_other_poolings_run_pytorchs_operator(layer, shape):
    x = torch.randn(shape)
    with LeanKernels(("cpu",)):
        out = layer(x.requires_grad_())
    assert type(out.grad_fn).__name__ == "AvgPool2DBackward0"
    torch.testing.assert_close(out, layer(x))


def test_other_devices_and_operators_are_left_alone():
    x = torch.randn(1, 1, 6, 6, requires_grad=True)
    with LeanKernels():  # CUDA only, by default
        pooled = nn.AvgPool2d(2)(x)
        convolved = nn.Conv2d(1, 2, 3)(x)
    with LeanKernels(("cpu",)):
        max_pooled = nn.MaxPool2d(2)(x)
    assert type(pooled.grad_fn).__name__ == "AvgPool2DBackward0"
    assert type(convolved.grad_fn).__name__ == "ConvolutionBackward0"
    assert type(max_pooled.grad_fn).__name__ == "MaxPool2DWithIndicesBackward0"


# -- convolutions ---------------------------------------------------------------------------------
def convolved_and_grads(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, lean: bool, **kwargs
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """``F.conv2d``'s output and the gradients of its inputs (bias included, if any)."""
    inputs = [t for t in (x, weight, bias) if t is not None]
    return output_and_grads(lambda *tensors: F.conv2d(*tensors, **kwargs), inputs, lean)


def assert_matches_conv2d(x, weight, bias, padding) -> None:
    out, grads = convolved_and_grads(x, weight, bias, lean=True, padding=padding)
    assert type(out.grad_fn).__name__ == "TritonConv2dBackward", "PyTorch's operator ran"
    with torch.backends.cudnn.flags(allow_tf32=False):
        expected, expected_grads = convolved_and_grads(x, weight, bias, lean=False, padding=padding)
    for name, got, want in zip(
        ("output", "input grad", "weight grad", "bias grad"), [out, *grads], [expected, *expected_grads]
    ):
        assert got.shape == want.shape, name
        error = (got - want).abs().max().item()
        assert error <= CONV_TOLERANCE * max(1.0, want.abs().max().item()), f"{name}: error {error}"


@pytest.fixture(scope="module")
def triton_kernels():
    """fastloop.conv_kernels (skips where Triton is missing)."""
    pytest.importorskip("triton")
    kernels = lean_kernels._conv_kernels()
    assert kernels is not None and kernels.usable
    return kernels


# Each new kernel size costs Triton a compilation of about a second on a GPU: fewer examples there.
@settings(max_examples=25 if DEVICE == "cpu" else 6, deadline=None)
@given(
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    o=st.integers(1, 3),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    extra_h=st.integers(0, 3),
    extra_w=st.integers(0, 3),
    data=st.data(),
    with_bias=st.booleans(),
)
def test_small_convolutions_match_conv2d(triton_kernels, n, c, o, kh, kw, extra_h, extra_w, data, with_bias):
    padding = (data.draw(st.integers(0, kh - 1), label="ph"), data.draw(st.integers(0, kw - 1), label="pw"))
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, kh + extra_h, kw + extra_w, generator=generator)
    weight = torch.randn(o, c, kh, kw, generator=generator)
    bias = torch.randn(o, generator=generator) if with_bias else None
    assert_matches_conv2d(x, weight, bias, padding)


@pytest.mark.parametrize(
    "x_shape, weight_shape, padding",
    [
        ((3, 1, 28, 28), (6, 1, 5, 5), (2, 2)),  # LeNet's first convolution
        ((3, 6, 14, 14), (16, 6, 5, 5), (0, 0)),  # and its second
    ],
)
def test_lenets_convolutions_match_conv2d(triton_kernels, x_shape, weight_shape, padding):
    generator = torch.Generator().manual_seed(0)
    x, weight = torch.rand(x_shape, generator=generator), torch.randn(weight_shape, generator=generator) / 5
    assert_matches_conv2d(x, weight, torch.randn(weight_shape[0], generator=generator), padding)


def test_strided_views_are_read_through_their_strides(triton_kernels):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 6, 3, generator=generator).permute(0, 3, 1, 2)[:, :, ::1, 1:]  # (2, 3, 5, 5)
    weight = torch.randn(4, 3, 3, 2, generator=generator).transpose(2, 3)  # (4, 3, 2, 3)
    bias = torch.randn(8, generator=generator)[::2]
    assert not (x.is_contiguous() or weight.is_contiguous() or bias.is_contiguous())
    assert_matches_conv2d(x, weight, bias, (1, 2))


@pytest.mark.parametrize("failing", ["conv", "weight_and_bias_grad"])
def test_a_failing_kernel_falls_back_to_pytorch_with_a_warning(triton_kernels, monkeypatch, failing):
    def broken(*args, **kwargs):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(triton_kernels, failing, broken)
    monkeypatch.setattr(triton_kernels, "usable", True)
    generator = torch.Generator().manual_seed(0)
    x, weight, bias = (
        torch.randn(2, 2, 6, 6, generator=generator),
        torch.randn(3, 2, 3, 3, generator=generator),
        torch.randn(3, generator=generator),
    )
    with pytest.warns(RuntimeWarning, match="Triton convolution failed .*no compiler here"):
        out, grads = convolved_and_grads(x, weight, bias, lean=True, padding=1)
    expected, expected_grads = convolved_and_grads(x, weight, bias, lean=False, padding=1)
    for got, want in zip([out, *grads], [expected, *expected_grads]):
        torch.testing.assert_close(got, want, atol=CONV_TOLERANCE, rtol=CONV_TOLERANCE)
    assert not triton_kernels.usable
    again, _ = convolved_and_grads(x, weight, bias, lean=True, padding=1)
    assert type(again.grad_fn).__name__ == "ConvolutionBackward0"


@pytest.mark.parametrize(
    "kwargs, dtype",
    [
        ({"stride": 2}, torch.float32),
        ({"dilation": 2}, torch.float32),
        ({"padding": "same"}, torch.float32),
        ({"padding": 3}, torch.float32),  # padding as large as the kernel
        ({"padding": 1}, torch.float64),
    ],
)
def test_other_convolutions_run_pytorchs_operator(kwargs, dtype):
    x = torch.randn(1, 2, 7, 7, dtype=dtype, device=DEVICE, requires_grad=True)
    weight = torch.randn(2, 2, 3, 3, dtype=dtype, device=DEVICE)
    with LeanKernels((DEVICE,)):
        out = F.conv2d(x, weight, **kwargs)
        grouped = F.conv2d(x, weight[:, :1], groups=2)
    assert type(out.grad_fn).__name__ == "ConvolutionBackward0"
    assert type(grouped.grad_fn).__name__ == "ConvolutionBackward0"
    torch.testing.assert_close(out, F.conv2d(x, weight, **kwargs))
