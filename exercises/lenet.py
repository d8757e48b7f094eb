"""Exercise: LeNet / 练习：卷积神经网络（LeNet）

d2l-zh 6.6.1 “LeNet” · d2l-en 7.6.1 "LeNet"

English
-------
1. ``lenet()``: return the book's LeNet-5 as an ``nn.Sequential``: two
   convolutional blocks (a 5x5 convolution with a sigmoid activation, then 2x2
   average pooling with stride 2; 6 and 16 output channels, the first
   convolution padded by 2), a ``Flatten``, and three fully connected layers
   with 120, 84 and 10 outputs (sigmoid between them). It takes 1x28x28
   Fashion-MNIST images and has 61,706 parameters.
2. ``shape_trace(net, input_shape)``: feed a random tensor of shape
   ``input_shape`` through the top-level layers of ANY ``nn.Sequential`` one
   at a time and return a list with one ``(layer class name, output shape
   tuple)`` pair per layer. It only runs forward passes: no training, and
   the network is left as it came (its parameters, their dtype and
   ``requires_grad``, and its training mode).

Example from the book (it prints ``Conv2d output shape:  torch.Size([1, 6, 28, 28])``
and so on)::

    >>> for name, shape in shape_trace(lenet(), (1, 1, 28, 28)):
    ...     print(name, shape)
    Conv2d (1, 6, 28, 28)
    Sigmoid (1, 6, 28, 28)
    AvgPool2d (1, 6, 14, 14)
    Conv2d (1, 16, 10, 10)
    Sigmoid (1, 16, 10, 10)
    AvgPool2d (1, 16, 5, 5)
    Flatten (1, 400)
    Linear (1, 120)
    Sigmoid (1, 120)
    Linear (1, 84)
    Sigmoid (1, 84)
    Linear (1, 10)

Rules: what the grader requires beyond the book's code. Each is a hidden
check of its own, worth the points shown (a rule on how a result is
computed scores only where the result is right):

* ``leaves_network_unchanged`` (0.5 points): ``shape_trace`` leaves the
  network as it came: its parameters, their dtype and ``requires_grad``, and
  its training mode (the book's loop does).

Here PyTorch's layers (``nn.Conv2d``, ``nn.AvgPool2d``, ...) are what you
should use; keep the book's layer order, sigmoid activations and average
pooling (no ReLU, no max pooling).

中文
----
1. ``lenet()``：返回教材中的 LeNet-5（``nn.Sequential``）：两个卷积块（5×5
   卷积层加 sigmoid 激活函数，再接步幅为 2 的 2×2 平均汇聚层；输出通道数分别为
   6 和 16，第一个卷积层填充 2），一个 ``Flatten``，以及输出分别为 120、84、10 的
   三个全连接层（中间用 sigmoid）。输入为 1×28×28 的 Fashion-MNIST 图像，
   共 61,706 个参数。
2. ``shape_trace(net, input_shape)``：把形状为 ``input_shape`` 的随机张量依次
   通过任意 ``nn.Sequential`` 的每个顶层层，返回列表，每层一项
   ``(层的类名, 输出形状元组)``。只做前向传播：不训练，网络保持原样（参数及其
   数据类型和 ``requires_grad``、训练模式都不变）。

上例即教材 6.6.1 节打印的每层输出形状。

规则：评分程序在教材代码之外的要求。每条规则都是单独的隐藏检查，括号内为
分值（关于计算方式的规则只在结果正确时计分）：

* ``leaves_network_unchanged``（0.5 分）：``shape_trace`` 不改变传入的网络：参数及其
  数据类型和 ``requires_grad``、训练模式都保持不变（教材的循环即如此）。

这里应当使用 PyTorch 自带的层；保持教材的层顺序、sigmoid 激活函数和平均汇聚层
（不要换成 ReLU 或最大汇聚层）。

Test / 测试: ``pytest exercises/tests/test_lenet.py``
"""

import torch
from torch import nn


def lenet() -> nn.Sequential:
    """The book's LeNet-5 for 1x28x28 images / 教材中的 LeNet-5."""
    raise NotImplementedError("lenet is not implemented yet: open exercises/lenet.py")


def shape_trace(net: nn.Sequential, input_shape) -> list[tuple[str, tuple[int, ...]]]:
    """(layer class name, output shape) for every top-level layer / 每个顶层层的类名和输出形状."""
    raise NotImplementedError("shape_trace is not implemented yet: open exercises/lenet.py")
