"""Command line: a thin layer over the API functions, whose defaults it shows and reuses.

``grade`` is ``runner.grade``; ``grade-all`` is ``batch.run_batch``; ``report`` and ``similarity`` are
``insights``; ``release``, ``gradescope build`` and ``nbgrader build`` are ``ship`` and ``nbgrader``;
``sandbox`` says what isolation student code would get here. Exit status: 0 when the command completed
(whatever the score), 1 when ``--fail-under`` (a percentage of the points graded) is not met, 2 when it
could not run (bad arguments, unreadable submission, unusable settings, no sandbox for student code).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import config, validation
from .files import atomic_write, save_attachments
from .inert import visible
from .load import SubmissionError
from .report import FORMATS
from .validation import SettingsError
from .worker.sandbox import SandboxUnavailable, describe_isolation, refusal

EXAMPLES = """examples:
  autograde grade exercises/                      grade a filled-in copy of exercises/
  autograde grade path/to/student-repo --json out.json --only corr2d,pooling
  autograde grade solutions --format markdown --lang zh
"""


def parse_save(value: str) -> tuple[str, str]:
    """``FORMAT:PATH`` of ``--save``."""
    fmt, sep, path = value.partition(":")
    if not sep or not path or fmt not in FORMATS:
        raise argparse.ArgumentTypeError(
            f"expected FORMAT:PATH with FORMAT one of {', '.join(sorted(FORMATS))}, got {value!r}"
        )
    return fmt, path


def add_grade_parser(commands: argparse._SubParsersAction) -> None:
    g = commands.add_parser(
        "grade", help="grade one submission", epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    g.add_argument(
        "submission",
        help="a folder with the exercise modules, a repository root containing exercises/, "
        "or notebooks of `autograde nbgrader build` (one .ipynb or a folder of them)",
    )
    g.add_argument("--json", metavar="OUT", help="also write the JSON report to OUT")
    g.add_argument(
        "--save",
        metavar="FORMAT:PATH",
        type=parse_save,
        action="append",
        default=[],
        help="also write the report in FORMAT to PATH, e.g. junit:report.xml or "
        "gradescope:/autograder/results/results.json (repeatable)",
    )
    g.add_argument(
        "--attachments",
        metavar="DIR",
        help="write the grader's drawings for the feedback into DIR "
        "(training.png: the training curve of the submission's train_ch6)",
    )
    g.add_argument("--format", choices=sorted(FORMATS), default="text", help="what to print (default: text)")
    g.add_argument(
        "--fail-under",
        type=validation.argument_type(validation.percent),
        metavar="PERCENT",
        help="exit with status 1 when the score is below PERCENT of the points graded (all "
        "exercises: 100 points, so points and percent agree; with --only, of those exercises' points)",
    )
    config.add_settings_options(g)
    g.set_defaults(handler=run_grade)


def add_sandbox_parser(commands: argparse._SubParsersAction) -> None:
    s = commands.add_parser(
        "sandbox",
        help="say what isolation student code gets on this machine (exit 2 where grading would refuse)",
        description="Print the report header's sandbox line for these settings; where the sandbox "
        "cannot isolate student code, print what is missing and how to fix it, and exit with status 2.",
    )
    config.add_settings_options(s)
    s.set_defaults(handler=run_sandbox)


def run_sandbox(args: argparse.Namespace) -> int:
    settings = config.settings_from_args(args)
    print(describe_isolation(settings.worker), flush=True)
    problem = refusal(settings.worker)
    if problem is not None:
        raise problem
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import batch, insights, nbgrader, ship

    parser = argparse.ArgumentParser(
        prog="autograde",
        description="Grade d2l CNN-chapter exercises with hidden property-based checks; "
        "student code runs in a separate worker process.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_grade_parser(commands)
    add_sandbox_parser(commands)
    batch.add_parser(commands)
    insights.add_parsers(commands)
    nbgrader.add_parser(commands)
    ship.add_parsers(commands)
    return parser


def run_grade(args: argparse.Namespace) -> int:
    from .runner import grade

    settings = config.settings_from_args(args)
    report = grade(args.submission, settings)
    for fmt, path in ([("json", args.json)] if args.json else []) + args.save:
        atomic_write(Path(path), FORMATS[fmt](report))
    if args.attachments:
        save_attachments(report, Path(args.attachments))
    sys.stdout.write(FORMATS[args.format](report))
    if args.fail_under is not None and 100 * report.score < args.fail_under * report.max_score:
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.handler(args)
    except SandboxUnavailable as exc:
        print(f"autograde {args.command}: {exc.text(getattr(args, 'lang', 'en'))}", file=sys.stderr)
        return 2
    except (SubmissionError, SettingsError, OSError) as exc:
        print(f"autograde {args.command}: error: {visible(str(exc))}", file=sys.stderr)
        return 2
