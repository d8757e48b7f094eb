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

Rules:

* ``corr2d_pad_stride`` must not use built-in convolution or pooling
  (``F.conv2d``, ``nn.Conv2d``, ...); padding helpers such as ``F.pad`` are fine.
* Raise ``ValueError`` for invalid arguments: sizes and kernel sizes < 1,
  padding < 0, stride < 1, something that is neither an int nor an (h, w) pair
  of ints, a non-2-D ``X`` or ``K``, or a kernel larger than the padded input.

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

规则：``corr2d_pad_stride`` 不得使用内置的卷积或汇聚运算（可以使用 ``F.pad`` 等
填充函数）；参数无效（尺寸或卷积核小于 1、填充小于 0、步幅小于 1、既不是整数也
不是整数二元组、``X`` 或 ``K`` 不是二维张量、卷积核大于填充后的输入）时抛出
``ValueError``。

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
