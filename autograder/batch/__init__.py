"""Grade a whole class: ``autograde grade-all SUBMISSIONS_DIR -j N --out RESULTS_DIR``.

Every entry of ``SUBMISSIONS_DIR`` is one student (``discover``): a folder (student id = its name), a
``.zip`` (student id = its stem; extracted safely into a temporary folder) or an ``.ipynb`` built by
``autograde nbgrader build`` (student id = its stem). ``N`` students are graded at once, each by an
ordinary ``runner.grade`` call (``student``). Per student, ``RESULTS_DIR/<id>/`` receives
``report.json``, ``feedback.md`` (with the grader's drawings beside it, e.g. ``training.png``) and,
last, ``meta.json``, each written atomically; ``RESULTS_DIR/gradebook.csv`` (``gradebook``) is
rewritten atomically after every finished student. A student is *finished* when ``meta.json`` was
written under the same settings (``Settings.key``) and for the same submission files, and
``report.json`` still has the checksum recorded there and validates against the schema: running the
command again resumes, and ``--regrade`` grades everyone again. A submission that cannot be graded
gets a report and a gradebook row with score 0 and the status ``error: <reason>``; the batch goes
on. See ``docs/batch.md``.
"""

from .cli import add_parser, run_cli
from .run import BatchResult, run_batch

__all__ = ["BatchResult", "add_parser", "run_batch", "run_cli"]
