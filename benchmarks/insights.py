"""Benchmark: the class report and the similarity report on a generated class of 300 students.

Run: ``python benchmarks/insights.py`` (figures in docs/insights.md). It

1. grades a few real variants once (the small generated class of ``tests/generated_class.py``, every
   exercise but training, plus the reference and a loop without ``zero_grad`` for training only; or
   reads such results with ``--graded DIR``, written by an earlier run),
2. writes 300 students' ``report.json`` and ``meta.json`` by replicating those reports, adding a training
   exercise to each and moving its measured accuracy a little, and a few broken submissions (the batch's
   own ``error_report``), then times ``autograde report`` on them,
3. writes 300 submission folders, every module drawn from the class's sources (reference, stubs,
   corpus variants, wrong cases) and most of them disguised with student-specific names, then times
   ``autograde similarity`` on them,
4. with ``--screenshots DIR``, photographs both pages in headless Chromium (the pictures in docs/).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder import cli, registry  # noqa: E402
from autograder.batch.student import error_report  # noqa: E402
from autograder.insights import similarity, write_class_report, write_similarity_report  # noqa: E402
from autograder.settings import Settings  # noqa: E402
from autograder.training_budgets import BUDGETS, DEFAULT_BUDGET  # noqa: E402
from tests.generated_class import (  # noqa: E402
    INDEPENDENT,
    Source,
    corpus,
    module_source,
    rename_locals,
    small_class,
    student,
    write_class,
)

ACCURACY = re.compile(r"(?<![\d.])([01]\.\d{4})(?![\d])")
#: Share of the class whose whole submission could not be graded.
BROKEN_SHARE = 0.03
#: Share of the similarity class whose modules are disguised with names of their own.
DISGUISED_SHARE = 0.8


def grade(folder: Path, students, only: list[str]) -> Path:
    submissions = write_class(folder / "submissions", students)
    results = folder / "results"
    argv = ["grade-all", str(submissions), "--out", str(results), "-j", "2", "--only", ",".join(only)]
    if cli.main(argv) != 0:
        raise SystemExit("grading the variants failed")
    return results


def grade_variants(folder: Path) -> Path:
    """The small class (training left out) and two trained variants, in ``folder/class`` and ``folder/training``."""
    grade(folder / "class", small_class(), [n for n in registry.NAMES if n != "training"])
    trained = [student("trained"), student("no_zero_grad", training=corpus("wrong/training/no_zero_grad"))]
    grade(folder / "training", trained, ["training"])
    return folder


def reports(results: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results.glob("*/report.json"))]


def with_training(base: dict, training: dict, rng: random.Random) -> dict:
    """``base`` with ``training``'s exercise added, its measured accuracy moved by up to 0.03."""
    data = copy.deepcopy(base)
    exercise = copy.deepcopy(training)
    threshold = BUDGETS[DEFAULT_BUDGET].threshold
    for check in exercise["checks"]:
        if check["name"] == "reaches_accuracy":
            value = float(ACCURACY.search(check["message"]).group(1))
            low, high = (threshold + 0.005, 0.85) if value >= threshold else (0.05, threshold - 0.005)
            moved = min(max(value + rng.uniform(-0.03, 0.03), low), high)
            check["message"] = ACCURACY.sub(f"{moved:.4f}", check["message"], count=1)
    data["exercises"].append(exercise)
    data["score"] = sum(e["score"] for e in data["exercises"])
    data["max_score"] = sum(e["max_score"] for e in data["exercises"])
    return data


