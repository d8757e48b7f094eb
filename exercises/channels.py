"""Exercise: multiple input and multiple output channels / 练习：多输入多输出通道

d2l-zh 6.4 “多输入多输出通道” (6.4.1-6.4.3, 1×1 卷积层)
· d2l-en 7.4 "Multiple Input and Multiple Output Channels"

English
-------
1. ``corr2d_multi_in(X, K)``: ``X`` has shape (c_i, h, w) and ``K`` has shape
   (c_i, k_h, k_w). Cross-correlate each input channel with its own 2-D kernel
   and add the c_i results: the output has shape (h - k_h + 1, w - k_w + 1).
2. ``corr2d_multi_in_out(X, K)``: ``K`` has shape (c_o, c_i, k_h, k_w); one
   multi-input cross-correlation per output channel, stacked along dimension 0:
   the output has shape (c_o, h - k_h + 1, w - k_w + 1).
3. ``corr2d_multi_in_out_1x1(X, K)``: the same for a 1x1 kernel
   (c_o, c_i, 1, 1), output (c_o, h, w), computed as ONE matrix
   multiplication (a fully connected layer applied at every pixel).

Examples from the book::

    >>> X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
    ...                   [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
    >>> K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    >>> corr2d_multi_in(X, K)
    tensor([[ 56.,  72.],
            [104., 120.]])
    >>> K = torch.stack((K, K + 1, K + 2), 0)      # K.shape: (3, 2, 2, 2)
    >>> corr2d_multi_in_out(X, K)
    tensor([[[ 56.,  72.],
             [104., 120.]],
    <BLANKLINE>
            [[ 76., 100.],
             [148., 172.]],
    <BLANKLINE>
            [[ 96., 128.],
             [192., 224.]]])
    >>> X = torch.normal(0, 1, (3, 3, 3))
    >>> K = torch.normal(0, 1, (2, 3, 1, 1))
    >>> Y1 = corr2d_multi_in_out_1x1(X, K)
    >>> Y2 = corr2d_multi_in_out(X, K)
    >>> float(torch.abs(Y1 - Y2).sum()) < 1e-6
    True

Rules: what the grader requires beyond the book's code. Each is a hidden
check of its own, worth the points shown (a rule on how a result is
computed scores only where the result is right):

* ``one_by_one_matmul`` (1 point): ``corr2d_multi_in_out_1x1`` performs
  exactly one matrix multiplication (``torch.matmul`` / ``@`` / ``torch.mm``),
  as the book does.
* ``one_by_one_speed`` (1 point): the 1x1 convolution takes at most 5 times
  the reference's one matrix product (8 -> 8 channels, 256x256): no per-pixel
  Python loop.
* ``rejects_x_not_3d`` (0.25 points): all three raise ``ValueError`` when
  ``X`` is not 3-D.
* ``rejects_k_wrong_dimensions`` (0.25 points): ``ValueError`` when ``K`` does
  not have the number of dimensions above.
* ``rejects_channel_mismatch`` (0.25 points): ``ValueError`` when ``K``'s c_i
  differs from ``X``'s (``zip`` would silently drop the extra channels).
* ``rejects_kernel_not_1x1`` (0.25 points): the 1x1 version raises
  ``ValueError`` when the kernel is not 1x1.
* ``no_builtin`` (1 point): no built-in convolution or pooling (``F.conv2d``,
  ``nn.Conv2d``, ...): build on your ``corr2d`` (imported below).
* ``speed`` (1 point): ``corr2d_multi_in_out`` takes at most 20 times the
  reference's time (2 -> 3 channels, 20x20, 7x7 kernel).

中文
----
1. ``corr2d_multi_in(X, K)``：多输入通道的互相关运算。``X`` 形状为 (c_i, h, w)，
   ``K`` 形状为 (c_i, k_h, k_w)；对每个输入通道用对应的二维卷积核做互相关运算，
   再把 c_i 个结果相加，输出形状为 (h - k_h + 1, w - k_w + 1)。
2. ``corr2d_multi_in_out(X, K)``：多输出通道。``K`` 形状为 (c_o, c_i, k_h, k_w)；
   对每个输出通道做一次多输入通道互相关运算，沿第 0 维堆叠，输出形状为
   (c_o, h - k_h + 1, w - k_w + 1)。
3. ``corr2d_multi_in_out_1x1(X, K)``：1×1 卷积层，``K`` 形状为 (c_o, c_i, 1, 1)，
   输出形状为 (c_o, h, w)，用一次矩阵乘法实现（相当于在每个像素位置上的全连接层）。

上例来自教材 6.4 节。

规则：评分程序在教材代码之外的要求。每条规则都是单独的隐藏检查，括号内为
分值（关于计算方式的规则只在结果正确时计分）：

* ``one_by_one_matmul``（1 分）：``corr2d_multi_in_out_1x1`` 与教材一样只做一次
  矩阵乘法（``torch.matmul`` / ``@`` / ``torch.mm``）。
* ``one_by_one_speed``（1 分）：1×1 卷积不慢于参考实现的一次矩阵乘法的 5 倍
  （8 -> 8 通道、256x256）：不能逐像素循环。
* ``rejects_x_not_3d``（0.25 分）：``X`` 不是三维张量时三个函数都抛出 ``ValueError``。
* ``rejects_k_wrong_dimensions``（0.25 分）：``K`` 的维数不对时抛出 ``ValueError``。
* ``rejects_channel_mismatch``（0.25 分）：``K`` 的输入通道数与 ``X`` 不同时抛出
  ``ValueError``（``zip`` 会悄悄丢掉多余的通道）。
* ``rejects_kernel_not_1x1``（0.25 分）：1×1 版本的卷积核不是 1×1 时抛出
  ``ValueError``。
* ``no_builtin``（1 分）：不得使用内置的卷积或汇聚运算，请在自己的 ``corr2d``
  基础上实现。
* ``speed``（1 分）：``corr2d_multi_in_out`` 不慢于参考实现的 20 倍
  （2 -> 3 通道、20x20、7x7 卷积核）。

Test / 测试: ``pytest exercises/tests/test_channels.py``
"""

import torch

from .corr2d import corr2d


def corr2d_multi_in(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlation with several input channels / 多输入通道互相关运算."""
    raise NotImplementedError("corr2d_multi_in is not implemented yet: open exercises/channels.py")


def corr2d_multi_in_out(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Cross-correlation with several input and output channels / 多输入多输出通道互相关运算."""
    raise NotImplementedError("corr2d_multi_in_out is not implemented yet: open exercises/channels.py")


def corr2d_multi_in_out_1x1(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution as one matrix multiplication / 用一次矩阵乘法实现 1×1 卷积."""
    raise NotImplementedError("corr2d_multi_in_out_1x1 is not implemented yet: open exercises/channels.py")
