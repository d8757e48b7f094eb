"""Code similarity between every pair of students of a class, one exercise module at a time.

The fingerprints and their comparison are copydetect's (winnowing over the token stream, the method
of MOSS; names become ``V``/``F``, strings ``S``, comments and layout vanish, so renaming variables or
rewriting comments changes nothing). The released stubs (``exercises/<name>.py``) are copydetect's
boilerplate: what every student was given never counts. A pair's score for a module is the larger of
the two shares copydetect reports (the share of one student's own code found in the other's), so a
student who copied a module into a longer one is still caught. Submissions are read as the grader
reads them (folders, ``.zip`` archives, nbgrader notebooks) and never run.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import registry
from ..batch.discover import discover, opened
from ..load import SubmissionError, load_submission, reference_submission

#: A pair at or above this score for a module is flagged. Measured on the generated class (docs/insights.md):
#: independent correct solutions score at most 0.38, copies (renamed, recommented, edited) 0.59 and more.
DEFAULT_THRESHOLD = 0.5
#: The label of the reference solutions when they take part as a pseudo-student (``--with-reference``).
REFERENCE_ID = "[reference]"


@dataclass
class Author:
    """One student (or the reference): the source of each exercise module found."""

    id: str
    modules: dict[str, str]
    reference: bool = False


@dataclass
class Match:
    """Two authors' versions of one module and what copydetect found common to them."""

    exercise: str
    a: Author
    b: Author
    share_a: float  # the share of a's code (stubs left out) found in b's
    share_b: float
    tokens: int  # a's tokens (after copydetect's filtering) found in b's

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)


@dataclass
class Similarity:
    """Every pair with something in common, and what could not be compared."""

    threshold: float
    authors: list[Author]
    matches: list[Match]  # sorted by score, highest first
    not_compared: dict[str, str] = field(default_factory=dict)  # author id -> why
    unreadable_modules: list[tuple[str, str, str]] = field(default_factory=list)  # (author, module, why)
    fingerprints: dict[str, dict[str, "Fingerprint"]] = field(default_factory=dict, repr=False)

    def regions(self, match: Match) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """The matching character ranges of each side's source, as copydetect's ``compare_files`` finds them."""
        from copydetect import compare_files

        prints = self.fingerprints[match.exercise]
        _, _, (slices_a, slices_b) = compare_files(prints[match.a.id].copydetect, prints[match.b.id].copydetect)
        return ranges(slices_a), ranges(slices_b)

    @property
    def flagged(self) -> list[Match]:
        return [m for m in self.matches if m.score >= self.threshold]

    def pairs(self) -> list[tuple[Author, Author, list[Match]]]:
        """The flagged matches gathered by pair of students, most modules first, then highest score."""
        found: dict[tuple[str, str], tuple[Author, Author, list[Match]]] = {}
        for m in self.flagged:
            found.setdefault((m.a.id, m.b.id), (m.a, m.b, []))[2].append(m)
        return sorted(found.values(), key=lambda p: (-len(p[2]), -max(m.score for m in p[2]), p[0].id, p[1].id))

    def groups(self) -> dict[str, list[list[str]]]:
        """Per exercise, the students linked by flagged pairs (connected groups, largest first)."""
        found: dict[str, list[list[str]]] = {}
        for exercise in registry.NAMES:
            parent: dict[str, str] = {}

            def root(x: str) -> str:
                while parent.setdefault(x, x) != x:
                    x = parent[x]
                return x

            for m in self.flagged:
                if m.exercise == exercise:
                    parent[root(m.a.id)] = root(m.b.id)
            members: dict[str, list[str]] = {}
            for x in parent:
                members.setdefault(root(x), []).append(x)
            if members:
                found[exercise] = sorted((sorted(g) for g in members.values()), key=lambda g: (-len(g), g))
        return found


def stub_sources() -> list[str]:
    """The released stubs: copydetect's boilerplate."""
    import exercises

    folder = Path(exercises.__file__).resolve().parent
    return [(folder / f"{name}.py").read_text(encoding="utf-8") for name in registry.NAMES]


def read_author(student) -> Author:
    """The exercise modules of one student of ``batch.discover`` (a zip is extracted to a scratch folder)."""
    with opened(student) as root:
        files = load_submission(root).files
    return Author(student.id, modules_of(files))


def modules_of(files: dict[str, bytes]) -> dict[str, str]:
    """The exercise modules among a submission's files, as text (undecodable bytes replaced)."""
    return {
        name: files[f"{name}.py"].decode("utf-8", errors="replace") for name in registry.NAMES if f"{name}.py" in files
    }