def class_results(variants: Path, folder: Path, count: int, rng: random.Random) -> Path:
    """``count`` students' report.json and meta.json, replicated from the graded variants."""
    bases = reports(variants / "class" / "results")
    trainings = [r["exercises"][0] for r in reports(variants / "training" / "results")]
    broken = error_report("no exercise module found", Settings(), "empty").to_dict()
    folder.mkdir(parents=True)
    for index in range(count):
        sid = f"s{index + 1:03d}"
        if rng.random() < BROKEN_SHARE:
            data, status = broken, "error: no exercise module found"
        else:
            base = rng.choice(bases)
            data = with_training(base, rng.choice(trainings), rng)
            status = "ok" if data["complete"] else "incomplete"
        (folder / sid).mkdir()
        (folder / sid / "report.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        meta = {"student_id": sid, "status": status, "score": data["score"], "max_score": data["max_score"]}
        (folder / sid / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def sources() -> dict[str, list[Source]]:
    """Per exercise, what a student's module may be: the small class's sources and the corpus' correct variants."""
    pool: dict[str, list[Source]] = {name: [] for name in registry.NAMES}
    for one in small_class():
        for name, source in one.modules.items():
            if source not in pool[name]:
                pool[name].append(source)
    for name in registry.NAMES:
        for path in sorted((ROOT / "tests" / "corpus" / "correct" / name).glob("*.py")):
            source = corpus(f"correct/{name}/{path.stem}")
            if source not in pool[name] and path.stem not in INDEPENDENT.get(name, ()):
                pool[name].append(source)
    return pool


def similarity_class(folder: Path, count: int, rng: random.Random) -> Path:
    """``count`` submission folders; most modules disguised with names of their own."""
    pool = sources()
    texts = {(name, s): module_source(name, s) for name, options in pool.items() for s in options}
    init = (ROOT / "exercises" / "__init__.py").read_text(encoding="utf-8")
    folder.mkdir(parents=True)
    for index in range(count):
        target = folder / f"s{index + 1:03d}"
        target.mkdir()
        (target / "__init__.py").write_text(init, encoding="utf-8")
        disguised = rng.random() < DISGUISED_SHARE
        for name, options in pool.items():
            source = rng.choice(options)
            text = texts[(name, source)]
            if disguised and source.attempted:
                text = rename_locals(text, tag=f"s{index}")
            (target / f"{name}.py").write_text(text, encoding="utf-8")
    return folder


def screenshot(page: Path, png: Path, height: int) -> None:
    from PIL import Image

    from tests.browser import open_page

    shown = open_page(page, png, width=1200, height=height)
    if shown.console:
        raise SystemExit(f"{page}: the browser reported {shown.console}")
    with Image.open(png) as image:  # a palette keeps the committed pictures small
        image.convert("RGB").quantize(colors=96, method=Image.Quantize.MEDIANCUT).save(png, optimize=True)
    print(f"screenshot: {png} ({png.stat().st_size // 1024} KiB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--graded", type=Path, help="graded variants of an earlier run (its --keep folder)")
    parser.add_argument("--keep", type=Path, help="keep the graded variants here for the next run")
    parser.add_argument("--screenshots", type=Path, help="photograph both pages into this folder")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="cnnkit-insights-bench-") as scratch:
        work = Path(scratch)
        variants = args.graded
        if variants is None:
            start = time.perf_counter()
            variants = grade_variants(args.keep or work / "variants")
            print(f"graded the variants in {time.perf_counter() - start:.1f} s")
        results = class_results(variants, work / "results", args.students, rng)
        start = time.perf_counter()
        page, _ = write_class_report(results)
        report_seconds = time.perf_counter() - start
        print(f"class report: {args.students} students in {report_seconds:.2f} s")
        submissions = similarity_class(work / "submissions", args.students, rng)
        start = time.perf_counter()
        result = similarity(submissions, with_reference=True)
        compared = time.perf_counter() - start
        sim_page, _ = write_similarity_report(result, work / "similarity.html", "submissions")
        total = time.perf_counter() - start
        print(
            f"similarity: {args.students} students (+ the reference), {len(result.matches)} pairs of modules with "
            f"common code, {len(result.flagged)} flagged; compared in {compared:.1f} s, with the report "
            f"{total:.1f} s"
        )
        print(
            f"page sizes: class report {page.stat().st_size // 1024} KiB, "
            f"similarity {sim_page.stat().st_size // 1024} KiB"
        )
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            screenshot(page, args.screenshots / "class-report.png", 1500)
            # the similarity page of four students: two near-copies, an independent one, a stub
            few = [s for s in small_class() if s.id in ("near_a", "near_b", "indep01", "stub01")]
            small_page, _ = write_similarity_report(
                similarity(write_class(work / "few", few)), work / "few-similarity.html", "class", max_shown=2
            )
            screenshot(small_page, args.screenshots / "similarity-report.png", 2300)
        shutil.rmtree(work / "submissions")


if __name__ == "__main__":
    main()
