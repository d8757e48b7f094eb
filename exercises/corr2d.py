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

Rules: what the grader requires beyond the book's example. Each is a hidden
check of its own, worth the points shown (a rule on how a result is
computed scores only where the result is right):

* ``differentiable`` (1 point): the result is differentiable: autograd must
  reach ``X`` and ``K`` (the next exercise learns a kernel through ``corr2d``).
* ``rejects_non_2d`` (0.5 points): raise ``ValueError`` when ``X`` or ``K`` is
  not a 2-D tensor.
* ``rejects_kernel_larger_than_input`` (0.5 points): raise ``ValueError`` when
  the kernel is larger than the input in either dimension.
* ``no_builtin`` (2 points): no built-in convolution or pooling
  (``torch.nn.functional.conv2d``, ``torch.conv2d``, ``nn.Conv2d``,
  ``max_pool2d``, ...); the grader detects them at the operator level, however
  they are called.
* ``speed`` (1 point): at most 20 times the reference's time on a 64x64 input
  with a 3x3 kernel (the book's loop over windows is fine).

中文
----
实现 ``corr2d(X, K)``：形状为 (n_h, n_w) 的输入 ``X`` 与形状为 (k_h, k_w) 的
卷积核 ``K`` 的二维互相关运算。卷积窗口从输入张量的左上角开始，从左到右、从上到下
滑动；在每个位置，把窗口内的输入子张量与卷积核按元素相乘再求和，得到输出张量中
对应位置的元素。输出形状为 (n_h - k_h + 1, n_w - k_w + 1)。

上面的例子来自教材 6.2.1 节，输出应为 ``[[19, 25], [37, 43]]``。

规则：评分程序在教材示例之外的要求。每条规则都是单独的隐藏检查，括号内为
分值（关于计算方式的规则只在结果正确时计分）：

* ``differentiable``（1 分）：结果必须可微：自动微分要能传到 ``X`` 和 ``K``
  （下一题要通过 ``corr2d`` 学习卷积核）。
* ``rejects_non_2d``（0.5 分）：``X`` 或 ``K`` 不是二维张量时抛出 ``ValueError``。
* ``rejects_kernel_larger_than_input``（0.5 分）：卷积核在任一维上大于输入时抛出
  ``ValueError``。
* ``no_builtin``（2 分）：不得使用内置的卷积或汇聚运算（``torch.nn.functional.conv2d``、
  ``torch.conv2d``、``nn.Conv2d``、``max_pool2d`` 等）；评分程序在算子层面检测。
* ``speed``（1 分）：在 64x64 输入、3x3 卷积核上不慢于参考实现的 20 倍
  （教材按窗口循环的写法即可）。

Test / 测试: ``pytest exercises/tests/test_corr2d.py``
"""

import torch


def corr2d(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Return the 2-D cross-correlation of X (n_h, n_w) with K (k_h, k_w) / 计算二维互相关运算."""
    raise NotImplementedError("corr2d is not implemented yet: open exercises/corr2d.py")
