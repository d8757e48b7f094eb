"""Watching training: a progress bar per epoch and the book's training-curve figure.

The bar (tqdm) shows loss, accuracy and examples/s while an epoch runs and stays silent when the
output is not a terminal (graders, CI logs). The figure is d2l's: train loss, train acc and test
acc per epoch, saved as a PNG with matplotlib's Agg backend, so it works without a display.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], desc: str, total: int | None = None, enabled: bool | None = None) -> Iterator[T]:
    """Wrap ``iterable`` in a tqdm bar, shown only when stderr is a terminal (or ``enabled``).

    ``iterable`` is iterated once. (tqdm.auto's class calls ``iter()`` on an iterable when the bar
    is made and again when it is looped over: a second pass per epoch, with its own shuffle, or a
    DataLoader's workers started twice. So the bar gets an iterator.)
    """
    from tqdm.auto import tqdm

    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(iter(iterable), desc=desc, total=total, disable=not show, leave=False, unit="batch", dynamic_ncols=True)


def plot_history(history: dict, path: str | Path | BinaryIO | None = None):
    """Draw train loss, train acc and test acc per epoch; save to ``path`` (a PNG file name or a
    binary file object) when given.

    Returns the matplotlib figure, which a notebook shows inline.
    """
    import matplotlib

    if path is not None and "ipykernel" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib.figure import Figure

    epochs = range(1, len(history["train_loss"]) + 1)
    figure = Figure(figsize=(4.5, 3.2), dpi=100)
    axes = figure.subplots()
    dots = {"marker": "o", "markersize": 3}  # a one-epoch history is a point, not a line
    axes.plot(epochs, history["train_loss"], "-", label="train loss", **dots)
    axes.plot(epochs, history["train_acc"], "m--", label="train acc", **dots)
    axes.plot(epochs, history["test_acc"], "g-.", label="test acc", **dots)
    axes.set_xlabel("epoch")
    axes.set_xlim(1, max(len(epochs), 2))
    axes.grid(True)
    axes.legend()
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, format="png")
    return figure
