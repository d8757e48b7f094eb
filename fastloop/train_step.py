"""One SGD step with the epoch's loss and accuracy sums kept on the device, replayed as a CUDA graph.

LeNet is so small that on a GPU an eager step is almost all Python and kernel-launch overhead
(about fifty launches per step). ``TrainStep`` captures the whole step (zero_grad, forward, loss,
backward, optimizer step, metric sums) as a CUDA graph per batch shape and then replays it with
one launch per batch (an epoch's last, smaller batch too, after its warm-up calls); its
``accuracy`` does the same for the evaluation's forward pass. On a GPU the convolutions and
average poolings run ``fastloop.lean_kernels`` (Triton convolutions, a one-kernel pooling
gradient), matrix products run in TF32 as cuDNN's convolutions do, and the metric sums run on a
side stream, beside the backward pass. Everything runs eagerly on the CPU (where 4-D weights are
stored channels-last, oneDNN's faster layout), or after a failed capture (a network with
data-dependent control flow, say), which a warning reports. The arithmetic is the same either way.
"""

from __future__ import annotations

import contextlib
import gc
import warnings
from collections.abc import Callable, Iterable, Iterator

import torch
from torch import nn

from cnnkit.utils import Timer

from .lean_kernels import LeanKernels

#: Eager calls of each batch shape before it is captured: one call does the lazy initialisation
#: (cuBLAS handles, the autograd engine's streams, gradient buffers) and picks (and compiles) the
#: kernels for the shape, all of which must happen outside the capture.
WARMUP_STEPS = 1

Batch = Callable[[torch.Tensor, torch.Tensor], None]
Shapes = tuple[torch.Size, torch.Size]
#: An epoch's loss sum and correct predictions (device tensors) and its number of examples.
Sums = tuple[torch.Tensor, torch.Tensor, int]


def read_sums(sums: Sums) -> tuple[float, float]:
    """Mean loss and accuracy of ``TrainStep.sums()`` (this waits for the device)."""
    loss_sum, correct, n = sums
    return loss_sum.item() / n, correct.item() / n


