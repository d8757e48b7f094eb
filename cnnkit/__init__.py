"""cnnkit: the small helper package shared by the exercises and the reference solutions.

* :mod:`cnnkit.utils`: d2l's training helpers (``try_gpu``, ``Timer``, ``Accumulator``, ``accuracy``).
* :mod:`cnnkit.data`: Fashion-MNIST found on disk, md5-verified, batched from memory
  (``load_data_fashion_mnist`` and friends).
* :mod:`cnnkit.monitor`: a progress bar per epoch and the book's training-curve figure.
"""

from .data import (
    DatasetChecksumError,
    DatasetNotFoundError,
    TensorBatches,
    find_fashion_mnist,
    get_fashion_mnist_labels,
    load_data_fashion_mnist,
    read_fashion_mnist,
)
from .monitor import plot_history, progress
from .utils import Accumulator, Timer, accuracy, try_gpu

__all__ = [
    "Accumulator",
    "DatasetChecksumError",
    "DatasetNotFoundError",
    "TensorBatches",
    "Timer",
    "accuracy",
    "find_fashion_mnist",
    "get_fashion_mnist_labels",
    "load_data_fashion_mnist",
    "plot_history",
    "progress",
    "read_fashion_mnist",
    "try_gpu",
]
