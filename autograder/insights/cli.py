"""``autograde report`` and ``autograde similarity``: the command lines over ``write_class_report`` and
``similarity`` + ``write_similarity_report``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..text import LANGUAGES, Text
from ..validation import argument_type, share, whole_number
from .classpage import write_class_report
from .similarity import DEFAULT_THRESHOLD, similarity
from .similaritypage import MAX_SHOWN, summary_line, write_similarity_report

REPORT_EXAMPLES = """examples:
  autograde report results/                       write results/class.html and class.md, print the Markdown
  autograde report results/ --out week6.html --lang zh

RESULTS is a folder of <student>/report.json (and meta.json), as written by autograde grade-all
(grade-all writes the report itself at the end of a run).
Exit status: 0 when the report was written, 2 when RESULTS holds no report.
"""
SIMILARITY_EXAMPLES = """examples:
  autograde similarity submissions/                         write similarity.html and similarity.csv
  autograde similarity submissions/ --with-reference --threshold 0.6 --out week6-similarity.html

SUBMISSIONS holds one folder, .zip or notebook per student, as for grade-all. Nothing is run.
Exit status: 0 when the report was written (whatever it found), 2 when it could not run.
"""


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Register ``report`` and ``similarity`` on the CLI's subcommands."""
    r = commands.add_parser(
        "report",
        help="the class report of a graded class: scores, hardest checks, failures, accuracies",
        description="Statistics of a graded class from its per-student report.json files: an HTML page and Markdown.",
        epilog=REPORT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    r.add_argument("results", metavar="RESULTS", help="the results folder of autograde grade-all")
    r.add_argument(
        "--out", metavar="HTML", help="where the page goes (default: RESULTS/class.html; the Markdown beside it)"
    )
    r.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the report (default: en)")
    r.set_defaults(handler=run_report)
    s = commands.add_parser(
        "similarity",
        help="code similarity between every pair of students, per exercise module (copydetect)",
        description="Compare every pair of students module by module, the released stubs left out; "
        "write an HTML report of the flagged pairs side by side and a CSV of every pair.",
        epilog=SIMILARITY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("submissions", metavar="SUBMISSIONS", help="one folder, .zip or .ipynb per student")
    s.add_argument(
        "--out",
        metavar="HTML",
        default="similarity.html",
        help="the page (default: similarity.html; the CSV beside it)",
    )
    s.add_argument(
        "--threshold",
        type=argument_type(share),
        default=DEFAULT_THRESHOLD,
        metavar="T",
        help=f"flag a pair whose score for a module is at least T (default: {DEFAULT_THRESHOLD})",
    )
    s.add_argument(
        "--with-reference",
        action="store_true",
        help="add the reference solutions as a pseudo-student, to catch copies of a leaked solution",
    )
    s.add_argument(
        "--show",
        type=argument_type(whole_number),
        default=MAX_SHOWN,
        metavar="N",
        help=f"flagged pairs shown side by side, highest scores first (default: {MAX_SHOWN}; the CSV has all)",
    )
    s.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the report (default: en)")
    s.set_defaults(handler=run_similarity)


def run_report(args: argparse.Namespace) -> int:
    page, text = write_class_report(args.results, args.out, args.lang)
    sys.stdout.write(text)
    print(f"\n{page}", file=sys.stderr)
    return 0


def run_similarity(args: argparse.Namespace) -> int:
    try:
        import copydetect  # noqa: F401
    except ImportError:
        missing = Text(
            "autograde similarity: error: copydetect is not installed: pip install 'cnn-kit[insights]' "
            "(or pip install copydetect)",
            "autograde similarity：错误：未安装 copydetect：pip install 'cnn-kit[insights]'"
            "（或 pip install copydetect）",
        )
        print(missing(args.lang), file=sys.stderr)
        return 2
    result = similarity(args.submissions, args.threshold, args.with_reference)
    page, table = write_similarity_report(result, Path(args.out), args.submissions, args.lang, args.show)
    print(summary_line(result, page, table, args.lang))
    return 0
