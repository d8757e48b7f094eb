"""The class's statistics, read from the per-student ``report.json`` (and ``meta.json``) of a results folder.

Only those files are read, so a folder written by any executor works. Every report is validated
against the schema; one that cannot be read or does not validate is listed, never fatal. Whether a
check was judged, not attempted or not gradable comes from its reason code (``autograder/reasons.py``),
and whether a whole submission was broken from ``meta.json``'s status (``docs/batch.md``), never from
message text. Scores are read from the reports (a check may earn part of its points).
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import registry
from ..reasons import Reason
from ..report import validate
from ..training_budgets import BUDGETS, Budget, accuracy_credit

#: Reasons meaning the student did not try: the stub still raises NotImplementedError.
NOT_ATTEMPTED = {Reason.NOT_IMPLEMENTED}
#: Reasons meaning the check could not judge the student at all (the machine, the grader, the submission as a whole).
NOT_GRADABLE = {Reason.ENVIRONMENT, Reason.INTERNAL_ERROR, Reason.NOT_GRADED}
#: The check whose message carries the test accuracy the grader measured after training.
ACCURACY_CHECK = ("training", "reaches_accuracy")
#: Failure groups shown per check.
TOP_FAILURES = 3


@dataclass
class Student:
    """One folder of the results: its report (None when unreadable), its meta data, and what went wrong reading it."""

    id: str
    report: dict[str, Any] | None
    meta: dict[str, Any] | None
    problem: str | None = None

    @property
    def state(self) -> str:
        """``complete``, ``incomplete`` (a check skipped because of the machine) or ``broken`` (not graded)."""
        assert self.report is not None
        status = str(self.meta.get("status", "")) if self.meta else ""
        checks = [c for e in self.report["exercises"] for c in e["checks"]]
        if status.startswith("error") or all(c.get("reason") == Reason.NOT_GRADED for c in checks):
            return "broken"
        return "complete" if self.report["complete"] else "incomplete"

    @property
    def fraction(self) -> float:
        assert self.report is not None
        return self.report["score"] / self.report["max_score"]


@dataclass
class FailureGroup:
    """Failures of one check whose messages have one shape (numbers, tensors, quotes normalised)."""

    shape: str
    reason: str | None
    count: int
    example: str  # one message of the group, with the student's name and paths taken out


@dataclass
class CheckStats:
    exercise: str
    name: str
    title: str
    max_score: float
    attempted: int = 0  # judged on the student's code (failed crashes and timeouts included)
    passed: int = 0
    points: float = 0.0  # earned by those who attempted
    not_attempted: int = 0
    not_gradable: int = 0
    failures: list[FailureGroup] = field(default_factory=list)

    @property
    def pass_share(self) -> float | None:
        return self.passed / self.attempted if self.attempted else None

    @property
    def points_share(self) -> float | None:
        return self.points / (self.attempted * self.max_score) if self.attempted else None


@dataclass
class ExerciseStats:
    name: str
    max_score: float
    students: int = 0  # reports that graded this exercise (broken submissions left out)
    attempted: int = 0  # students with at least one attempted check
    full: int = 0  # students with every point of the exercise
    points: float = 0.0  # earned by those who attempted
    checks: list[CheckStats] = field(default_factory=list)  # hardest first

    @property
    def mean_share(self) -> float | None:
        return self.points / (self.attempted * self.max_score) if self.attempted else None


@dataclass
class ScoreSummary:
    count: int
    max_score: float | None  # None when the reports graded different sets of exercises (scores then in %)
    scores: list[float]  # in points, or in percent when max_score is None
    states: list[str]  # per score: complete, incomplete, broken
    mean: float
    median: float
    q1: float
    q3: float
    lowest: float
    highest: float

    def count_of(self, state: str) -> int:
        return self.states.count(state)


@dataclass
class Accuracies:
    """The test accuracies the grader measured after training each student's ``train_ch6``, and the
    budget they were trained under (its threshold and floor: ``training_budgets``)."""

    values: list[float]
    budget: str | None

    @property
    def rules(self) -> Budget | None:
        return BUDGETS.get(self.budget) if isinstance(self.budget, str) else None

    @property
    def threshold(self) -> float | None:
        return self.rules.threshold if self.rules else None

    @property
    def floor(self) -> float | None:
        """At or below it the accuracy earns nothing; up to the threshold, a share (None: no band)."""
        return self.rules.floor if self.rules else None

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def passed(self) -> int:
        """How many earned all of the accuracy's points (every one, where the budget requires none)."""
        rules = self.rules
        return sum(accuracy_credit(v, rules) == 1 for v in self.values) if rules else len(self.values)

    @property
    def in_band(self) -> int:
        """How many earned part of the accuracy's points."""
        rules = self.rules
        return sum(0 < accuracy_credit(v, rules) < 1 for v in self.values) if rules else 0


