"""Stage 4, runner: grade one submission (``grade``) into results (``results``)."""

from .grade import grade
from .results import CheckResult, ExerciseResult, Report

__all__ = ["CheckResult", "ExerciseResult", "Report", "grade"]
