"""``cnnkit.lean_kernels`` against PyTorch's own operator: the same numbers (bit for bit) and
gradients, and PyTorch's operator wherever the rule does not apply. Run on the CPU
(``device_types=("cpu",)``); the GPU tests in test_training.py train through it on CUDA."""
from __future__ import annotations

import contextlib

import pytest
import torch
from hypothesis import given, settings, strategies as st
from torch import nn

from cnnkit.lean_kernels import LeanKernels


def pooled_and_grad(layer: nn.Module, x: torch.Tensor, lean: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The layer's output and the input gradient of a fixed random projection of it."""
    x = x.detach().requires_grad_()
    with LeanKernels(("cpu",)) if lean else contextlib.nullcontext():
        out = layer(x)
    out.backward(torch.randn(out.shape, generator=torch.Generator().manual_seed(1)))
    return out, x.grad


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), kh=st.integers(1, 3), kw=st.integers(1, 3),
       rows=st.integers(1, 4), cols=st.integers(1, 4), stride_given=st.booleans())
def test_tiling_average_pooling_matches_avg_pool2d(n, c, kh, kw, rows, cols, stride_given):
    layer = nn.AvgPool2d((kh, kw), (kh, kw) if stride_given else None)
    x = torch.randn(n, c, rows * kh, cols * kw, generator=torch.Generator().manual_seed(0))
    out, grad = pooled_and_grad(layer, x, lean=True)
    assert type(out.grad_fn).__name__ == "_TiledAvgPoolBackward", "PyTorch's operator ran"
    expected, expected_grad = pooled_and_grad(layer, x, lean=False)
    assert torch.equal(out, expected) and torch.equal(grad, expected_grad)


@pytest.mark.parametrize("layer, shape", [
    (nn.AvgPool2d(3, stride=1), (2, 2, 6, 6)),          # overlapping windows
    (nn.AvgPool2d(2, padding=1), (2, 2, 6, 6)),
    (nn.AvgPool2d(2), (2, 2, 5, 5)),                    # windows do not tile the input
    (nn.AvgPool2d(2, divisor_override=3), (2, 2, 6, 6)),
])
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
    with LeanKernels(("cpu",)):
        convolved = nn.Conv2d(1, 2, 3)(x)
    assert type(pooled.grad_fn).__name__ == "AvgPool2DBackward0"
    assert type(convolved.grad_fn).__name__ == "ConvolutionBackward0"
