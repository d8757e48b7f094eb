"""What grading produces: a result per check, per exercise and per submission, and its JSON form.

Every output format (``report/``), the batch's gradebook and the class report are made from these.
The JSON layout is versioned (``FORMAT``) and checked against ``report/schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..inert import clean
from ..reasons import Reason
from ..settings import Settings
from ..text import Text

#: ``partial``: passed for part of its points (a ``Partial`` verdict); every other status but ``passed`` earns none.
STATUSES = ("passed", "partial", "failed", "error", "skipped")
#: Version of the JSON layout of ``Report.to_dict`` (``report/schema.json``): 3 added the ``partial``
#: status and the ``budget_spent`` and ``memory_limit`` reasons.
FORMAT = 3


@dataclass
class CheckResult:
    """One check's outcome; ``reason`` says why it was not judged on the answer alone (or None).

    ``score`` is the points earned: given explicitly for a partial credit, otherwise all of
    ``max_score`` for a pass and none for anything else."""

    name: str
    title: Text
    status: str
    max_score: float
    message: Text | None = None
    hint: Text | None = None
    seconds: float = 0.0
    reason: Reason | None = None
    score: float | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, got {self.status!r}")
        if self.score is None:
            self.score = self.max_score if self.status == "passed" else 0.0
        partial = self.status == "partial"
        if (partial and not 0 < self.score < self.max_score) or (
            not partial and self.score != (self.max_score if self.status == "passed" else 0.0)
        ):
            raise ValueError(f"{self.name}: a {self.status} check cannot score {self.score!r} of {self.max_score!r}")


@dataclass
class ExerciseResult:
    name: str
    checks: list[CheckResult]
    output: str = ""
    #: Files the grader drew for the feedback (e.g. ``training.png``): name -> bytes.
    attachments: dict[str, bytes] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.checks)


@dataclass
class Report:
    """One submission's grade under ``settings``; ``sandbox`` is the header's isolation line."""

    exercises: list[ExerciseResult]
    submission: str
    settings: Settings = field(default_factory=Settings)
    sandbox: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    @property
    def incomplete(self) -> list[Text]:
        """Why the score is only a lower bound: the messages of checks this machine could not run."""
        return [c.message for e in self.exercises for c in e.checks if c.status == "skipped" and c.message is not None]

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """The documented JSON layout (see ``report/schema.json``), messages in ``lang`` (the run's by default)."""
        lang = lang or self.settings.lang

        def text(value: Text | None) -> str:  # what came from the submission may hold lone surrogates
            return clean(value(lang)) if value is not None else ""

        return {
            "format": FORMAT,
            "score": round(self.score, 4),
            "max_score": round(self.max_score, 4),
            "exercises": [
                {
                    "name": e.name,
                    "score": round(e.score, 4),
                    "max_score": round(e.max_score, 4),
                    "output": clean(e.output),
                    "attachments": sorted(e.attachments),
                    "checks": [
                        {
                            "name": c.name,
                            "title": text(c.title),
                            "status": c.status,
                            "score": round(c.score, 4),
                            "max_score": round(c.max_score, 4),
                            "message": text(c.message),
                            "hint": text(c.hint),
                            "reason": c.reason.value if c.reason is not None else None,
                            "seconds": round(c.seconds, 3),
                        }
                        for c in e.checks
                    ],
                }
                for e in self.exercises
            ],
            "submission": clean(self.submission),
            "seed": self.settings.seed,
            "sandbox": self.sandbox,
            "device": self.settings.device,
            "training_budget": self.settings.training_budget,
            "seconds": round(self.seconds, 3),
            "complete": not self.incomplete,
            "incomplete_reasons": [text(t) for t in self.incomplete],
            "lang": lang,
        }
