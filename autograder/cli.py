"""Command line: a thin layer over ``runner.grade`` and the report renderers.

Exit status: 0 when grading completed (whatever the score), 1 when ``--fail-under`` (a percentage
of the points graded) is not met, 2 when grading could not run (bad arguments, unreadable
submission).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .checks import EXERCISE_NAMES
from .checks.framework import Options
from .load import SubmissionError
from .report.render import FORMATS
from .runner import grade
from . import config as limits

EXAMPLES = """examples:
  autograde grade exercises/                      grade a filled-in copy of exercises/
  autograde grade path/to/student-repo --json out.json --only corr2d,pooling
  autograde grade solutions --format markdown --lang zh
"""


def parse_only(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in EXERCISE_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown exercise {', '.join(unknown)}; choose from {', '.join(EXERCISE_NAMES)}")
    return names


def parse_percent(value: str) -> float:
    """``--fail-under``: a percentage from 0 to 100."""
    try:
        percent = float(value)
    except ValueError:
        percent = float("nan")
    if not 0 <= percent <= 100:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 100, got {value!r}")
    return percent


def parse_save(value: str) -> tuple[str, str]:
    """``FORMAT:PATH`` of ``--save``."""
    fmt, sep, path = value.partition(":")
    if not sep or not path or fmt not in FORMATS:
        raise argparse.ArgumentTypeError(f"expected FORMAT:PATH with FORMAT one of {', '.join(sorted(FORMATS))}, "
                                         f"got {value!r}")
    return fmt, path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograde", description="Grade d2l CNN-chapter exercises with hidden property-based checks; "
        "student code runs in a separate worker process.", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    g = commands.add_parser("grade", help="grade one submission", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("submission", help="a folder with the exercise modules, a repository root containing exercises/, "
                   "or notebooks of `autograde nbgrader build` (one .ipynb or a folder of them)")
    g.add_argument("--json", metavar="OUT", help="also write the JSON report to OUT")
    g.add_argument("--save", metavar="FORMAT:PATH", type=parse_save, action="append", default=[],
                   help="also write the report in FORMAT to PATH, e.g. junit:report.xml or "
                   "gradescope:/autograder/results/results.json (repeatable)")
    g.add_argument("--attachments", metavar="DIR", help="write the grader's drawings for the feedback into DIR "
                   "(training.png: the training curve of the submission's train_ch6)")
    g.add_argument("--only", metavar="EX[,EX...]", type=parse_only, action="extend",
                   help=f"grade only these exercises ({', '.join(EXERCISE_NAMES)})")
    g.add_argument("--format", choices=sorted(FORMATS), default="text", help="what to print (default: text)")
    g.add_argument("--lang", choices=("en", "zh"), default="en", help="language of messages (default: en)")
    g.add_argument("--seed", type=int, help="seed for the hidden tests (default: fixed, derandomized)")
    g.add_argument("--fail-under", type=parse_percent, metavar="PERCENT",
                   help="exit with status 1 when the score is below PERCENT of the points graded (all "
                   "exercises: 100 points, so points and percent agree; with --only, of those exercises' points)")
    limits.add_options(g)  # --config, --memory, --timeout, --no-sandbox: autograder/config.py
    limits.add_training_options(g)  # --device, --training-budget
    from . import batch  # `grade-all`: its options and logic live in autograder/batch.py

    batch.add_parser(commands, parse_only, limits.add_options, limits.add_training_options)
    from .nbgrader import build as nbgrader_build  # `nbgrader build`: autograder/nbgrader/build.py

    nbgrader_build.add_parser(commands)
    from .ship import gradescope, release  # `release`, `gradescope build`: autograder/ship/

    release.add_parser(commands)
    gradescope.add_parser(commands)
    return parser


def run_grade(args: argparse.Namespace) -> int:
    from .batch import atomic_write, save_attachments  # temporary file + rename: never half a report

    config = limits.worker_config(args)
    options = Options(seed=args.seed, device=limits.training_device(args.device), training_budget=args.training_budget)
    report = grade(args.submission, only=args.only, options=options, config=config)
    for fmt, path in ([("json", args.json)] if args.json else []) + args.save:
        atomic_write(Path(path), FORMATS[fmt](report, args.lang))
    if args.attachments:
        save_attachments(report, Path(args.attachments))
    sys.stdout.write(FORMATS[args.format](report, args.lang))
    if args.fail_under is not None and 100 * report.score < args.fail_under * report.max_score:
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "grade-all":
        from . import batch

        return batch.run_cli(args, limits.worker_config(args))
    if args.command in ("nbgrader", "release", "gradescope"):
        return args.handler(args)
    try:
        return run_grade(args)
    except (SubmissionError, limits.ConfigError) as exc:
        print(f"autograde: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"autograde: error: {exc}", file=sys.stderr)
        return 2
