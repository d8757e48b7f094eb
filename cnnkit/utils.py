"""Small training helpers with the names and behaviour of d2l's ``d2l.torch`` module.

The exercises follow the book, so these helpers keep the book's names
(``try_gpu``, ``Timer``, ``Accumulator``, ``accuracy``) and return the same
things; code written against ``d2l`` works with ``cnnkit`` unchanged.
"""

from __future__ import annotations

import time

import torch

__all__ = ["try_gpu", "Timer", "Accumulator", "accuracy"]


def try_gpu(i: int = 0) -> torch.device:
    """Return ``cuda:i`` if that GPU exists, else the CPU (d2l 5.6).

    Code that calls ``try_gpu()`` runs unchanged on a laptop and on a GPU machine.
    """
    if torch.cuda.device_count() >= i + 1:
        return torch.device(f"cuda:{i}")
    return torch.device("cpu")


class Timer:
    """Record several running times (d2l 2.x ``Timer``).

    The timer starts when it is created. ``stop()`` records the time since the
    last ``start()`` and returns it; ``avg``/``sum``/``cumsum`` summarise the
    recorded times. Uses :func:`time.perf_counter` (monotonic, high resolution).
    """

    def __init__(self) -> None:
        self.times: list[float] = []
        self.tik = 0.0
        self.start()

    def start(self) -> None:
        """Start (or restart) the timer."""
        self.tik = time.perf_counter()

    def stop(self) -> float:
        """Stop the timer, record the elapsed seconds and return them."""
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        """Average of the recorded times (seconds)."""
        return sum(self.times) / len(self.times)

    def sum(self) -> float:
        """Sum of the recorded times (seconds)."""
        return sum(self.times)

    def cumsum(self) -> list[float]:
        """Running totals of the recorded times (seconds)."""
        totals, running = [], 0.0
        for t in self.times:
            running += t
            totals.append(running)
        return totals


class Accumulator:
    """Sum ``n`` numbers over many calls (d2l 3.6 ``Accumulator``).

    Typical use in a training loop::

        metric = Accumulator(3)          # loss sum, correct predictions, examples
        metric.add(l * n, (y_hat.argmax(dim=1) == y).sum(), n)
        train_loss = metric[0] / metric[2]

    Numbers are summed as Python floats, as in the book. A 0-d tensor is summed as a tensor on its
    own device (detached, in its dtype) until ``metric[i]`` reads it as a float: adding the loss
    of every batch then costs no wait for the GPU, and the loop waits once, when it reads the sums.
    """

    def __init__(self, n: int) -> None:
        self.data: list[float | torch.Tensor] = [0.0] * n

    def add(self, *args: float | torch.Tensor) -> None:
        """Add one value to each of the ``n`` sums: a number, or a tensor with one element (a 0-d
        tensor stays on its device, any other is read as a float)."""
        self.data = [_plus(a, b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        """Set every sum back to zero."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx: int) -> float:
        value = self.data[idx]
        return float(value) if isinstance(value, torch.Tensor) else value


def _plus(total: float | torch.Tensor, value: float | torch.Tensor) -> float | torch.Tensor:
    """``total + value``: a 0-d tensor stays a tensor (a copy, so the caller may change its own),
    anything else is read as a float."""
    if isinstance(value, torch.Tensor) and value.dim() == 0:
        value = value.detach()
        if isinstance(total, float) and total == 0.0:
            return value.clone()  # keeps the dtype: an int64 count stays an integer
        return total + value
    return total + float(value)


def accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """Return the NUMBER of correct predictions (not a fraction), as in d2l 3.6.

    ``y_hat`` is either a 2-D tensor of scores (one row per example; the
    predicted class is the argmax over dim 1) or a 1-D tensor of predicted
    classes. Divide by ``y.numel()`` (or use an :class:`Accumulator`) for a rate.
    """
    if y_hat.dim() > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(dim=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())
