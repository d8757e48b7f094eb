"""cnn-kit exercises: convolutional neural networks (d2l-zh chapter 6 / d2l-en chapter 7).

English
-------
Each module of this package is one exercise. Open it, read the statement at the
top, and replace every ``raise NotImplementedError(...)`` with your code. Keep
the function names, the argument order and the defaults: the grader imports
them exactly as they are.

    corr2d.py          6.2.1      cross-correlation ``corr2d``
    conv_layer.py      6.2.2-4    the ``Conv2D`` layer, learning a kernel
    padding_stride.py  6.3        output shapes, padding and stride
    channels.py        6.4        multiple input and output channels, 1x1 convolution
    pooling.py         6.5        maximum and average pooling
    lenet.py           6.6.1      LeNet and its shape trace
    training.py        6.6.2      evaluating and training on a device
    theory.py          6.2, 6.4   exercises: composing kernels, cost of a layer, im2col

Check your work with the public tests::

    pytest exercises                              # every exercise
    pytest exercises/tests/test_corr2d.py         # one exercise
    pytest exercises -m corr2d                    # the same, by marker

Modules import each other relatively (``from .corr2d import corr2d``), as in
the book, where later sections reuse earlier functions.

中文
----
本包的每个模块是一道练习（对应 d2l-zh 第 6 章“卷积神经网络”）。打开模块，阅读
开头的题目说明，把每一处 ``raise NotImplementedError(...)`` 换成自己的实现。
函数名、参数顺序和默认值都不能改：评分程序按原样导入它们。

用上面的 ``pytest`` 命令运行公开测试；尚未实现的练习会显示一行“尚未实现”的提示，
最后会列出每道练习的通过情况（练习小结）。
"""
