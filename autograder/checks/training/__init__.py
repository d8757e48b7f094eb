"""Hidden checks of ``evaluate_accuracy_gpu`` and ``train_ch6`` (d2l 6.6.2), the one exercise whose
checks fill a package: ``budgets`` (the split of the data, the seed, the calibrations; the budgets
themselves are ``autograder/training_budgets.py``), ``observations`` (the training runs, made once
per grading run and judged by several checks), ``evaluate`` and ``train`` (the checks, one claim each).
Thresholds and their calibration: ``docs/training-threshold.md``.
"""

from ...training_budgets import BUDGETS
from ..framework import checks_of
from .evaluate import EVALUATE
from .train import TRAIN

EXERCISE = checks_of("training")
EXERCISE.checks = [*EVALUATE.checks, *TRAIN.checks]
#: The training run has its own time limit (its budget's ``timeout``): the exercise's budget adds it.
EXERCISE.extra_seconds = lambda settings: (
    BUDGETS[settings.training_budget].timeout if settings.training_budget in BUDGETS else 0.0
)
