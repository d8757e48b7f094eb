"""How the grader trains a submission's ``train_ch6``: the budgets (``--training-budget``) and the
credit an accuracy earns under one.

Without torch, so the command lines can offer the budgets before a grading has started its
workers. The thresholds are calibrated on the reference (``checks/training/budgets.py`` draws the
split and reads ``calibration.json``); ``docs/training-threshold.md`` says how and why.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    """How the grader trains the submission's ``train_ch6``, and the accuracy it then requires.

    The worker trains on ``train_images`` seeded random training images; ``held_out_images`` other
    training images form its ``test_iter``. The accuracy on the official test set earns
    ``reaches_accuracy``'s points on a band: all of them at or above ``threshold`` (every recorded
    reference seed reaches it), none at or below ``floor`` (where a network that did not learn
    stays), in proportion between (None: measured and reported, not required). ``timeout`` bounds
    the training call. ``reference`` describes what the reference reaches (docs/training-threshold.md).
    """

    train_images: int
    held_out_images: int
    batch_size: int
    epochs: int
    lr: float
    threshold: float | None
    timeout: float
    reference: str
    floor: float | None = None


def accuracy_credit(accuracy: float, b: Budget) -> float:
    """The share of ``reaches_accuracy``'s points that a trained network's test accuracy earns: all
    at or above the budget's threshold, none at or below its floor, linear in between (all where
    the budget requires no accuracy)."""
    if b.threshold is None or accuracy >= b.threshold:
        return 1.0
    if b.floor is None or accuracy <= b.floor:
        return 0.0
    return (accuracy - b.floor) / (b.threshold - b.floor)


BUDGETS = {
    # The default: 150,000 training examples, about 21 s of CPU time on one thread, worker start
    # included. The time limit leaves room for a loaded grading machine and a slower correct loop.
    "standard": Budget(50_000, 2_000, 64, 3, 0.5, 0.48, 300.0, "0.54-0.76, typically 0.71", floor=0.15),
    # The book's budget (d2l 6.6: 10 epochs, lr 0.9, batch 256): about 55 s of CPU time on one
    # thread, 12-15 s on a GPU (worker start included).
    "book": Budget(58_000, 2_000, 256, 10, 0.9, 0.74, 900.0, "0.79-0.82, typically 0.81", floor=0.15),
    # A smoke test (CI, trying a course out): too short for the sigmoid LeNet to leave its plateau
    # near 0.10, so the accuracy is reported, not required. Never grade a class with it. Its
    # calibration measures where a network that did not learn stays: the others' ``floor``.
    "small": Budget(2_000, 500, 64, 1, 0.5, None, 300.0, "about 0.10 (the plateau)"),
}
DEFAULT_BUDGET = "standard"
