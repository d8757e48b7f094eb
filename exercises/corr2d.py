"""Exercise: the cross-correlation operation / 练习：互相关运算

d2l-zh 6.2.1 “互相关运算” · d2l-en 7.2.1 "The Cross-Correlation Operation"

English
-------
Implement ``corr2d(X, K)``: the two-dimensional cross-correlation of an input
``X`` of shape (n_h, n_w) with a kernel ``K`` of shape (k_h, k_w). Slide the
kernel over the input from the top left, left to right and top to bottom;
at each position multiply the window of ``X`` elementwise by ``K`` and sum.
The output has shape (n_h - k_h + 1, n_w - k_w + 1).

Example from the book::

    >>> X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    >>> K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    >>> corr2d(X, K)
    tensor([[19., 25.],
            [37., 43.]])

Rules:

* Do not use built-in convolution or pooling (``torch.nn.functional.conv2d``,
  ``torch.conv2d``, ``nn.Conv2d``, ``max_pool2d``, ...). The grader detects
  them at the operator level, however they are called.
* The result must be differentiable: autograd must reach ``X`` and ``K``
  (the next exercise learns a kernel through ``corr2d``).
* Raise ``ValueError`` when ``X`` or ``K`` is not a 2-D tensor, or when the
  kernel is larger than the input in either dimension.

中文
----
实现 ``corr2d(X, K)``：形状为 (n_h, n_w) 的输入 ``X`` 与形状为 (k_h, k_w) 的
卷积核 ``K`` 的二维互相关运算。卷积窗口从输入张量的左上角开始，从左到右、从上到下
滑动；在每个位置，把窗口内的输入子张量与卷积核按元素相乘再求和，得到输出张量中
对应位置的元素。输出形状为 (n_h - k_h + 1, n_w - k_w + 1)。

上面的例子来自教材 6.2.1 节，输出应为 ``[[19, 25], [37, 43]]``。

规则：

* 不得使用内置的卷积或汇聚运算（``torch.nn.functional.conv2d``、``torch.conv2d``、
  ``nn.Conv2d``、``max_pool2d`` 等）；评分程序在算子层面检测。
* 结果必须可微：自动微分要能传到 ``X`` 和 ``K``（下一题要通过 ``corr2d`` 学习卷积核）。
* ``X`` 或 ``K`` 不是二维张量、或卷积核在任一维上大于输入时，抛出 ``ValueError``。

Test / 测试: ``pytest exercises/tests/test_corr2d.py``
"""

import torch


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Return the 2-D cross-correlation of X (n_h, n_w) with K (k_h, k_w) / 计算二维互相关运算."""
    raise NotImplementedError("corr2d is not implemented yet: open exercises/corr2d.py")
