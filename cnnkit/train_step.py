"""One SGD step with the epoch's loss and accuracy sums kept on the device, replayed as a CUDA graph.

LeNet is so small that on a GPU the time of an eager step is almost all Python and kernel-launch
overhead (about fifty launches per step). ``TrainStep`` captures the whole step (zero_grad,
forward, loss, backward, optimizer step, metric sums) once as a CUDA graph and then replays it
with one launch per batch. Batches of another shape (the last, smaller one) run eagerly; so does
everything on the CPU (where 4-D weights are stored channels-last, oneDNN's faster layout), or
when capture fails (a network with data-dependent control flow, say), in which case a warning
says so. The arithmetic is the same either way (on CUDA, matrix products run in TF32 in both).
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Callable, Iterator

import torch
from torch import nn

#: Eager steps of a batch shape before it is captured: lazy initialisation (cuDNN's algorithm
#: choice, the autograd engine's streams) must happen outside the capture.
WARMUP_STEPS = 3


class TrainStep:
    """``step(X, y)`` trains ``net`` on one batch; ``loss_sum``, ``correct`` and ``n`` sum an epoch.

    ``loss_sum`` (float) and ``correct`` (int64) are device tensors, so the training loop never
    waits for the GPU; ``reset()`` zeroes them, ``read()`` returns ``(mean loss, accuracy)``.
    ``graphs=None`` means: use CUDA graphs when the parameters are on a CUDA device.
    """

    def __init__(self, net: nn.Module, loss: Callable, optimizer: torch.optim.Optimizer,
                 graphs: bool | None = None) -> None:
        self.net, self.loss, self.optimizer = net, loss, optimizer
        self.device = next(net.parameters()).device
        self.graphs = self.device.type == "cuda" if graphs is None else graphs
        if self.device.type == "cpu":
            # oneDNN's convolutions and pooling skip layout conversions on this layout: LeNet trains
            # about 20% faster on a CPU. The parameters stay the same objects (the optimizer's).
            net.to(memory_format=torch.channels_last)
        self.loss_sum = torch.zeros((), device=self.device)
        self.correct = torch.zeros((), dtype=torch.int64, device=self.device)
        self.n = 0
        self._eager_steps: dict[torch.Size, int] = {}
        self._graph: tuple[torch.cuda.CUDAGraph, torch.Tensor, torch.Tensor] | None = None
        self._graph_shape: torch.Size | None = None

    def reset(self) -> None:
        self.loss_sum.zero_()
        self.correct.zero_()
        self.n = 0

    def read(self) -> tuple[float, float]:
        """Mean loss and accuracy since ``reset()`` (this waits for the device)."""
        if self.n == 0:
            raise ValueError("no examples were trained on since reset()")
        return self.loss_sum.item() / self.n, self.correct.item() / self.n

    def __call__(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.n += y.numel()
        if self._graph is not None and X.shape == self._graph_shape:
            graph, static_X, static_y = self._graph
            static_X.copy_(X)
            static_y.copy_(y)
            graph.replay()  # the kernels were chosen at capture: no precision setting needed
            return
        with self._precision():
            self._train(X, y)

    @contextlib.contextmanager
    def _precision(self) -> Iterator[None]:
        """On CUDA, matrix products in TF32, as PyTorch already runs cuDNN's convolutions (steps
        about 13% faster on an H200); restored afterwards. Captured steps keep the kernels chosen here."""
        if self.device.type != "cuda":
            yield
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            previous = torch.get_float32_matmul_precision()
            torch.set_float32_matmul_precision("high")
        try:
            yield
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.set_float32_matmul_precision(previous)

    def _train(self, X: torch.Tensor, y: torch.Tensor) -> None:
        """A step that is not a replay: eager, a warm-up before capture, or the capture itself."""
        if not self.graphs or self._graph is not None:
            self._step(X, y)
            return
        done = self._eager_steps.get(X.shape, 0)
        if done < WARMUP_STEPS:
            self._eager_steps[X.shape] = done + 1
            self._warmup(X, y)
        else:
            self._capture(X, y)

    def _step(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        y_hat = self.net(X)
        l = self.loss(y_hat, y)
        l.backward()
        self.optimizer.step()
        with torch.no_grad():
            self.loss_sum.add_(l.detach() * y.numel())
            self.correct.add_((y_hat.argmax(dim=1) == y).sum())

    def _warmup(self, X: torch.Tensor, y: torch.Tensor) -> None:
        # PyTorch's recipe: warm-up iterations before a capture run on a side stream.
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            self._step(X, y)
        torch.cuda.current_stream(self.device).wait_stream(side)

    def _capture(self, X: torch.Tensor, y: torch.Tensor) -> None:
        """Capture one step for this batch shape, then replay it for this batch."""
        static_X, static_y = X.clone(), y.clone()
        graph = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(graph):
                self._step(static_X, static_y)
        except Exception as exc:  # noqa: BLE001 - any capture failure means "train eagerly"
            warnings.warn(f"CUDA graph capture failed ({type(exc).__name__}: {exc}); training eagerly",
                          RuntimeWarning, stacklevel=3)
            torch.cuda.synchronize(self.device)
            self.graphs = False
            self._step(X, y)
            return
        # Capture records kernels without running them: replay to train on this batch.
        self._graph, self._graph_shape = (graph, static_X, static_y), X.shape
        graph.replay()
