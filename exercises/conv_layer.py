"""Exercise: a convolutional layer and learning a kernel / 练习：卷积层与学习卷积核

d2l-zh 6.2.2 “卷积层”, 6.2.3 “图像中目标的边缘检测”, 6.2.4 “学习卷积核”
· d2l-en 7.2.2-7.2.4 "Convolutional Layers", "Object Edge Detection in Images", "Learning a Kernel"

English
-------
1. ``Conv2D(kernel_size)``: an ``nn.Module`` with two ``nn.Parameter`` attributes:
   ``weight`` of shape ``kernel_size`` (a (k_h, k_w) pair; an int k means (k, k)),
   initialised randomly as in the book, and ``bias`` of shape (1,), initialised
   to zero. ``forward(x)`` returns ``corr2d(x, weight) + bias`` for a 2-D ``x``.
2. ``learn_kernel(X, Y, kernel_size, lr=3e-2, num_epochs=10)``: the book's
   experiment. Create a ``Conv2D(kernel_size)`` and, for ``num_epochs``
   iterations, compute the summed squared error between its output on ``X``
   and the target ``Y``, back-propagate, and update the kernel ``weight`` by
   plain gradient descent with learning rate ``lr``; as in the book, the bias
   is not learned (it stays 0: with a learned bias and the summed error this
   learning rate diverges). Return the learned kernel
   (a tensor of shape ``kernel_size``).

Example from the book: an image whose middle columns are black, and the
kernel ``[[1, -1]]`` that detects vertical edges::

    >>> X = torch.ones((6, 8))
    >>> X[:, 2:6] = 0
    >>> K = torch.tensor([[1.0, -1.0]])
    >>> Y = corr2d(X, K)
    >>> Y
    tensor([[ 0.,  1.,  0.,  0.,  0., -1.,  0.],
            [ 0.,  1.,  0.,  0.,  0., -1.,  0.],
            [ 0.,  1.,  0.,  0.,  0., -1.,  0.],
            [ 0.,  1.,  0.,  0.,  0., -1.,  0.],
            [ 0.,  1.,  0.,  0.,  0., -1.,  0.],
            [ 0.,  1.,  0.,  0.,  0., -1.,  0.]])
    >>> corr2d(X.t(), K)          # the kernel only finds vertical edges
    tensor([[0., 0., 0., 0., 0.], ... (8 rows of zeros)
    >>> Conv2D((1, 2)).weight.shape
    torch.Size([1, 2])
    >>> learn_kernel(X, Y, (1, 2))   # 10 epochs, lr 3e-2
    tensor([[ 1.0..., -0.9...]])      # close to [[1, -1]]

Rules: what the grader requires beyond the book's code. Each is a hidden
check of its own, worth the points shown (a rule on how a result is
computed scores only where the result is right):

* ``int_kernel_size`` (0.5 points): an int ``kernel_size`` k means (k, k), so
  ``Conv2D(3).weight`` has shape (3, 3) (the book passes pairs).
* ``forward_uses_corr2d`` (0.5 points): ``forward`` uses your ``corr2d``
  (imported below); no built-in convolution.
* ``learn_kernel_uses_conv2d`` (0.5 points): ``learn_kernel`` trains your
  ``Conv2D(kernel_size)`` on the 2-D ``X``, not the built-in ``nn.Conv2d``
  the book uses for this experiment; it updates the kernel itself (no
  optimizer needed).
* ``rejects_non_2d`` (0.5 points): ``learn_kernel`` raises ``ValueError`` when
  ``X`` or ``Y`` is not 2-D.
* ``rejects_wrong_target_shape`` (0.5 points): ``learn_kernel`` raises
  ``ValueError`` when ``Y`` does not have the shape of the layer's output on
  ``X``.

中文
----
1. ``Conv2D(kernel_size)``：继承 ``nn.Module`` 的卷积层，含两个模型参数
   （``nn.Parameter``）：形状为 ``kernel_size`` 的卷积核权重 ``weight``
   （(k_h, k_w)；整数 k 表示 (k, k)），按教材随机初始化；形状为 (1,) 的标量偏置
   ``bias``，初始化为 0。前向传播 ``forward(x)`` 返回 ``corr2d(x, weight) + bias``。
2. ``learn_kernel(X, Y, kernel_size, lr=3e-2, num_epochs=10)``：教材 6.2.4 节的
   实验。构造 ``Conv2D(kernel_size)``，迭代 ``num_epochs`` 次：计算输出与目标
   ``Y`` 的平方误差之和，反向传播，再以学习率 ``lr`` 用梯度下降更新卷积核 ``weight``；
   与教材相同，偏置不参与学习（保持为 0：若同时学习偏置，这个学习率下平方误差之和会发散）。
   返回学到的卷积核（形状为 ``kernel_size`` 的张量）。

上例（6.2.3 节“图像中目标的边缘检测”）：中间四列为黑色的 6×8 图像，卷积核
``[[1, -1]]`` 检测垂直边缘；``learn_kernel`` 应学到接近 ``[[1, -1]]`` 的卷积核。

规则：评分程序在教材代码之外的要求。每条规则都是单独的隐藏检查，括号内为
分值（关于计算方式的规则只在结果正确时计分）：

* ``int_kernel_size``（0.5 分）：整数 ``kernel_size`` k 表示 (k, k)，即
  ``Conv2D(3).weight`` 的形状为 (3, 3)（教材传入的是二元组）。
* ``forward_uses_corr2d``（0.5 分）：``forward`` 使用自己实现的 ``corr2d``，
  不得使用内置卷积。
* ``learn_kernel_uses_conv2d``（0.5 分）：``learn_kernel`` 在二维的 ``X`` 上训练
  自己的 ``Conv2D(kernel_size)``，而不是教材在此实验中使用的内置 ``nn.Conv2d``；
  自己更新卷积核（不需要优化器）。
* ``rejects_non_2d``（0.5 分）：``X`` 或 ``Y`` 不是二维张量时，``learn_kernel``
  抛出 ``ValueError``。
* ``rejects_wrong_target_shape``（0.5 分）：``Y`` 的形状与该层在 ``X`` 上的输出
  形状不一致时，``learn_kernel`` 抛出 ``ValueError``。

Test / 测试: ``pytest exercises/tests/test_conv_layer.py``
"""

import torch
from torch import nn

from .corr2d import corr2d


class Conv2D(nn.Module):
    """Two-dimensional convolutional layer with a ``weight`` kernel and a scalar ``bias`` / 二维卷积层."""

    def __init__(self, kernel_size):
        super().__init__()
        raise NotImplementedError("Conv2D is not implemented yet: open exercises/conv_layer.py")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError("Conv2D is not implemented yet: open exercises/conv_layer.py")


def learn_kernel(X: torch.Tensor, Y: torch.Tensor, kernel_size, lr: float = 3e-2, num_epochs: int = 10) -> torch.Tensor:
    """Learn the kernel that maps X to Y by gradient descent / 通过梯度下降学习由 X 生成 Y 的卷积核."""
    raise NotImplementedError("learn_kernel is not implemented yet: open exercises/conv_layer.py")