def read_class(submissions: str | Path, with_reference: bool = False) -> tuple[list[Author], dict[str, str]]:
    """The authors of ``submissions`` (and the reference), and the students that could not be read."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise SubmissionError(f"{submissions} is not a directory of submissions")
    authors, problems = [], {}
    for student in discover(submissions):
        try:
            authors.append(read_author(student))
        except (SubmissionError, OSError) as exc:
            problems[student.id] = str(exc)
    if with_reference:
        authors.append(Author(REFERENCE_ID, modules_of(reference_submission().files), reference=True))
    return authors, problems


class Fingerprint:
    """copydetect's fingerprint of one module, with its matched positions laid out for fast pairing."""

    def __init__(self, exercise: str, text: str, boilerplate: list[int]) -> None:
        from copydetect import CodeFingerprint, defaults

        noise, window = defaults.NOISE_THRESHOLD, defaults.GUARANTEE_THRESHOLD - defaults.NOISE_THRESHOLD + 1
        self.copydetect = CodeFingerprint(f"{exercise}.py", noise, window, boilerplate, fp=io.StringIO(text))
        self.hashes: set[int] = self.copydetect.hashes
        index = self.copydetect.hash_idx
        positions = [(i, h) for h, places in index.items() for i in places]
        positions.sort()
        self.positions = np.array([i for i, _ in positions], dtype=np.int64)
        self.hash_at = np.array([h for _, h in positions], dtype=np.int64)
        self.coverage = float(self.copydetect.token_coverage)

    def index(self, vocabulary: dict[int, int]) -> None:
        """Number this module's k-grams in the module's ``vocabulary`` (every k-gram of the class), so
        that a pair is compared by indexing arrays instead of intersecting sets."""
        self.ids = np.fromiter((vocabulary[h] for h in self.hash_at), dtype=np.int64, count=len(self.hash_at))
        self.present = np.zeros(len(vocabulary), dtype=bool)
        self.present[self.ids] = True

    def overlap(self, other: "Fingerprint") -> int:
        """The tokens of this module covered by k-grams it shares with ``other``: the numerator of
        copydetect's ``compare_files`` share, without building its slices (``tests/fast/test_insights.py``
        checks that the two agree)."""
        places = self.positions[other.present[self.ids]]
        if not len(places):
            return 0
        k = self.copydetect.k
        return int(k + np.minimum(np.diff(places), k).sum())


def boilerplate_hashes() -> list[int]:
    """Every k-gram of the released stubs (copydetect keeps all of them for boilerplate: window 1)."""
    from copydetect import CodeFingerprint, defaults

    found: set[int] = set()
    for stub in stub_sources():
        found |= CodeFingerprint("stub.py", defaults.NOISE_THRESHOLD, 1, fp=io.StringIO(stub)).hashes
    return sorted(found)


def compare(authors: list[Author], threshold: float = DEFAULT_THRESHOLD) -> Similarity:
    """Compare every pair of authors, module by module, with the stubs as boilerplate."""
    boilerplate = boilerplate_hashes()
    result = Similarity(threshold, authors, [])
    for exercise in registry.NAMES:
        prints: dict[str, Fingerprint] = {}
        by_text: dict[str, Fingerprint] = {}  # identical files (untouched stubs, exact copies) share one
        for author in authors:
            text = author.modules.get(exercise)
            if text is None:
                continue
            try:
                prints[author.id] = by_text.get(text) or by_text.setdefault(
                    text, Fingerprint(exercise, text, boilerplate)
                )
            except Exception as exc:  # the tokenizer on garbage: report the module, compare the rest
                result.unreadable_modules.append((author.id, exercise, f"{type(exc).__name__}: {exc}"))
        result.fingerprints[exercise] = prints
        vocabulary = {h: i for i, h in enumerate(set().union(*(f.hashes for f in by_text.values())))}
        for fingerprint in by_text.values():
            fingerprint.index(vocabulary)
        by_id = {a.id: a for a in authors}
        for first, second in itertools.combinations(sorted(prints), 2):
            one, two = prints[first], prints[second]
            tokens = one.overlap(two) if one.coverage and two.coverage else 0
            if not tokens:
                continue
            result.matches.append(
                Match(
                    exercise,
                    by_id[first],
                    by_id[second],
                    tokens / one.coverage,
                    two.overlap(one) / two.coverage,
                    tokens,
                )
            )
    result.matches.sort(key=lambda m: (-m.score, m.exercise, m.a.id, m.b.id))
    return result


def ranges(slices) -> list[tuple[int, int]]:
    """copydetect's 2xN array of slice starts and ends as (start, end) pairs."""
    return [(int(start), int(end)) for start, end in zip(slices[0], slices[1])]


def similarity(
    submissions: str | Path, threshold: float = DEFAULT_THRESHOLD, with_reference: bool = False
) -> Similarity:
    """Read a class of submissions and compare every pair of students, module by module."""
    authors, problems = read_class(submissions, with_reference)
    result = compare(authors, threshold)
    result.not_compared = problems
    return result
