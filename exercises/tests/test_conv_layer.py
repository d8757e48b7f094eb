"""Public tests of exercises/conv_layer.py (d2l-zh 6.2.2-6.2.4 / d2l-en 7.2.2-7.2.4)."""

import pytest
import torch
from torch import nn

from .expect import expect_equal, expect_raises, expect_tensor, expect_true, fail, oracle_conv


@pytest.fixture(scope="module")
def ex(submission):
    return submission("conv_layer")


def edge_example():
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    Y = oracle_conv(X, torch.tensor([[1.0, -1.0]])).float()
    return X, Y


def test_parameters(ex):
    layer = ex.Conv2D((1, 2))
    expect_true(
        isinstance(layer, nn.Module),
        "Conv2D((1, 2)) must be an nn.Module / 应继承 nn.Module",
        f"got / 实际: {type(layer).__mro__}",
    )
    for name, shape in (("weight", (1, 2)), ("bias", (1,))):
        param = getattr(layer, name, None)
        expect_true(
            isinstance(param, nn.Parameter),
            f"Conv2D((1, 2)).{name} must be an nn.Parameter / {name} 应为模型参数 nn.Parameter",
            f"got / 实际: {type(param).__name__}",
        )
        expect_equal(tuple(param.shape), shape, f"shape of Conv2D((1, 2)).{name} / {name} 的形状")
    expect_equal(
        sorted(name for name, _ in layer.named_parameters()),
        ["bias", "weight"],
        "Conv2D's parameters are exactly weight and bias / 模型参数只有 weight 和 bias",
    )


def test_forward_is_corr2d_plus_bias(ex):
    layer = ex.Conv2D((2, 3))
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]))
        layer.bias.fill_(0.25)
    X = torch.arange(20.0).reshape(4, 5) % 7
    expected = oracle_conv(X, layer.weight.detach()) + 0.25
    expect_tensor(layer(X), expected, "Conv2D.forward(x) = corr2d(x, weight) + bias / 前向传播")


def test_gradients_reach_weight_and_bias(ex):
    layer = ex.Conv2D((1, 2))
    X, _ = edge_example()
    layer(X).sum().backward()
    for name in ("weight", "bias"):
        if getattr(layer, name).grad is None:
            fail(
                f"Conv2D.{name}.grad after backward()",
                f"it is None: autograd did not reach {name} / 梯度为 None，自动微分没有传到 {name}",
            )
    expected_weight_grad = torch.stack([X[:, :-1].sum(), X[:, 1:].sum()]).reshape(1, 2)
    expect_tensor(
        layer.weight.grad, expected_weight_grad, "gradient of layer(X).sum() with respect to weight / 对 weight 的梯度"
    )
    expect_tensor(
        layer.bias.grad,
        [42.0],
        "gradient of layer(X).sum() with respect to bias (one per output element: 6 x 7)"
        " / 对 bias 的梯度（输出共 6x7 个元素）",
    )


@pytest.mark.book
def test_learn_kernel_edge_detector(ex):
    X, Y = edge_example()
    torch.manual_seed(0)
    K = ex.learn_kernel(X, Y, (1, 2))
    expect_tensor(
        K,
        [[1.0, -1.0]],
        "learn_kernel(X, Y, (1, 2)) learns the edge detector [[1, -1]]"
        " (6.2.4, lr=3e-2, 10 epochs, tolerance 0.2) / 学习卷积核，应接近 [[1, -1]]",
        atol=0.2,
        rtol=0,
    )


def test_learn_kernel_shape(ex):
    torch.manual_seed(1)
    X = torch.rand(5, 6)
    Y = oracle_conv(X, torch.tensor([[0.5, 0.0, -0.5], [0.25, 0.0, -0.25]])).float()
    K = ex.learn_kernel(X, Y, (2, 3), lr=1e-2, num_epochs=3)
    expect_true(
        isinstance(K, torch.Tensor), "learn_kernel returns a tensor / 应返回张量", f"got / 实际: {type(K).__name__}"
    )
    expect_equal(tuple(K.shape), (2, 3), "shape of learn_kernel(X, Y, (2, 3)) / 返回卷积核的形状")
    expect_true(bool(torch.isfinite(K).all()), "learn_kernel returns finite values / 应为有限值", f"got / 实际: {K}")


@pytest.mark.errors
def test_learn_kernel_rejects_wrong_target_shape(ex):
    X, Y = edge_example()
    expect_raises(
        ValueError,
        lambda: ex.learn_kernel(X, Y[:, :-1], (1, 2)),
        "learn_kernel with Y of shape (6, 6) for a (6, 8) X and a (1, 2) kernel must raise ValueError"
        " / Y 的形状不对时应抛出 ValueError",
    )
