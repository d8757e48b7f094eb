"""Exercise: maximum and average pooling / 练习：最大汇聚层和平均汇聚层

d2l-zh 6.5 “汇聚层” (6.5.1 最大汇聚层和平均汇聚层) · d2l-en 7.5 "Pooling"

English
-------
Implement ``pool2d(X, pool_size, mode='max')`` for a 2-D input ``X``. A pooling
window of shape ``pool_size`` = (p_h, p_w) (an int p means (p, p)) slides over
``X`` with stride 1 and no padding; each output element is the maximum
(``mode='max'``) or the mean (``mode='avg'``) of the window. The output has
shape (n_h - p_h + 1, n_w - p_w + 1) and a floating-point dtype.

Example from the book::

    >>> X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    >>> pool2d(X, (2, 2))
    tensor([[4., 5.],
            [7., 8.]])
    >>> pool2d(X, (2, 2), 'avg')
    tensor([[2., 3.],
            [5., 6.]])

Rules: what the grader requires beyond the book's code. Each is a hidden
check of its own, worth the points shown (a rule on how a result is
computed scores only where the result is right):

* ``int_pool_size`` (0.5 points): an int ``pool_size`` p means the window
  (p, p) (the book's ``pool2d`` unpacks a pair).
* ``integer_input`` (0.5 points): an integer ``X`` gives a floating-point
  result, in both modes.
* ``rejects_unknown_mode`` (0.5 points): any ``mode`` other than ``'max'`` or
  ``'avg'`` raises ``ValueError``.
* ``rejects_non_2d_input`` (0.25 points): a non-2-D ``X`` raises
  ``ValueError``.
* ``rejects_window_larger_than_input`` (0.25 points): a window larger than
  ``X`` raises ``ValueError``.
* ``no_builtin`` (1 point): no built-in pooling or convolution
  (``F.max_pool2d``, ``F.avg_pool2d``, ``nn.MaxPool2d``, ``F.conv2d``, ...):
  the grader detects them at the operator level.
* ``speed`` (1 point): at most 20 times the reference's time on a 48x48 input
  with a 9x9 window (the book's loop over windows is fine).

中文
----
实现二维输入 ``X`` 的汇聚运算 ``pool2d(X, pool_size, mode='max')``。形状为
``pool_size`` = (p_h, p_w) 的汇聚窗口（整数 p 表示 (p, p)）以步幅 1、无填充在
``X`` 上滑动；每个输出元素是窗口内元素的最大值（最大汇聚，``mode='max'``）或
平均值（平均汇聚，``mode='avg'``）。输出形状为 (n_h - p_h + 1, n_w - p_w + 1)，
数据类型为浮点数。

上例来自教材 6.5.1 节。

规则：评分程序在教材代码之外的要求。每条规则都是单独的隐藏检查，括号内为
分值（关于计算方式的规则只在结果正确时计分）：

* ``int_pool_size``（0.5 分）：整数 ``pool_size`` p 表示窗口 (p, p)（教材的
  ``pool2d`` 直接解包二元组）。
* ``integer_input``（0.5 分）：整数类型的 ``X`` 在两种模式下都得到浮点结果。
* ``rejects_unknown_mode``（0.5 分）：``mode`` 既不是 ``'max'`` 也不是 ``'avg'``
  时抛出 ``ValueError``。
* ``rejects_non_2d_input``（0.25 分）：``X`` 不是二维张量时抛出 ``ValueError``。
* ``rejects_window_larger_than_input``（0.25 分）：窗口大于 ``X`` 时抛出
  ``ValueError``。
* ``no_builtin``（1 分）：不得使用内置的汇聚或卷积运算；评分程序在算子层面检测。
* ``speed``（1 分）：在 48x48 输入、9x9 窗口上不慢于参考实现的 20 倍
  （教材按窗口循环的写法即可）。

Test / 测试: ``pytest exercises/tests/test_pooling.py``
"""

import torch


def pool2d(X: torch.Tensor, pool_size, mode: str = "max") -> torch.Tensor:
    """Maximum or average pooling of a 2-D X, stride 1, no padding / 二维最大汇聚或平均汇聚."""
    raise NotImplementedError("pool2d is not implemented yet: open exercises/pooling.py")
