"""``autograde grade-all``: the command line over ``run_batch``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import config
from ..text import Text
from .discover import GRADEBOOK
from .gradebook import GRADEBOOK_FORMATS
from .run import run_batch

EXAMPLES = """examples:
  autograde grade-all submissions/ -j 2 --out results/
  autograde grade-all submissions/ -j 2 --out results/ --only corr2d,pooling --gradebook-format canvas
  autograde grade-all submissions/ --out results/ --regrade      grade everyone again

SUBMISSIONS_DIR holds one folder or one .zip per student (student id = the folder name or the zip's
stem). Running the same command again resumes: finished students are not graded again.
Exit status: 0 when the batch completed (whatever the scores), 2 when it could not run.
"""


def positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value!r}")
    return number


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``grade-all`` on the CLI's subcommands."""
    p = commands.add_parser(
        "grade-all",
        help="grade a folder of submissions (one folder or .zip per student)",
        description="Grade every submission of a class in parallel; write per-student reports and a gradebook.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("submissions", metavar="SUBMISSIONS_DIR", help="one folder or one .zip per student")
    p.add_argument(
        "--out",
        metavar="RESULTS_DIR",
        required=True,
        help="where <id>/report.json, <id>/feedback.md, <id>/meta.json, gradebook.csv and the class report "
        "(class.html, class.md) go",
    )
    p.add_argument("-j", "--jobs", type=positive, default=1, metavar="N", help="students graded at once (default: 1)")
    p.add_argument("--regrade", action="store_true", help="grade every student again, even finished ones")
    p.add_argument(
        "--gradebook-format",
        choices=GRADEBOOK_FORMATS,
        default="kit",
        help="kit: student_id,total,<exercises>,status; nbgrader: the columns of `nbgrader export`; "
        "canvas: student_id,score (default: kit)",
    )
    p.add_argument("--assignment", default="cnn", help="the assignment column of the nbgrader layout (default: cnn)")
    config.add_settings_options(p)
    p.set_defaults(handler=run_cli)
    return p


def run_cli(args: argparse.Namespace) -> int:
    """``autograde grade-all``: 0 when the batch completed, 130 when interrupted (errors: ``cli.main``)."""
    settings = config.settings_from_args(args)
    try:
        outcome = run_batch(
            args.submissions,
            args.out,
            settings,
            jobs=args.jobs,
            regrade=args.regrade,
            layout=args.gradebook_format,
            assignment=args.assignment,
        )
    except KeyboardInterrupt:
        print("autograde grade-all: interrupted; finished students are kept, run again to resume", file=sys.stderr)
        return 130
    statuses = [m["status"] for m in outcome.metas.values()]
    print(
        f"{outcome.students} students: {outcome.graded} graded, {outcome.resumed} already finished; "
        f"{statuses.count('ok')} ok, {statuses.count('incomplete')} incomplete, {outcome.errors} errors; "
        f"{outcome.seconds:.1f} s; gradebook: {Path(args.out) / GRADEBOOK}",
        flush=True,
    )
    class_report(Path(args.out), settings.lang)
    return 0


def class_report(results: Path, lang: str) -> None:
    """The class report of the batch (``autograde report``), which a broken report never stops; a
    failure to write it is a warning: the grades are already written."""
    from ..insights import write_class_report

    try:
        page, _ = write_class_report(results, lang=lang)
    except (OSError, ValueError) as exc:
        warning = Text(
            f"autograde grade-all: the class report could not be written ({exc}); the gradebook is complete",
            f"autograde grade-all：无法写出班级报告（{exc}）；成绩表已完整写出",
        )
        print(warning(lang), flush=True)
        return
    print(Text(f"class report: {page}", f"班级报告：{page}")(lang), flush=True)
