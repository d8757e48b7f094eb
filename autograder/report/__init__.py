"""Reports: the data model (``model``) and its renderings (``render``)."""
from .model import CheckResult, ExerciseResult, Report, validate
from .render import FORMATS

__all__ = ["CheckResult", "ExerciseResult", "Report", "validate", "FORMATS"]
