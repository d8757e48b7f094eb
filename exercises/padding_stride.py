"""Exercise: padding and stride / 练习：填充和步幅

d2l-zh 6.3 “填充和步幅” · d2l-en 7.3 "Padding and Stride"

English
-------
1. ``conv_output_shape(input_size, kernel_size, padding=0, stride=1)``: the
   output shape (h, w) of a convolution. Each argument is an int (the same for
   height and width) or an (h, w) pair; ``padding`` is the number of zero rows
   (columns) added on EACH side, as in PyTorch's ``nn.Conv2d``. Return a tuple
   of two ints.
2. ``corr2d_pad_stride(X, K, padding=0, stride=1)``: pad the 2-D ``X`` with
   zeros on every side, then cross-correlate with ``K``, moving the window
   ``stride`` rows (columns) at a time. Its output has the shape that
   ``conv_output_shape`` predicts.

Examples from the book (an 8x8 input; the book prints ``torch.Size([...])``)::

    >>> conv_output_shape(8, 3, padding=1)
    (8, 8)
    >>> conv_output_shape(8, (5, 3), padding=(2, 1))
    (8, 8)
    >>> conv_output_shape(8, 3, padding=1, stride=2)
    (4, 4)
    >>> conv_output_shape(8, (3, 5), padding=(0, 1), stride=(3, 4))
    (2, 2)
    >>> corr2d_pad_stride(torch.rand(8, 8), torch.rand(3, 3), padding=1, stride=2).shape
    torch.Size([4, 4])

Rules: what the grader requires beyond the book's examples. Each is a hidden
check of its own, worth the points shown (a rule on how a result is
computed scores only where the result is right):

* ``rejects_out_of_range`` (0.25 points): raise ``ValueError`` for a size or
  kernel size < 1, a padding < 0 or a stride < 1.
* ``rejects_non_int_arguments`` (0.25 points): raise ``ValueError`` for an
  argument that is neither an int nor an (h, w) pair of ints (``1.5``,
  ``8.0``, ``(1, 1, 1)``): do not round or truncate it.
* ``rejects_non_2d`` (0.25 points): ``corr2d_pad_stride`` raises
  ``ValueError`` for a non-2-D ``X`` or ``K``.
* ``rejects_kernel_larger_than_padded_input`` (0.25 points): raise
  ``ValueError`` for a kernel larger than the padded input (n + 2p).
* ``no_builtin`` (1 point): ``corr2d_pad_stride`` uses no built-in convolution
  or pooling (``F.conv2d``, ``nn.Conv2d``, ...); padding helpers such as
  ``F.pad`` are fine.
* ``speed`` (1 point): ``corr2d_pad_stride`` takes at most 20 times the
  reference's time on a 32x32 input, 7x7 kernel, padding 3.

中文
----
1. ``conv_output_shape(input_size, kernel_size, padding=0, stride=1)``：返回卷积
   输出的形状 (h, w)（两个整数组成的元组）。每个参数可以是整数（高和宽相同）或
   (h, w) 二元组；``padding`` 是在输入的每一侧（上下、左右各自）填充的零的行数
   （列数），与 PyTorch 的 ``nn.Conv2d`` 一致。
2. ``corr2d_pad_stride(X, K, padding=0, stride=1)``：先在二维输入 ``X`` 的四周
   填充零，再与 ``K`` 做互相关运算，卷积窗口每次滑动 ``stride`` 行（列）。
   输出形状应与 ``conv_output_shape`` 的结果一致。

上例来自教材 6.3 节：8×8 的输入，四种填充和步幅组合的输出形状。

规则：评分程序在教材示例之外的要求。每条规则都是单独的隐藏检查，括号内为
分值（关于计算方式的规则只在结果正确时计分）：

* ``rejects_out_of_range``（0.25 分）：尺寸或卷积核小于 1、填充小于 0、步幅小于 1 时
  抛出 ``ValueError``。
* ``rejects_non_int_arguments``（0.25 分）：参数既不是整数也不是整数二元组
  （``1.5``、``8.0``、``(1, 1, 1)``）时抛出 ``ValueError``，不要取整或截断。
* ``rejects_non_2d``（0.25 分）：``X`` 或 ``K`` 不是二维张量时，``corr2d_pad_stride``
  抛出 ``ValueError``。
* ``rejects_kernel_larger_than_padded_input``（0.25 分）：卷积核大于填充后的输入
  （n + 2p）时抛出 ``ValueError``。
* ``no_builtin``（1 分）：``corr2d_pad_stride`` 不得使用内置的卷积或汇聚运算
  （可以使用 ``F.pad`` 等填充函数）。
* ``speed``（1 分）：在 32x32 输入、7x7 卷积核、填充 3 上，``corr2d_pad_stride``
  不慢于参考实现的 20 倍。

Test / 测试: ``pytest exercises/tests/test_padding_stride.py``
"""

import torch

from .corr2d import corr2d


def conv_output_shape(input_size, kernel_size, padding=0, stride=1) -> tuple[int, int]:
    """Return the output (h, w) of a convolution / 返回卷积输出的形状 (h, w)."""
    raise NotImplementedError("conv_output_shape is not implemented yet: open exercises/padding_stride.py")


def corr2d_pad_stride(X: torch.Tensor, K: torch.Tensor, padding=0, stride=1) -> torch.Tensor:
    """Zero-pad X on every side, then cross-correlate with K using the stride / 填充后按步幅做互相关运算."""
    raise NotImplementedError("corr2d_pad_stride is not implemented yet: open exercises/padding_stride.py")
