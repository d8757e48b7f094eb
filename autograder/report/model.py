"""The grading report: what every output format is rendered from, and its JSON form."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jsonschema

from ..checks.framework import Text

STATUSES = ("passed", "failed", "error", "skipped")


@dataclass
class CheckResult:
    name: str
    title: Text
    status: str
    max_score: float
    message: Text | None = None
    hint: Text | None = None
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return self.max_score if self.status == "passed" else 0.0


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
    exercises: list[ExerciseResult]
    submission: str
    seed: int | None = None
    sandbox: str = ""
    seconds: float = 0.0
    incomplete: list[Text] = field(default_factory=list)
    #: Where train_ch6 trained, and with which budget (``--device``, ``--training-budget``).
    device: str = "cpu"
    training_budget: str = "standard"

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The documented JSON layout (see ``schema.json``), messages in ``lang``."""

        def text(value: Text | None) -> str:
            return value(lang) if value is not None else ""

        return {
            "score": round(self.score, 4),
            "max_score": round(self.max_score, 4),
            "exercises": [
                {"name": e.name, "score": round(e.score, 4), "max_score": round(e.max_score, 4),
                 "output": e.output, "attachments": sorted(e.attachments),
                 "checks": [{"name": c.name, "title": text(c.title), "status": c.status,
                             "score": round(c.score, 4), "max_score": round(c.max_score, 4),
                             "message": text(c.message), "hint": text(c.hint),
                             "seconds": round(c.seconds, 3)} for c in e.checks]}
                for e in self.exercises],
            "submission": self.submission,
            "seed": self.seed,
            "sandbox": self.sandbox,
            "device": self.device,
            "training_budget": self.training_budget,
            "seconds": round(self.seconds, 3),
            "complete": not self.incomplete,
            "incomplete_reasons": [text(t) for t in self.incomplete],
            "lang": lang,
        }


def schema() -> dict:
    """The JSON schema of :meth:`Report.to_dict`."""
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text())


def validate(data: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``data`` is not a valid report."""
    jsonschema.validate(data, schema())
