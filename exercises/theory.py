"""Exercise: from the exercises of 6.2 and 6.4 / 练习：6.2 节与 6.4 节的练习题

d2l-zh 6.4 练习 1-2 and 6.2 练习 (互相关运算表示为矩阵乘法)
· d2l-en 7.4 exercises 1-2 and 7.2 exercises

English
-------
1. ``compose_kernels(K1, K2)``: two cross-correlations in a row, with no
   nonlinearity between them, are one cross-correlation. Return the single
   kernel ``K`` such that ``corr2d(corr2d(X, K1), K2) == corr2d(X, K)`` for
   every ``X`` large enough. ``K`` has shape
   (k1_h + k2_h - 1, k1_w + k2_w - 1).
2. ``conv_cost(c_i, h, w, c_o, k_h, k_w, padding=0, stride=1)``: the cost of a
   convolutional layer with c_i input channels of size h x w, c_o output
   channels and a k_h x k_w kernel (padding and stride as in
   ``conv_output_shape``; you may reuse it with
   ``from .padding_stride import conv_output_shape``). With an output of
   size h_o x w_o, return a dict of ints::

       {"madds": c_o * c_i * k_h * k_w * h_o * w_o,    # multiply-adds of the forward pass
        "params": weights + one bias per output channel,
        "output_elems": c_o * h_o * w_o}

3. ``corr2d_matmul(X, K)``: the same result as ``corr2d(X, K)``, computed as
   ONE matrix product: rearrange the input windows into a matrix (im2col) or
   the kernel into a Toeplitz matrix, then multiply once.

Examples::

    >>> compose_kernels(torch.tensor([[1.0, -1.0]]), torch.tensor([[1.0], [-1.0]]))
    tensor([[ 1., -1.],
            [-1.,  1.]])
    >>> conv_cost(1, 28, 28, 6, 5, 5, padding=2)     # LeNet's first layer
    {'madds': 117600, 'params': 156, 'output_elems': 4704}
    >>> X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    >>> corr2d_matmul(X, torch.tensor([[0.0, 1.0], [2.0, 3.0]]))    # 6.2.1's example
    tensor([[19., 25.],
            [37., 43.]])

Rules: what the grader requires beyond the book's exercises. Each is a hidden
check of its own, worth the points shown (a rule on how a result is
computed scores only where the result is right):

* ``matmul_rule`` (1 point): ``corr2d_matmul`` performs exactly one matrix
  multiplication (``torch.matmul`` / ``@`` / ``torch.mm``) and no built-in
  convolution or pooling.
* ``compose_rejects_non_2d`` (0.25 points): ``compose_kernels`` raises
  ``ValueError`` for a non-2-D kernel.
* ``matmul_rejects_non_2d`` (0.25 points): ``corr2d_matmul`` raises
  ``ValueError`` for a non-2-D ``X`` or ``K``.
* ``matmul_rejects_kernel_larger_than_input`` (0.25 points): ``corr2d_matmul``
  raises ``ValueError`` for a kernel larger than the input.
* ``cost_rejects_invalid_sizes`` (0.25 points): ``conv_cost`` raises
  ``ValueError`` for the invalid arguments that ``conv_output_shape`` rejects.

中文
----
1. ``compose_kernels(K1, K2)``：中间没有非线性激活函数的两次互相关运算可以用
   一次互相关运算表示。返回单个卷积核 ``K``，使得对任意足够大的 ``X`` 都有
   ``corr2d(corr2d(X, K1), K2) == corr2d(X, K)``；``K`` 的形状为
   (k1_h + k2_h - 1, k1_w + k2_w - 1)。
2. ``conv_cost(...)``：卷积层的计算成本。输入 c_i 个 h×w 通道，输出 c_o 个通道，
   卷积核 k_h×k_w（填充和步幅同 ``conv_output_shape``）。输出大小为 h_o×w_o 时，
   返回上面的字典：前向传播的乘加次数 ``madds``、参数个数 ``params``（权重加上
   每个输出通道一个偏置）、输出元素个数 ``output_elems``。
3. ``corr2d_matmul(X, K)``：如何通过改变输入张量和卷积核张量，把互相关运算表示为
   一次矩阵乘法（im2col 或 Toeplitz 矩阵）；结果与 ``corr2d(X, K)`` 相同。

规则：评分程序在教材习题之外的要求。每条规则都是单独的隐藏检查，括号内为
分值（关于计算方式的规则只在结果正确时计分）：

* ``matmul_rule``（1 分）：``corr2d_matmul`` 只能做一次矩阵乘法，不得使用内置的卷积
  或汇聚运算。
* ``compose_rejects_non_2d``（0.25 分）：卷积核不是二维张量时 ``compose_kernels``
  抛出 ``ValueError``。
* ``matmul_rejects_non_2d``（0.25 分）：``X`` 或 ``K`` 不是二维张量时
  ``corr2d_matmul`` 抛出 ``ValueError``。
* ``matmul_rejects_kernel_larger_than_input``（0.25 分）：卷积核大于输入时
  ``corr2d_matmul`` 抛出 ``ValueError``。
* ``cost_rejects_invalid_sizes``（0.25 分）：``conv_cost`` 对 ``conv_output_shape``
  拒绝的参数抛出 ``ValueError``。

Test / 测试: ``pytest exercises/tests/test_theory.py``
"""

import torch


def compose_kernels(K1: torch.Tensor, K2: torch.Tensor) -> torch.Tensor:
    """The single kernel equal to cross-correlating with K1 then K2 / 与先 K1 后 K2 等价的单个卷积核."""
    raise NotImplementedError("compose_kernels is not implemented yet: open exercises/theory.py")


def conv_cost(c_i: int, h: int, w: int, c_o: int, k_h: int, k_w: int, padding=0, stride=1) -> dict:
    """Multiply-adds, parameters and output elements of a conv layer / 卷积层的乘加次数、参数个数和输出元素个数."""
    raise NotImplementedError("conv_cost is not implemented yet: open exercises/theory.py")


def corr2d_matmul(X: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """corr2d as one matrix product (im2col) / 用一次矩阵乘法实现互相关运算."""
    raise NotImplementedError("corr2d_matmul is not implemented yet: open exercises/theory.py")
