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

Rules:

* No built-in pooling or convolution (``F.max_pool2d``, ``F.avg_pool2d``,
  ``nn.MaxPool2d``, ``F.conv2d``, ...): the grader detects them at the operator
  level.
* Any ``mode`` other than ``'max'`` or ``'avg'`` raises ``ValueError``; so do a
  non-2-D ``X`` and a window larger than ``X``.

中文
----
实现二维输入 ``X`` 的汇聚运算 ``pool2d(X, pool_size, mode='max')``。形状为
``pool_size`` = (p_h, p_w) 的汇聚窗口（整数 p 表示 (p, p)）以步幅 1、无填充在
``X`` 上滑动；每个输出元素是窗口内元素的最大值（最大汇聚，``mode='max'``）或
平均值（平均汇聚，``mode='avg'``）。输出形状为 (n_h - p_h + 1, n_w - p_w + 1)，
数据类型为浮点数。

上例来自教材 6.5.1 节。

规则：不得使用内置的汇聚或卷积运算；``mode`` 既不是 ``'max'`` 也不是 ``'avg'`` 时
抛出 ``ValueError``；``X`` 不是二维张量或窗口大于 ``X`` 时也抛出 ``ValueError``。

Test / 测试: ``pytest exercises/tests/test_pooling.py``
"""

import torch


def pool2d(X: torch.Tensor, pool_size, mode: str = "max") -> torch.Tensor:
    """Maximum or average pooling of a 2-D X, stride 1, no padding / 二维最大汇聚或平均汇聚."""
    raise NotImplementedError("pool2d is not implemented yet: open exercises/pooling.py")
