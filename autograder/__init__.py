"""cnn-kit's grader: load a submission, run hidden checks against it in a worker, score, report.

Stages, one module or package each: ``load`` (find the submission's modules), ``worker`` (the
separate process student code runs in), ``checks`` (one module per exercise), ``runner``
(scoring one submission), ``report`` (model and renderings), ``cli`` (the command line).
"""
from .runner import grade

__all__ = ["grade"]