class DeviceTimer:
    """``Timer``'s ``start``/``stop``/``sum`` for work queued on ``device``.

    On a GPU the times are the device's: ``start`` and ``stop`` record CUDA events on the current
    stream, so timing never waits for the GPU, and ``sum()`` waits once, at the end. A host clock
    there would time only the queueing, which can run an epoch ahead of the GPU; each ``stop()``
    there needs a ``start()`` before it. On the CPU it is a ``Timer``.
    """

    def __init__(self, device: torch.device | str) -> None:
        self.device = torch.device(device)
        self.cuda = self.device.type == "cuda"
        self._timer = Timer()
        self._events: list[tuple[torch.cuda.Event, torch.cuda.Event]] = []
        self._start: torch.cuda.Event | None = None

    def start(self) -> None:
        if not self.cuda:
            self._timer.start()
            return
        self._start = torch.cuda.Event(enable_timing=True)
        self._start.record(torch.cuda.current_stream(self.device))

    def stop(self) -> None:
        if not self.cuda:
            self._timer.stop()
            return
        if self._start is None:
            raise RuntimeError("DeviceTimer.stop() without a start()")
        end = torch.cuda.Event(enable_timing=True)
        end.record(torch.cuda.current_stream(self.device))
        self._events.append((self._start, end))
        self._start = None

    def sum(self) -> float:
        """Seconds between each ``start`` and its ``stop``, summed (on a GPU this waits for it)."""
        if not self.cuda:
            return self._timer.sum()
        for _, end in self._events:
            end.synchronize()
        return sum(start.elapsed_time(end) for start, end in self._events) / 1000


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused. A collection during a capture can destroy a dead
    TrainStep's CUDA graphs, and that invalidates the capture (PyTorch no longer collects before
    capturing)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class GraphedBatches:
    """``fn(X, y)``, whose results stay in device tensors, replayed as CUDA graphs.

    Each batch shape is captured at its call after ``WARMUP_STEPS`` eager ones and replayed from
    then on (the batch is copied into the graph's own input tensors), so an epoch's last, smaller
    batch is captured in the second epoch. Eager calls run inside ``settings()``. If a capture
    fails, a RuntimeWarning says so and every later call runs eagerly.
    """

    def __init__(
        self, fn: Batch, settings: Callable[[], contextlib.AbstractContextManager], enabled: bool, what: str
    ) -> None:
        self.fn, self.settings, self.enabled, self.what = fn, settings, enabled, what
        #: Batch shapes (X's, y's) -> the captured graph and its input tensors.
        self.captured: dict[Shapes, tuple[torch.cuda.CUDAGraph, tuple[torch.Tensor, torch.Tensor]]] = {}
        self._seen: dict[Shapes, int] = {}
        self._stream: torch.cuda.Stream | None = None  # where captures run (made at the first)

    def __call__(self, X: torch.Tensor, y: torch.Tensor) -> None:
        shapes = (X.shape, y.shape)
        if shapes in self.captured:
            graph, (static_X, static_y) = self.captured[shapes]
            static_X.copy_(X)
            static_y.copy_(y)
            graph.replay()  # the kernels were chosen at capture: no settings needed
            return
        with self.settings():
            if not self.enabled:
                self.fn(X, y)
                return
            self._seen[shapes] = self._seen.get(shapes, 0) + 1
            if self._seen[shapes] <= WARMUP_STEPS:
                self._warmup(X, y)
            else:
                self._capture(shapes, X, y)

    def _warmup(self, X: torch.Tensor, y: torch.Tensor) -> None:
        # PyTorch's recipe: the calls before a capture run on a side stream.
        main = torch.cuda.current_stream(X.device)
        side = torch.cuda.Stream(X.device)
        side.wait_stream(main)
        with torch.cuda.stream(side):
            self.fn(X, y)
        main.wait_stream(side)

    def _capture(self, shapes: Shapes, X: torch.Tensor, y: torch.Tensor) -> None:
        """Capture ``fn`` for this batch shape, then replay it for this batch.

        ``torch.cuda.graph`` would also wait for the device and empty the allocator's cache before
        each capture (milliseconds, and fresh allocations after it): this capture stream waits for
        the work before it instead, and the graph keeps its own memory pool either way."""
        inputs = X.clone(), y.clone()
        graph = torch.cuda.CUDAGraph()
        main = torch.cuda.current_stream(X.device)
        if self._stream is None:
            self._stream = torch.cuda.Stream(X.device)
        self._stream.wait_stream(main)
        try:
            with _collector_paused(), torch.cuda.stream(self._stream):
                graph.capture_begin()
                try:
                    self.fn(*inputs)
                finally:
                    graph.capture_end()
        except Exception as exc:  # noqa: BLE001 - any capture failure means "run eagerly"
            warnings.warn(
                f"CUDA graph capture failed ({type(exc).__name__}: {exc}); {self.what} eagerly",
                RuntimeWarning,
                stacklevel=4,
            )
            torch.cuda.synchronize(X.device)
            self.enabled = False
            self.fn(X, y)
            return
        # Capture records kernels without running them: replay to process this batch.
        main.wait_stream(self._stream)
        self.captured[shapes] = graph, inputs
        graph.replay()


