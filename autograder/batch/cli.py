"""``autograde grade-all``: the command line over ``run_batch``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import config, validation
from ..text import Text
from ..validation import SettingsError
from .cluster import KINDS, ClusterOptions
from .discover import GRADEBOOK
from .gradebook import GRADEBOOK_FORMATS
from .run import run_batch

EXAMPLES = """examples:
  autograde grade-all submissions/ -j 2 --out results/
  autograde grade-all submissions/ -j 2 --out results/ --only corr2d,pooling --gradebook-format canvas
  autograde grade-all submissions/ --out results/ --regrade      grade everyone again
  autograde grade-all submissions/ --out results/ --executor dask --workers 4       a LocalCluster here
  autograde grade-all submissions/ --out results/ --scheduler tcp://HOST:8786       an existing Dask cluster
  autograde grade-all submissions/ --out results/ --cluster slurm --workers 20 --slurm-partition gpu \
      --slurm-cores 8 --slurm-memory 32GiB --slurm-walltime 02:00:00 --slurm-gres gpu:1 --device cuda

SUBMISSIONS_DIR holds one folder or one .zip per student (student id = the folder name or the zip's
stem). Running the same command again resumes: finished students are not graded again.
Exit status: 0 when the batch completed (whatever the scores), 2 when it could not run.
"""


#: ``-j``, ``--workers``, ``--slurm-cores``: a whole number of at least 1.
POSITIVE = validation.argument_type(validation.whole_number)


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
    p.add_argument(
        "-j",
        "--jobs",
        type=POSITIVE,
        metavar="N",
        help="students graded at once (default: 1); with a LocalCluster, by each of its worker processes",
    )
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
    add_cluster_options(p)
    p.set_defaults(handler=run_cli)
    return p


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """The options that grade on a Dask cluster instead of this machine's pool (docs/scale.md)."""
    dask = parser.add_argument_group(
        "Dask cluster (the cluster extra: pip install 'cnn-kit[cluster]'; docs/scale.md)",
        "One task per student, graded in the sandbox of the worker's machine; this process writes the results.",
    )
    dask.add_argument(
        "--executor",
        choices=("local", "dask"),
        help="local: a pool of -j threads here (the default); dask: a Dask cluster "
        "(implied by --scheduler and --cluster)",
    )
    dask.add_argument(
        "--workers",
        type=POSITIVE,
        metavar="N",
        help="worker processes of the LocalCluster (default: half this machine's cores), or most Slurm jobs "
        "at once (default: 4)",
    )
    dask.add_argument("--scheduler", metavar="ADDRESS", help="join an existing Dask cluster, e.g. tcp://HOST:8786")
    dask.add_argument(
        "--cluster",
        choices=KINDS,
        help="local: a LocalCluster on this machine (the default); slurm: workers as Slurm jobs (dask-jobqueue, "
        "configured by ~/.config/dask/jobqueue.yaml and the --slurm-* flags)",
    )
    dask.add_argument("--slurm-partition", metavar="NAME", help="the partition (queue) of the worker jobs")
    dask.add_argument(
        "--slurm-cores", type=POSITIVE, metavar="N", help="cores of one job: the students its worker grades at once"
    )
    dask.add_argument(
        "--slurm-memory",
        type=config._argument(validation.memory, "memory"),
        metavar="SIZE",
        help="memory of one job, e.g. 16GiB",
    )
    dask.add_argument("--slurm-walltime", metavar="TIME", help="walltime of one job, e.g. 02:00:00")
    dask.add_argument(
        "--slurm-gres", metavar="gpu:G", help="generic resources of one job, e.g. gpu:1 (its worker then offers G GPUs)"
    )


SLURM_FLAGS = ("slurm_partition", "slurm_cores", "slurm_memory", "slurm_walltime", "slurm_gres")


def cluster_options(args: argparse.Namespace) -> ClusterOptions | None:
    """The Dask cluster the options ask for, or None for the local pool; ``SettingsError`` for options
    that do not go together."""
    slurm = [f"--{name.replace('_', '-')}" for name in SLURM_FLAGS if getattr(args, name) is not None]
    dask_only = [
        flag
        for flag, value in (("--workers", args.workers), ("--scheduler", args.scheduler), ("--cluster", args.cluster))
        if value is not None
    ] + slurm
    executor = args.executor or ("dask" if args.scheduler or args.cluster else "local")
    if executor == "local":
        if dask_only:
            raise SettingsError(f"{', '.join(dask_only)} grade on a Dask cluster: add --executor dask")
        return None
    if args.scheduler is not None and (args.cluster is not None or args.workers is not None):
        raise SettingsError("--scheduler joins an existing cluster and its workers: drop --cluster and --workers")
    if slurm and args.cluster != "slurm":
        raise SettingsError(f"{', '.join(slurm)} describe Slurm jobs: add --cluster slurm")
    if args.jobs is not None and (args.scheduler is not None or args.cluster == "slurm"):
        raise SettingsError(
            "-j sets the students each LocalCluster worker grades at once; Slurm workers grade --slurm-cores "
            "at once, and an existing cluster's workers their own number of threads"
        )
    return ClusterOptions(
        kind=args.cluster or "local",
        scheduler=args.scheduler,
        workers=args.workers,
        threads=args.jobs or 1,
        partition=args.slurm_partition,
        cores=args.slurm_cores,
        memory=args.slurm_memory,
        walltime=args.slurm_walltime,
        gres=args.slurm_gres,
        files=Path(args.out),
    )


def run_cli(args: argparse.Namespace) -> int:
    """``autograde grade-all``: 0 when the batch completed, 130 when interrupted (errors: ``cli.main``)."""
    options = cluster_options(args)
    try:
        if options is None:
            settings, executor = config.settings_from_args(args), "thread"
        else:
            from .cluster import preflight
            from .dask_engine import DaskEngine

            device = preflight(options, args.device)
            settings, executor = config.settings_from_args(args, device=device), DaskEngine(options)
        outcome = run_batch(
            args.submissions,
            args.out,
            settings,
            jobs=args.jobs or 1,
            regrade=args.regrade,
            layout=args.gradebook_format,
            assignment=args.assignment,
            executor=executor,
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
