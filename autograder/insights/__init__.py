"""After the grading: what a class did (``classreport``, rendered by ``classpage``) and who wrote whose
code (``similarity``, rendered by ``similaritypage``), from files only: the results folder of a batch,
and the submissions themselves, which are read and never run."""

from .classpage import write_class_report
from .classreport import ClassReport, class_report
from .cli import add_parsers
from .similarity import DEFAULT_THRESHOLD, Similarity, similarity
from .similaritypage import write_similarity_report

__all__ = [
    "DEFAULT_THRESHOLD",
    "ClassReport",
    "Similarity",
    "add_parsers",
    "class_report",
    "similarity",
    "write_class_report",
    "write_similarity_report",
]