@dataclass
class Ungraded:
    """Checks that could not judge a student, by reason code, and whole submissions that were not graded."""

    checks: dict[str, int]  # reason -> checks
    students: dict[str, int]  # reason -> students with at least one such check
    broken: list[tuple[str, list[str]]]  # (student, the reason codes of its checks)


@dataclass
class ClassReport:
    results: str
    students: list[Student]
    summary: ScoreSummary | None
    exercises: list[ExerciseStats]
    accuracies: Accuracies | None
    ungraded: Ungraded

    @property
    def unreadable(self) -> list[Student]:
        return [s for s in self.students if s.report is None]

    @property
    def hardest(self) -> list[CheckStats]:
        """Every check that someone attempted, hardest first."""
        return sorted((c for e in self.exercises for c in e.checks if c.attempted), key=difficulty)


def difficulty(check: CheckStats) -> tuple:
    return (check.points_share, check.pass_share, -check.attempted, check.exercise, check.name)


# --------------------------------------------------------------------------- reading


def read_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return data


def read_student(folder: Path) -> Student:
    """One student's folder; a report that cannot be read or does not validate becomes a ``problem``."""
    meta = None
    if (folder / "meta.json").is_file():
        try:
            meta = read_json(folder / "meta.json")
        except (OSError, ValueError):
            meta = None  # the report alone still says everything the statistics need
    try:
        report = read_json(folder / "report.json")
    except FileNotFoundError:
        return Student(folder.name, None, meta, "no report.json")
    except (OSError, ValueError) as exc:
        return Student(folder.name, None, meta, f"report.json is not readable JSON ({one_line(str(exc))})")
    try:
        validate(report)
    except Exception as exc:  # jsonschema.ValidationError: say where, briefly
        where = "/".join(str(p) for p in getattr(exc, "absolute_path", [])) or "top level"
        message = getattr(exc, "message", str(exc))
        return Student(
            folder.name, None, meta, f"report.json does not match the schema at {where}: {one_line(message)}"
        )
    return Student(folder.name, report, meta)


def read_results(results: str | Path) -> list[Student]:
    """Every student folder of ``results`` (one with a ``report.json`` or a ``meta.json``), sorted by id."""
    results = Path(results)
    if not results.is_dir():
        raise NotADirectoryError(f"{results} is not a folder of results (expected <student>/report.json)")
    folders = [
        entry
        for entry in sorted(results.iterdir())
        if entry.is_dir()
        and not entry.name.startswith(".")
        and ((entry / "report.json").exists() or (entry / "meta.json").exists())
    ]
    if not folders:
        raise FileNotFoundError(
            f"no student reports in {results}: expected <student>/report.json as written by autograde grade-all"
        )
    return [read_student(folder) for folder in folders]


# --------------------------------------------------------------------------- messages

#: ``tensor([[1., 2.]])`` as PyTorch prints it, and ``tensor 2x3 float32`` as the checks describe one.
TENSOR = re.compile(r"tensor\((?:[^()]|\([^()]*\))*\)|tensor (?:\d+x)*\d+ \w+", re.DOTALL)
QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?(?![\w.])", re.IGNORECASE)
NUMBER_LIST = re.compile(r"[\[(](?:\s*(?:#|…|[\[(][^\[\]()]*[\])])\s*,?)+\s*[\])]")
PATH = re.compile(r"(?:/[\w.@+-]+)+/([\w.@+-]+)")


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shape(message: str) -> str:
    """The message's shape: tensors, quoted text, numbers and lists of numbers replaced by placeholders,
    so that one mistake made by many students with different counterexamples is one group."""
    text = TENSOR.sub("tensor(…)", message)
    text = PATH.sub(r"\1", text)
    text = QUOTED.sub("'…'", text)
    text = NUMBER.sub("#", text)
    previous = None
    while previous != text:
        previous, text = text, NUMBER_LIST.sub(lambda m: f"{m.group(0)[0]}…{m.group(0)[-1]}", text)
    return one_line(text)


def anonymised(message: str, student: Student) -> str:
    """``message`` without the student's id and paths (folder names often carry a name)."""
    text = PATH.sub(r"\1", message)
    names = {student.id}
    for source in (student.report.get("submission") if student.report else None, (student.meta or {}).get("source")):
        if source:
            names |= {source, Path(source).name, Path(source).stem}
    for name in sorted((n for n in names if len(n) >= 3), key=len, reverse=True):
        text = re.sub(rf"(?<![\w]){re.escape(name)}(?![\w])", "<student>", text)
    return text.strip()


# --------------------------------------------------------------------------- statistics


