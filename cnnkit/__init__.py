"""cnnkit: the small helper package shared by the exercises and the reference solutions.

* :mod:`cnnkit.utils`: d2l's training helpers (``try_gpu``, ``Timer``, ``Accumulator``, ``accuracy``).
* :mod:`cnnkit.data`: Fashion-MNIST found on disk (:mod:`cnnkit.datafiles`), md5-verified, batched
  from memory (``load_data_fashion_mnist`` and friends).
* :mod:`cnnkit.monitor`: a progress bar per epoch and the book's training-curve figure.
"""

import importlib
from typing import Any

#: Each name of the package and the module that defines it. Imported on first use: ``import cnnkit``
#: loads no torch, so the grader can find the data (``cnnkit.datafiles``) before it imports torch.
EXPORTS = {
    "DatasetChecksumError": "data",
    "DatasetNotFoundError": "datafiles",
    "TensorBatches": "data",
    "find_fashion_mnist": "datafiles",
    "get_fashion_mnist_labels": "data",
    "load_data_fashion_mnist": "data",
    "read_fashion_mnist": "data",
    "plot_history": "monitor",
    "progress": "monitor",
    "Accumulator": "utils",
    "Timer": "utils",
    "accuracy": "utils",
    "try_gpu": "utils",
}
__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    if name in EXPORTS:
        return getattr(importlib.import_module(f".{EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *EXPORTS])
