"""Hypothesis strategies for the checks: small integer-valued tensors that shrink to readable cases.

Values are whole numbers (stored as float32 or float64) so every oracle is exact and a shrunk
counterexample reads like the book's examples.
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch.nn import functional as F

dtypes = st.sampled_from([np.float32, np.float64])


@st.composite
def tensors(draw, shape: tuple[int, ...], dtype=None, low: int = -9, high: int = 9) -> torch.Tensor:
    """A tensor of ``shape`` with whole-number entries in [low, high]."""
    dtype = dtype or draw(dtypes)
    array = draw(arrays(dtype, shape, elements=st.integers(low, high).map(float)))
    return torch.from_numpy(array.copy())


@st.composite
def input_and_kernel(draw, max_side: int = 9, max_kernel: int = 5):
    """(X, K) with 1 <= k <= n per dimension: non-square, 1xN, Nx1 and kernel == input all occur."""
    n_h, n_w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    k_h, k_w = draw(st.integers(1, min(n_h, max_kernel))), draw(st.integers(1, min(n_w, max_kernel)))
    dtype = draw(dtypes)
    return draw(tensors((n_h, n_w), dtype)), draw(tensors((k_h, k_w), dtype))


def as_4d(X: torch.Tensor) -> torch.Tensor:
    """(h, w) -> (1, 1, h, w) for the built-in operators used as oracles."""
    return X.reshape(1, 1, *X.shape)


# -- padding, stride, channels, pooling and the theory exercises ------------------------------


@st.composite
def sparse_tensors(draw, shape: tuple[int, ...], dtype=None, low: int = -9, high: int = 9) -> torch.Tensor:
    """Like :func:`tensors`, drawn the way hypothesis draws numpy arrays with a fill value: a
    whole-number background plus a few whole numbers placed at random (every entry of a small
    tensor). Far fewer choices than one per entry, so shrinking a failing case with hundreds of
    entries takes seconds rather than minutes."""
    dtype = dtype or draw(dtypes)
    values = st.sampled_from([float(v) for v in sorted(range(low, high + 1), key=lambda v: (abs(v), v < 0))])
    array = draw(arrays(dtype, shape, elements=values, fill=values))
    return torch.from_numpy(array.copy())


def as_pair(value) -> tuple[int, int]:
    """An int or an (h, w) pair as a pair (for the oracles; the submission gets the original)."""
    return (value, value) if isinstance(value, int) else tuple(value)


def conv2d_output_shape(
    in_channels: int, input_size, out_channels: int, kernel_size, padding=0, stride=1
) -> torch.Size:
    """The (1, c_o, h, w) that ``F.conv2d`` really produces for one image: the built-in is the oracle,
    run on zeros (the drawn sizes are small; the meta device would import sympy mid-grading)."""
    X = torch.zeros(1, in_channels, *as_pair(input_size))
    K = torch.zeros(out_channels, in_channels, *as_pair(kernel_size))
    return F.conv2d(X, K, padding=as_pair(padding), stride=as_pair(stride)).shape


@st.composite
def int_or_pair(draw, low: int, high: int):
    """An int in [low, high] or an (h, w) pair of them; pairs are often non-square."""
    if draw(st.booleans()):
        return draw(st.integers(low, high))
    return draw(st.integers(low, high)), draw(st.integers(low, high))


@st.composite
def conv_shape_arguments(draw, max_side: int = 9, max_kernel: int = 5, max_padding: int = 3, max_stride: int = 4):
    """(input_size, kernel_size, padding, stride), each independently an int or an (h, w) pair,
    such that the kernel fits the padded input (it may be larger than the unpadded input)."""
    input_size = draw(int_or_pair(1, max_side))
    padding = draw(int_or_pair(0, max_padding))
    stride = draw(int_or_pair(1, max_stride))
    (n_h, n_w), (p_h, p_w) = as_pair(input_size), as_pair(padding)
    limit_h, limit_w = min(max_kernel, n_h + 2 * p_h), min(max_kernel, n_w + 2 * p_w)
    if draw(st.booleans()):
        kernel_size = draw(st.integers(1, min(limit_h, limit_w)))
    else:
        kernel_size = draw(st.integers(1, limit_h)), draw(st.integers(1, limit_w))
    return input_size, kernel_size, padding, stride


@st.composite
def padded_input_and_kernel(draw, max_side: int = 9, max_kernel: int = 5):
    """(X, K, padding, stride): a 2-D X and K with padding and stride each an int or a pair;
    the kernel fits the padded input, and may be larger than X itself."""
    n_h, n_w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    padding = draw(int_or_pair(0, 3))
    stride = draw(int_or_pair(1, 4))
    p_h, p_w = as_pair(padding)
    k_h = draw(st.integers(1, min(max_kernel, n_h + 2 * p_h)))
    k_w = draw(st.integers(1, min(max_kernel, n_w + 2 * p_w)))
    dtype = draw(dtypes)
    return draw(sparse_tensors((n_h, n_w), dtype)), draw(sparse_tensors((k_h, k_w), dtype)), padding, stride


@st.composite
def pool_input_and_window(draw, max_side: int = 9, max_window: int = 5):
    """(X, pool_size): X 2-D, the window an (h, w) pair as the contract says (the book unpacks it),
    window == input occurs."""
    n_h, n_w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    p_h, p_w = draw(st.integers(1, min(n_h, max_window))), draw(st.integers(1, min(n_w, max_window)))
    return draw(sparse_tensors((n_h, n_w))), (p_h, p_w)


@st.composite
def kernel_pair_and_input(draw, max_kernel: int = 3, max_extra: int = 2):
    """(X, K1, K2): two non-square kernels and an X large enough for both in a row (float64),
    at most ``max_extra`` rows/columns larger than the composed kernel."""
    a_h, a_w, b_h, b_w = (draw(st.integers(1, max_kernel)) for _ in range(4))
    n_h = draw(st.integers(a_h + b_h - 1, a_h + b_h - 1 + max_extra))
    n_w = draw(st.integers(a_w + b_w - 1, a_w + b_w - 1 + max_extra))
    return (
        draw(sparse_tensors((n_h, n_w), np.float64)),
        draw(sparse_tensors((a_h, a_w), np.float64)),
        draw(sparse_tensors((b_h, b_w), np.float64)),
    )


@st.composite
def channels_case(draw, max_channels: int = 4, max_side: int = 7, max_kernel: int = 3, one_by_one: bool = False):
    """(X, K) with X (c_i, h, w) and K (c_o, c_i, k_h, k_w), as sparse tensors that shrink well."""
    c_i, c_o = draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    k_h, k_w = (
        (1, 1) if one_by_one else (draw(st.integers(1, min(h, max_kernel))), draw(st.integers(1, min(w, max_kernel))))
    )
    dtype = draw(dtypes)
    return draw(sparse_tensors((c_i, h, w), dtype)), draw(sparse_tensors((c_o, c_i, k_h, k_w), dtype))


@st.composite
def conv_layer_sizes(draw, max_channels: int = 16, max_side: int = 32, max_kernel: int = 7):
    """(c_i, h, w, c_o, k_h, k_w, padding, stride): ints, except padding and stride, each an int or
    an (h, w) pair (often non-square, as ``conv_output_shape`` takes them); the kernel fits the
    padded input."""
    c_i, c_o = draw(st.integers(1, max_channels)), draw(st.integers(1, max_channels))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    padding, stride = draw(int_or_pair(0, 3)), draw(int_or_pair(1, 4))
    (p_h, p_w) = as_pair(padding)
    k_h = draw(st.integers(1, min(max_kernel, h + 2 * p_h)))
    k_w = draw(st.integers(1, min(max_kernel, w + 2 * p_w)))
    return c_i, h, w, c_o, k_h, k_w, padding, stride


# -- conv_layer ------------------------------------------------------------------------------------
@st.composite
def conv_layer_case(draw, max_side: int = 8, max_kernel: int = 4):
    """(kernel_size, X, W, b, G) for ``Conv2D``: float32 whole numbers, G the upstream gradient."""
    n_h, n_w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    k_h, k_w = draw(st.integers(1, min(n_h, max_kernel))), draw(st.integers(1, min(n_w, max_kernel)))
    X = draw(tensors((n_h, n_w), np.float32))
    W = draw(tensors((k_h, k_w), np.float32, -4, 4))
    b = draw(tensors((1,), np.float32).filter(lambda t: t.item() != 0))
    G = draw(tensors((n_h - k_h + 1, n_w - k_w + 1), np.float32, -3, 3))
    return (k_h, k_w), X, W, b, G


# -- lenet: random shape-consistent networks for shape_trace ----------------------------------------
# A network is a netspec (``autograder/worker/netspec.py``): a list of ``[class name, kwargs]``, with
# ``["Sequential", {"layers": [...]}]`` nesting and ``["Reuse", {"index": i}]`` placing an earlier
# activation object a second time. The strategy follows the shape through every layer
# so each drawn network runs on its drawn input; the parent computes the expected trace by building
# and running it.
ACTIVATIONS = ("ReLU", "Sigmoid", "Tanh")


def _pair(draw, low: int, high: int):
    """An int or an (h, w) pair, and the (h, w) it means."""
    h, w = draw(st.integers(low, high)), draw(st.integers(low, high))
    if h == w and draw(st.booleans()):
        return h, (h, w)
    return (h, w), (h, w)


def _out(size: int, kernel: int, padding: int, stride: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


@st.composite
def _layer(draw, shape: tuple[int, ...], depth: int):
    """One layer (or a nested Sequential) that accepts ``shape``; returns (spec entry, new shape)."""
    image = len(shape) == 4
    kinds = ["activation", "Dropout"]
    if image:
        n, c, h, w = shape
        kinds += ["Conv2d", "pool", "BatchNorm2d", "Flatten"]
    else:
        kinds += ["Linear"]
    if depth < 2:
        kinds.append("Sequential")
    kind = draw(st.sampled_from(kinds))
    if kind == "activation":
        return [draw(st.sampled_from(ACTIVATIONS)), {}], shape
    if kind == "Dropout":
        return ["Dropout", {"p": 0.5}], shape
    if kind == "Flatten":
        return ["Flatten", {}], (n, c * h * w)
    if kind == "BatchNorm2d":
        return ["BatchNorm2d", {"num_features": c}], shape
    if kind == "Linear":
        out = draw(st.integers(1, 8))
        return ["Linear", {"in_features": shape[1], "out_features": out}], (shape[0], out)
    if kind == "Conv2d":
        out = draw(st.integers(1, 4))
        padding, (p_h, p_w) = _pair(draw, 0, 2)
        k_h, k_w = draw(st.integers(1, min(3, h + 2 * p_h))), draw(st.integers(1, min(3, w + 2 * p_w)))
        stride, (s_h, s_w) = _pair(draw, 1, 2)
        kernel = k_h if k_h == k_w and draw(st.booleans()) else (k_h, k_w)
        return (
            [
                "Conv2d",
                {"in_channels": c, "out_channels": out, "kernel_size": kernel, "padding": padding, "stride": stride},
            ],
            (n, out, _out(h, k_h, p_h, s_h), _out(w, k_w, p_w, s_w)),
        )
    if kind == "pool":
        name = draw(st.sampled_from(["MaxPool2d", "AvgPool2d"]))
        k_h, k_w = draw(st.integers(1, min(3, h))), draw(st.integers(1, min(3, w)))
        kernel = k_h if k_h == k_w else (k_h, k_w)
        if draw(st.booleans()):  # PyTorch's default stride is the kernel size
            return [name, {"kernel_size": kernel}], (n, c, _out(h, k_h, 0, k_h), _out(w, k_w, 0, k_w))
        stride, (s_h, s_w) = _pair(draw, 1, 2)
        return [name, {"kernel_size": kernel, "stride": stride}], (n, c, _out(h, k_h, 0, s_h), _out(w, k_w, 0, s_w))
    inner, shape = draw(_layers(shape, depth + 1, 1, 3))
    return ["Sequential", {"layers": inner}], shape


@st.composite
def _layers(draw, shape: tuple[int, ...], depth: int, low: int, high: int):
    """Entries for one Sequential; once it holds an activation, an entry may reuse that very object
    (shape-preserving, so the shape is unchanged)."""
    spec: list = []
    for _ in range(draw(st.integers(low, high))):
        activations = [i for i, (name, _) in enumerate(spec) if name in ACTIVATIONS]
        if activations and draw(st.integers(0, 3)) == 0:
            spec.append(["Reuse", {"index": draw(st.sampled_from(activations))}])
            continue
        entry, shape = draw(_layer(shape, depth))
        spec.append(entry)
    return spec, shape


@st.composite
def network_and_input(draw, max_layers: int = 7):
    """(spec, input_shape): a random Sequential of 1..max_layers top-level entries (Conv2d with
    padding and stride, activations, max/avg pooling, BatchNorm2d, Dropout, Flatten, Linear,
    nested Sequentials, an earlier activation object reused) and a batch of N >= 2 images, usually
    not square."""
    input_shape = (draw(st.integers(2, 4)), draw(st.integers(1, 3)), draw(st.integers(3, 12)), draw(st.integers(3, 12)))
    spec, _ = draw(_layers(input_shape, 0, 1, max_layers))
    return spec, input_shape
