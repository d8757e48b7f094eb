"""How the grader trains a submission's ``train_ch6``: the split of the data, the seed, the
calibrations. The budgets themselves are in ``autograder/training_budgets.py``.

The thresholds are calibrated on the reference (``calibration.json``, recorded by
``python -m autograder.calibrate``); ``docs/training-threshold.md`` says how and why.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ...settings import Settings
from ...training_budgets import Budget

#: Seed of the split, the shuffling and the initialisation when the run has no ``--seed``.
DEFAULT_SEED = 0
#: Images in Fashion-MNIST's training split, from which ``split`` draws the worker's images.
TRAINING_SPLIT = 60_000
#: The reference's test accuracy per seed, per budget and kind of device (``python -m autograder.calibrate``).
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


def split(seed: int, b: Budget) -> tuple[torch.Tensor, torch.Tensor]:
    """(the images to train on, the held-out images of ``test_iter``) as indices into the training
    split: a seeded draw, so a run is repeatable and the parent knows which images were held out."""
    order = torch.randperm(TRAINING_SPLIT, generator=torch.Generator().manual_seed(seed))
    return order[: b.train_images], order[b.train_images : b.train_images + b.held_out_images]


def training_seed(settings: Settings) -> int:
    """The seed of this run's split, shuffling and initialisation."""
    return settings.seed if settings.seed is not None else DEFAULT_SEED


def load_calibration() -> dict:
    """The recorded calibrations, by ``budget/device kind``."""
    return json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")) if CALIBRATION_FILE.exists() else {}