def score_summary(students: list[Student]) -> ScoreSummary | None:
    graded = [s for s in students if s.report is not None]
    if not graded:
        return None
    maxima = {s.report["max_score"] for s in graded}
    max_score = maxima.pop() if len(maxima) == 1 else None
    scores = [s.report["score"] if max_score is not None else 100 * s.fraction for s in graded]
    q1, median, q3 = statistics.quantiles(scores, n=4, method="inclusive") if len(scores) > 1 else [scores[0]] * 3
    return ScoreSummary(
        len(scores),
        max_score,
        scores,
        [s.state for s in graded],
        statistics.fmean(scores),
        median,
        q1,
        q3,
        min(scores),
        max(scores),
    )


def exercise_stats(students: list[Student]) -> list[ExerciseStats]:
    """Per exercise and per check: who attempted, who passed, the points, and the failures grouped."""
    table: dict[str, ExerciseStats] = {}
    checks: dict[tuple[str, str], CheckStats] = {}
    failures: dict[tuple[str, str], Counter] = {}
    examples: dict[tuple[str, str, str | None, str], str] = {}
    for student in students:
        if student.report is None or student.state == "broken":
            continue
        for exercise in student.report["exercises"]:
            stats = table.setdefault(exercise["name"], ExerciseStats(exercise["name"], exercise["max_score"]))
            stats.students += 1
            attempted = False
            for check in exercise["checks"]:
                key = (exercise["name"], check["name"])
                row = checks.setdefault(
                    key,
                    CheckStats(exercise["name"], check["name"], check.get("title", check["name"]), check["max_score"]),
                )
                reason = check.get("reason")
                if reason in NOT_ATTEMPTED:
                    row.not_attempted += 1
                    continue
                if reason in NOT_GRADABLE:
                    row.not_gradable += 1
                    continue
                attempted = True
                row.attempted += 1
                row.points += check["score"]
                if check["status"] == "passed":
                    row.passed += 1
                    continue
                example = anonymised(check["message"], student)
                group = (reason, shape(example))
                failures.setdefault(key, Counter())[group] += 1
                examples.setdefault((*key, *group), example)
            if attempted:
                stats.attempted += 1
                stats.points += exercise["score"]
                stats.full += exercise["score"] >= exercise["max_score"]
    for key, row in checks.items():
        row.failures = [
            FailureGroup(message_shape, reason, count, examples[(*key, reason, message_shape)])
            for (reason, message_shape), count in sorted(
                failures.get(key, Counter()).items(), key=lambda item: (-item[1], item[0][1])
            )[:TOP_FAILURES]
        ]
        table[key[0]].checks.append(row)
    for stats in table.values():
        stats.checks.sort(key=lambda c: (c.attempted == 0, difficulty(c) if c.attempted else ()))
    order = {name: index for index, name in enumerate(registry.NAMES)}
    return sorted(table.values(), key=lambda e: order.get(e.name, len(order)))


ACCURACY = re.compile(r"(?<![\d.])([01]\.\d{4})(?![\d])")


def measured_accuracy(message: str) -> float | None:
    """The test accuracy in a ``reaches_accuracy`` message: its first number written with four decimals
    (``test accuracy 0.7134 (required: 0.48; ...)``, ``... classifies 0.1000 of the 10,000 ...``)."""
    found = ACCURACY.search(message)
    return float(found.group(1)) if found else None


def accuracies(students: list[Student]) -> Accuracies | None:
    """The accuracies of the trained networks, with the threshold of the class's (most common) budget."""
    values, budgets = [], Counter()
    for student in students:
        if student.report is None or student.state == "broken":
            continue
        for exercise in student.report["exercises"]:
            for check in exercise["checks"]:
                if (exercise["name"], check["name"]) != ACCURACY_CHECK or check.get("reason") is not None:
                    continue
                value = measured_accuracy(check["message"])
                if value is not None:
                    values.append(value)
                    budgets[student.report.get("training_budget")] += 1
    if not values:
        return None
    budget = budgets.most_common(1)[0][0]
    return Accuracies(sorted(values), budget)


def ungraded(students: list[Student]) -> Ungraded:
    checks: Counter = Counter()
    students_by_reason: Counter = Counter()
    broken = []
    for student in students:
        if student.report is None:
            continue
        reasons = [c.get("reason") for e in student.report["exercises"] for c in e["checks"] if c.get("reason")]
        if student.state == "broken":
            broken.append((student.id, sorted(set(reasons))))
        for reason in reasons:
            checks[reason] += 1
        for reason in set(reasons):
            students_by_reason[reason] += 1
    order = [r.value for r in Reason]
    return Ungraded(
        dict(sorted(checks.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))),
        dict(students_by_reason),
        broken,
    )


def class_report(results: str | Path) -> ClassReport:
    """The statistics of the results folder of a graded class."""
    students = read_results(results)
    return ClassReport(
        str(results),
        students,
        score_summary(students),
        exercise_stats(students),
        accuracies(students),
        ungraded(students),
    )
