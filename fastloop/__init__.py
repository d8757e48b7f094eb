"""fastloop: the same loop, made fast. A reading for advanced students.

``fastloop.train_ch6`` trains exactly as ``solutions/training.py`` does, the book's ``train_ch6``
(d2l 6.6.2): xavier initialisation, SGD on the cross-entropy loss, one step per mini-batch, the
mean loss, training accuracy and test accuracy of every epoch, the same returned history. What
changes is only how the work reaches the device. LeNet on Fashion-MNIST is tiny: on a GPU a step
is about fifty small kernels that each run for microseconds, so the time goes to Python, to
launching kernels and to waiting, not to arithmetic. Each trick below removes one such cost.

Metrics kept on the device (``TrainStep``). The book adds ``float(l)`` and ``accuracy(y_hat, y)``
to its ``Accumulator`` after every batch. Reading a number from the GPU makes the CPU wait until
the GPU has finished everything queued so far, and the GPU then idles while the CPU prepares the
next batch. The sums stay device tensors instead (``cnnkit.Accumulator`` can do this too), so
the CPU runs ahead and queues work while the GPU computes.

CUDA graphs (``GraphedBatches``). Once the CPU no longer waits, launching fifty kernels from
Python per step is the limit. A CUDA graph records the whole step (zero_grad, forward, loss,
backward, optimizer step, metric sums) once and replays it with a single launch. A graph replays
fixed memory, so each batch is copied into the graph's own input tensors; each batch shape (an
epoch's smaller last batch too) is captured after one eager warm-up call, which does the lazy
set-up (cuBLAS handles, gradient buffers) that must not happen during a capture. Code that
cannot be captured (a forward that reads a value back to the host) trains eagerly, with a
warning. The evaluation's forward pass is graphed the same way.

Triton convolutions (``lean_kernels``, ``conv_kernels``). cuDNN's convolutions are built for large
images; at LeNet's sizes most of a step went to them, their layout conversions and split
reductions. Inside ``LeanKernels`` (a ``TorchFunctionMode`` that intercepts ``F.conv2d`` and
``F.avg_pool2d``) small stride-1 convolutions run one Triton kernel per direction that gathers its
inputs in registers (im2col without the copy) and multiplies on the tensor cores in TF32, as
cuDNN does by default; a pooling whose windows tile the input gets a one-kernel gradient.
Anything else runs PyTorch's operator unchanged.

One read-back at the end (``TrainStep.sums``, ``count_correct``, ``DeviceTimer``). Even reading
the sums once per epoch makes the GPU idle while the CPU shuffles the next epoch. So each epoch's
sums and test count are kept as device tensors and all read after the last epoch; the epochs are
timed with CUDA events, because a host clock would time only how long the CPU took to queue them.

Channels-last on a CPU. oneDNN, PyTorch's CPU convolution library, computes in an NHWC layout;
with the weights stored channels-last it skips the layout conversions of every step. The plain
reference does this too; on a GPU it did not pay, so neither does it there.

The arithmetic is the same algorithm as the plain loop: on the CPU the same numbers, on a GPU
within TF32's rounding. The price is the code you read here. Read ``trainer.py`` first (the loop),
then ``train_step.py`` (the step and its graphs), ``lean_kernels.py`` and ``conv_kernels.py``.
Nothing that students or the grading workers import uses this package, and a release leaves it
out; ``benchmarks/`` measures it (``train_throughput.py --trainer fastloop``).
"""

from .train_step import DeviceTimer, GraphedBatches, TrainStep, read_sums
from .trainer import evaluate_accuracy_gpu, init_weights, train_ch6

__all__ = [
    "DeviceTimer",
    "GraphedBatches",
    "TrainStep",
    "evaluate_accuracy_gpu",
    "init_weights",
    "read_sums",
    "train_ch6",
]
