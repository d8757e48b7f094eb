"""Exercise: training LeNet on a GPU / 练习：模型训练（使用 GPU）

d2l-zh 6.6.2 “模型训练” · d2l-en 7.6.2 "Training"

English
-------
1. ``evaluate_accuracy_gpu(net, data_iter, device=None)``: the fraction of
   examples of ``data_iter`` (an iterable of ``(X, y)`` mini-batches, sizes may
   differ) that ``net`` classifies correctly (predicted class = argmax over
   dimension 1), as a Python ``float``. Put the network in evaluation mode,
   compute without gradients, and move every batch to ``device``; when
   ``device`` is None use the device of the network's parameters. Raise
   ``ValueError`` when ``data_iter`` yields no examples.
2. ``train_ch6(net, train_iter, test_iter, num_epochs, lr, device)``: train
   ``net`` as the book does: initialise the weights of every ``nn.Linear`` and
   ``nn.Conv2d`` with ``nn.init.xavier_uniform_``, move the model to
   ``device``, optimise cross-entropy loss with ``torch.optim.SGD`` (learning
   rate ``lr``), moving every mini-batch to ``device``. After each epoch
   record the average training loss per example, the training accuracy and the
   test accuracy (``evaluate_accuracy_gpu`` on ``test_iter``). Return::

       {"train_loss": [...], "train_acc": [...], "test_acc": [...],   # one value per epoch
        "examples_per_sec": float}   # training examples processed per second of training time

   (printing progress like the book is welcome; plotting is not needed: the
   grader draws your history as the book's figure for your feedback, and
   ``cnnkit.plot_history(history, "curve.png")`` draws it for you).

Example from the book (``batch_size = 256``, ``lr, num_epochs = 0.9, 10``)::

    >>> train_iter, test_iter = cnnkit.load_data_fashion_mnist(batch_size=256)
    >>> history = train_ch6(lenet(), train_iter, test_iter, 10, 0.9, try_gpu())
    loss 0.469, train acc 0.823, test acc 0.779      # your numbers will differ
    >>> len(history["test_acc"])
    10

Rules: what the grader requires beyond the book's code. Each is a hidden
check of its own, worth the points shown (a rule on how a result is
computed scores only where the result is right):

* ``evaluate_accuracy_eval_mode`` (1 point): ``evaluate_accuracy_gpu``
  predicts in evaluation mode (``net.eval()``).
* ``evaluate_accuracy_moves_batches`` (1 point): ``evaluate_accuracy_gpu``
  moves every batch (``X`` and ``y``) to the ``device`` it is given.
* ``evaluate_accuracy_rejects_empty`` (0.5 points): ``evaluate_accuracy_gpu``
  raises ``ValueError`` when ``data_iter`` yields no examples (the book's
  ``metric[0] / metric[1]`` divides by zero).
* ``moves_model`` (1 point): ``train_ch6`` moves the model to ``device``
  (the grader runs on a GPU too).
* ``moves_batches`` (2 points): ``train_ch6`` moves every training batch to
  ``device``.

Initialise, optimise and compute the loss as above (xavier-uniform, SGD,
cross-entropy), and write the training step yourself (``zero_grad``,
forward, loss, ``backward``, ``step``). ``Timer``, ``Accumulator`` and
``try_gpu`` from ``cnnkit`` are the book's helpers and may be used
(``Accumulator`` also sums 0-d tensors on their device, so adding the loss
of a batch need not wait for the GPU), and so may ``cnnkit.progress`` (a
progress bar).

中文
----
1. ``evaluate_accuracy_gpu(net, data_iter, device=None)``：计算 ``net`` 在
   ``data_iter``（由 ``(X, y)`` 小批量组成的可迭代对象，各批大小可以不同）上的
   分类精度（预测类别为第 1 维上的 argmax），返回 Python ``float``。先把网络设为
   评估模式，不计算梯度，把每个小批量移到 ``device``；``device`` 为 None 时使用
   网络参数所在的设备。``data_iter`` 没有任何样本时抛出 ``ValueError``。
2. ``train_ch6(net, train_iter, test_iter, num_epochs, lr, device)``：按教材
   训练 ``net``：用 ``nn.init.xavier_uniform_`` 初始化每个 ``nn.Linear`` 和
   ``nn.Conv2d`` 的权重，把模型移到 ``device``，用 ``torch.optim.SGD``（学习率
   ``lr``）优化交叉熵损失，每个小批量都移到 ``device``。每个迭代周期结束后记录
   每个样本的平均训练损失、训练精度和测试精度。返回上面的字典（列表每个迭代
   周期一项；``examples_per_sec`` 为每秒训练的样本数）。

规则：评分程序在教材代码之外的要求。每条规则都是单独的隐藏检查，括号内为
分值（关于计算方式的规则只在结果正确时计分）：

* ``evaluate_accuracy_eval_mode``（1 分）：``evaluate_accuracy_gpu`` 在评估模式下
  预测（``net.eval()``）。
* ``evaluate_accuracy_moves_batches``（1 分）：``evaluate_accuracy_gpu`` 把每个
  小批量（``X`` 和 ``y``）都移到指定的 ``device`` 上。
* ``evaluate_accuracy_rejects_empty``（0.5 分）：``data_iter`` 没有任何样本时，
  ``evaluate_accuracy_gpu`` 抛出 ``ValueError``（教材的 ``metric[0] / metric[1]``
  会除以零）。
* ``moves_model``（1 分）：``train_ch6`` 把模型移到 ``device`` 上（评分程序也会在
  GPU 上运行）。
* ``moves_batches``（2 分）：``train_ch6`` 把每个训练小批量都移到 ``device`` 上。

使用 xavier 均匀初始化、SGD 和交叉熵损失；训练步骤（``zero_grad``、前向传播、
损失、``backward``、``step``）须自己编写。可以使用 ``cnnkit`` 中教材的
``Timer``、``Accumulator``（它也能把 0 维张量留在其设备上累加，累加每个小批量的
损失时不必等待 GPU）和 ``try_gpu``，以及 ``cnnkit.progress``（进度条）。
评分程序会把你返回的训练记录画成教材中的训练曲线附在反馈里；
``cnnkit.plot_history(history, "curve.png")`` 也可以自己画。

Test / 测试: ``pytest exercises/tests/test_training.py``
"""

import torch
from torch import nn

from cnnkit import Accumulator, Timer, try_gpu


def evaluate_accuracy_gpu(net: nn.Module, data_iter, device=None) -> float:
    """Accuracy of net on data_iter, computed on device / 使用 GPU 计算模型在数据集上的精度."""
    raise NotImplementedError("evaluate_accuracy_gpu is not implemented yet: open exercises/training.py")


def train_ch6(net: nn.Module, train_iter, test_iter, num_epochs: int, lr: float, device) -> dict:
    """Train net with SGD and cross-entropy on device; return the history / 用 GPU 训练模型."""
    raise NotImplementedError("train_ch6 is not implemented yet: open exercises/training.py")