class TrainStep:
    """``step(X, y)`` trains ``net`` on one batch; ``loss_sum``, ``correct`` and ``n`` sum an epoch.

    ``loss_sum`` (float) and ``correct`` (int64) are device tensors, so the training loop never
    waits for the GPU; ``reset()`` zeroes them, ``read()`` returns ``(mean loss, accuracy)``.
    ``accuracy(data_iter)`` is ``evaluate_accuracy_gpu``'s number for the trained net.
    ``sums()`` and ``count_correct(data_iter)`` give the same numbers as device tensors, to read
    later: a loop that keeps them never waits for the GPU.
    ``graphs=None`` means: use CUDA graphs when the parameters are on a CUDA device.
    """

    def __init__(
        self, net: nn.Module, loss: Callable, optimizer: torch.optim.Optimizer, graphs: bool | None = None
    ) -> None:
        self.net, self.loss, self.optimizer = net, loss, optimizer
        self.device = next(net.parameters()).device
        cuda = self.device.type == "cuda"
        if not cuda:
            # oneDNN's convolutions and pooling skip layout conversions on this layout: LeNet trains
            # about 20% faster on a CPU. The parameters stay the same objects (the optimizer's).
            net.to(memory_format=torch.channels_last)
        use_graphs = cuda if graphs is None else graphs
        self._side = torch.cuda.Stream(self.device) if cuda else None
        self.loss_sum = torch.zeros((), device=self.device)
        self.correct = torch.zeros((), dtype=torch.int64, device=self.device)
        self.n = 0
        self._eval_correct = torch.zeros((), dtype=torch.int64, device=self.device)
        self._train = GraphedBatches(self._step, self._settings, use_graphs, "training")
        self._evaluate = GraphedBatches(self._count_correct, self._settings, use_graphs, "evaluating")

    @property
    def graphs(self) -> bool:
        """Whether new batch shapes of training steps are still captured as CUDA graphs: False on
        the CPU, with ``graphs=False``, and after a failed capture (shapes captured before that
        keep replaying)."""
        return self._train.enabled

    def reset(self) -> None:
        self.loss_sum.zero_()
        self.correct.zero_()
        self.n = 0

    def read(self) -> tuple[float, float]:
        """Mean loss and accuracy since ``reset()`` (this waits for the device)."""
        return read_sums(self.sums())

    def sums(self) -> Sums:
        """Copies of the sums since ``reset()``, still on the device: keeping them does not wait
        for it; ``read_sums`` turns them into (mean loss, accuracy)."""
        if self.n == 0:
            raise ValueError("no examples were trained on since reset()")
        return self.loss_sum.clone(), self.correct.clone(), self.n

    def __call__(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.n += y.numel()
        self._train(X, y)

    def accuracy(self, data_iter: Iterable) -> float:
        """Fraction of correct predictions of ``net`` (in eval mode) over ``data_iter``'s batches,
        each moved to the net's device; on a GPU the forward pass is replayed as a CUDA graph."""
        correct, total = self.count_correct(data_iter)
        return correct.item() / total

    def count_correct(self, data_iter: Iterable) -> tuple[torch.Tensor, int]:
        """``accuracy``'s correct predictions (a copy, still on the device) and examples, so a
        caller can read the fraction later without waiting for the device now."""
        was_training = self.net.training
        self.net.eval()
        self._eval_correct.zero_()
        total = 0
        try:
            with torch.no_grad():
                for X, y in data_iter:
                    X, y = X.to(self.device), y.to(self.device)
                    self._evaluate(X, y)
                    total += y.numel()
        finally:
            self.net.train(was_training)
        if total == 0:
            raise ValueError("data_iter yielded no examples")
        return self._eval_correct.clone(), total

    @contextlib.contextmanager
    def _settings(self) -> Iterator[None]:
        """On CUDA: the lean kernels, and matrix products in TF32 as PyTorch already runs cuDNN's
        convolutions (restored afterwards). Captured graphs keep the kernels chosen here."""
        if self.device.type != "cuda":
            yield
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            previous = torch.get_float32_matmul_precision()
            torch.set_float32_matmul_precision("high")
        try:
            with LeanKernels():
                yield
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.set_float32_matmul_precision(previous)

    def _step(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        y_hat = self.net(X)
        l = self.loss(y_hat, y)
        if self._side is None:
            self._sum_metrics(y_hat, l, y)
            l.backward()
            self.optimizer.step()
            return
        # The sums need only the forward's results: on a side stream they overlap the backward pass.
        main = torch.cuda.current_stream(self.device)
        self._side.wait_stream(main)
        with torch.cuda.stream(self._side):
            self._sum_metrics(y_hat, l, y)
        l.backward()
        self.optimizer.step()
        main.wait_stream(self._side)

    @torch.no_grad()
    def _sum_metrics(self, y_hat: torch.Tensor, l: torch.Tensor, y: torch.Tensor) -> None:
        self.loss_sum.add_(l, alpha=y.numel())
        self.correct.add_((y_hat.argmax(dim=1) == y).sum())

    def _count_correct(self, X: torch.Tensor, y: torch.Tensor) -> None:
        self._eval_correct.add_((self.net(X).argmax(dim=1) == y).sum())
