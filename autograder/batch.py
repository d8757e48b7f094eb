"""Grade a whole class: ``autograde grade-all SUBMISSIONS_DIR -j N --out RESULTS_DIR``.

Every entry of ``SUBMISSIONS_DIR`` is one student: a folder (student id = its name), a ``.zip``
(student id = its stem; extracted safely into a temporary folder) or an ``.ipynb`` built by
``autograde nbgrader build`` (student id = its stem). ``N`` students are graded at
once, each by an ordinary ``runner.grade`` call (which runs the student's code in worker
subprocesses). Per student, ``RESULTS_DIR/<id>/`` receives ``report.json``, ``feedback.md`` (with
the grader's drawings beside it, e.g. ``training.png``, the training curve) and, last,
``meta.json``, each written atomically; ``RESULTS_DIR/gradebook.csv`` is rewritten atomically
after every finished student. A student is *finished* when ``meta.json`` was written for the same
exercises, seed and language and the same submission files, and ``report.json`` still has the
checksum recorded there and validates against the schema: running the command again resumes, and
``--regrade`` grades everyone again. A submission that cannot be graded (unreadable, empty, too
large, a bad archive, a file instead of a folder, nothing importable) gets a report and a gradebook
row with score 0 and the status ``error: <reason>``; the batch goes on. See ``docs/batch.md``.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import csv
import datetime as dt
import hashlib
import io
import json
import multiprocessing
import os
import re
import stat
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from .checks import EXERCISE_NAMES
from .checks.framework import Options, Text
from .config import ConfigError
from .load import MAX_MODULE_BYTES, SubmissionError, module_directory
from .nbgrader import extract
from .report.model import CheckResult, ExerciseResult, Report, validate
from .report.render import FORMATS
from .runner import grade, select
from .worker.client import WorkerConfig

META_FORMAT = 1
GRADEBOOK = "gradebook.csv"
GRADEBOOK_FORMATS = ("kit", "nbgrader", "canvas")
#: The header ``nbgrader export`` writes (nbgrader/plugins/export.py, CsvExportPlugin), in order.
NBGRADER_HEADER = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                   "raw_score", "late_submission_penalty", "score", "max_score")
#: Limits on a student's ``.zip``: total uncompressed bytes, number of entries.
MAX_ZIP_BYTES = 64 << 20
MAX_ZIP_FILES = 2000
#: Folders that are never students (and never looked into).
IGNORED_NAMES = {"__MACOSX", "__pycache__"}
TEMPORARY_SUFFIX = ".tmp"
#: Files are created with the usual permissions (mkstemp's are 0600); read once, at import.
_UMASK = os.umask(0o022)
os.umask(_UMASK)
IMPORT_FAILURES = ("could not import ", "While importing your module")


class Rejected(Exception):
    """The submission cannot be graded; the message is the gradebook's ``error: <reason>``."""


# -- what is in SUBMISSIONS_DIR ------------------------------------------------------------------
@dataclass
class Student:
    id: str
    path: Path
    kind: str  # "dir", "zip", "notebook", "file" (an error) or "clash" (two entries with one id: an error)
    problem: str | None = None


def discover(submissions: Path, results: Path | None = None) -> list[Student]:
    """One ``Student`` per visible entry of ``submissions``, sorted by id; hidden entries are skipped."""
    found: dict[str, list[Student]] = {}
    skip = results.resolve() if results is not None else None
    for entry in sorted(submissions.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_NAMES:
            continue
        if skip is not None and entry.resolve() == skip:
            continue
        if entry.is_dir():
            student = Student(entry.name, entry, "dir")
        elif entry.suffix.lower() == ".zip" and entry.is_file():
            student = Student(entry.stem, entry, "zip")
        elif entry.suffix == ".ipynb" and entry.is_file():
            student = Student(entry.stem, entry, "notebook")
        else:
            what = "a broken symbolic link" if entry.is_symlink() and not entry.exists() else \
                "a file" if entry.is_file() else "not a regular file"
            student = Student(entry.stem or entry.name, entry, "file",
                              f"{entry.name} is {what} where a folder, a .zip archive or an .ipynb was expected")
        found.setdefault(student.id, []).append(student)
    students = []
    for sid, entries in sorted(found.items()):
        student = entries[0]
        if len(entries) > 1:
            names = " and ".join(e.path.name for e in entries)
            student = Student(sid, entries[0].path, "clash", f"two submissions for one student id: {names}")
        if sid == GRADEBOOK:
            student.kind, student.problem = "clash", f"the student id {sid} clashes with the gradebook's file name"
        students.append(student)
    return students


def fingerprint(student: Student) -> str:
    """A cheap signature of the submission's files (names, sizes, modification times)."""
    digest = hashlib.sha256()

    def add(path: Path) -> None:
        try:
            info = path.lstat()
        except OSError as exc:
            digest.update(f"{path.name}:unreadable:{exc.errno}\n".encode())
            return
        digest.update(f"{path.name}:{stat.S_IFMT(info.st_mode)}:{info.st_size}:{info.st_mtime_ns}\n".encode())

    add(student.path)
    if student.kind == "dir":
        for folder in (student.path, student.path / "exercises"):
            try:
                entries = sorted(folder.iterdir()) if folder.is_dir() else []
            except OSError:
                entries = []
            for entry in entries:
                add(entry)
    return digest.hexdigest()


def submitted_at(student: Student) -> str:
    """When the submission was last modified (UTC), nbgrader's timestamp format."""
    try:
        seconds = student.path.lstat().st_mtime
    except OSError:
        return ""
    return str(dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None))


# -- zip archives ----------------------------------------------------------------------------------
def _size(n: int) -> str:
    for unit, step in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= step:
            return f"{n / step:.3g} {unit}"
    return f"{n} bytes"


def extract_zip(archive: Path, destination: Path, max_bytes: int = MAX_ZIP_BYTES,
                max_files: int = MAX_ZIP_FILES) -> None:
    """Extract ``archive`` into ``destination``; raise ``Rejected`` for anything unsafe.

    Refused: absolute names, ``..``, drive letters, symbolic links, more than ``max_files`` entries,
    more than ``max_bytes`` uncompressed (declared *or* actually produced), encrypted or corrupt data.
    ``__MACOSX/`` and AppleDouble ``._*`` files are skipped.
    """
    try:
        archive_file = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Rejected(f"{archive.name} is not a readable zip archive ({exc})") from None
    with archive_file:
        infos = archive_file.infolist()
        if len(infos) > max_files:
            raise Rejected(f"{archive.name} has {len(infos)} entries, more than the limit of {max_files}")
        declared = sum(info.file_size for info in infos)
        if declared > max_bytes:
            raise Rejected(f"{archive.name} would expand to {_size(declared)}, more than the limit of {_size(max_bytes)}")
        written = 0
        for info in infos:
            name = info.filename
            parts = [p for p in re.split(r"[/\\]+", name) if p not in ("", ".")]
            if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
                raise Rejected(f"{archive.name} contains an absolute path: {name!r}")
            if ".." in parts:
                raise Rejected(f"{archive.name} contains a path that leaves the archive: {name!r}")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise Rejected(f"{archive.name} contains a symbolic link: {name!r}")
            if not parts or parts[0] in IGNORED_NAMES or parts[-1].startswith("._"):
                continue
            target = destination.joinpath(*parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive_file.open(info) as source, open(target, "wb") as sink:
                    while chunk := source.read(1 << 16):
                        written += len(chunk)
                        if written > max_bytes:
                            raise Rejected(f"{archive.name} expands to more than {_size(max_bytes)}")
                        sink.write(chunk)
            except Rejected:
                raise
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error, EOFError, ValueError,
                    OSError) as exc:
                raise Rejected(f"cannot extract {name!r} from {archive.name} ({type(exc).__name__}: {exc})") from None


def unwrap(root: Path) -> Path:
    """Descend through single wrapper folders (``alice.zip`` holding ``alice/corr2d.py``)."""
    for _ in range(3):
        if any(root.glob("*.py")) or any(root.glob("*.ipynb")) or (root / "exercises").is_dir():
            return root
        entries = [e for e in root.iterdir() if e.name not in IGNORED_NAMES and not e.name.startswith(".")]
        if len(entries) != 1 or not entries[0].is_dir():
            return root
        root = entries[0]
    return root


def preflight(root: Path) -> None:
    """Refuse what ``load_submission`` should never have to read: oversized or unreadable modules.

    Notebooks are left to ``load_submission`` (``nbgrader.extract`` has its own limits).
    """
    try:
        if extract.is_notebook_submission(root):
            return
        directory = module_directory(root)
        modules = sorted(directory.glob("*.py"))
    except PermissionError as exc:
        raise Rejected(f"cannot read the submission ({exc.strerror})") from None
    except SubmissionError:
        raise Rejected(f"no exercise module found: expected {', '.join(n + '.py' for n in EXERCISE_NAMES)} "
                       f"in the submission's top folder or in its exercises/ folder") from None
    for module in modules:
        try:
            info = module.lstat()
        except OSError as exc:
            raise Rejected(f"cannot read {module.name} ({exc.strerror})") from None
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_MODULE_BYTES:
            raise Rejected(f"{module.name} is {_size(info.st_size)}, over the limit of {_size(MAX_MODULE_BYTES)} per module")
        if stat.S_ISREG(info.st_mode) and not os.access(module, os.R_OK):
            raise Rejected(f"cannot read {module.name} (permission denied)")


# -- one student -----------------------------------------------------------------------------------
@dataclass
class Settings:
    """What the batch grades with; ``key`` is what a finished report must have been graded with."""

    only: list[str]
    seed: int | None = None
    lang: str = "en"
    config: WorkerConfig = field(default_factory=WorkerConfig)
    device: str = "cpu"
    training_budget: str = "standard"

    def key(self) -> dict[str, Any]:
        return {"only": list(self.only), "seed": self.seed, "lang": self.lang, "device": self.device,
                "training_budget": self.training_budget}

    def options(self) -> Options:
        return Options(seed=self.seed, device=self.device, training_budget=self.training_budget)


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write through a temporary file in the same folder and ``os.replace``: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fchmod(handle.fileno(), 0o666 & ~_UMASK)
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def save_attachments(report: Report, folder: Path) -> list[tuple[str, str]]:
    """Write the grader's drawings of every exercise (e.g. ``training.png``) into ``folder``;
    return (exercise, file name) of each."""
    saved = []
    for exercise in report.exercises:
        for name, content in exercise.attachments.items():
            atomic_write(folder / name, content)
            saved.append((exercise.name, name))
    return saved


def error_report(reason: str, settings: Settings, submission: str) -> Report:
    """A valid report in which every check of the selected exercises is an error with ``reason``."""
    message = Text(f"not graded: {reason}", f"未评分：{reason}")
    exercises = [ExerciseResult(e.name, [CheckResult(c.name, c.title, "error", c.points, message)
                                         for c in e.checks]) for e in select(settings.only)]
    return Report(exercises=exercises, submission=submission, seed=settings.seed, device=settings.device,
                  training_budget=settings.training_budget)


def import_failure(report: Report) -> str | None:
    """The reason when no graded exercise could even be imported (e.g. a syntax error everywhere)."""
    reasons = []
    for exercise in report.exercises:
        first = exercise.checks[0].message if exercise.checks else None
        if first is None or not first.en.startswith(IMPORT_FAILURES) or \
                any(c.status == "passed" for c in exercise.checks):
            return None
        reasons.append(first.en)
    return reasons[0] if reasons else None


def one_line(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


FEEDBACK_ERROR = {
    "en": ("## cnn-kit grade: 0/{max}", "Your submission could not be graded", "Fix this and submit again."),
    "zh": ("## cnn-kit 评分: 0/{max}", "你的提交无法评分", "请修正后重新提交。"),
}


def grade_student(student: Student, settings: Settings, results: Path) -> dict[str, Any]:
    """Grade one student and write ``report.json``, ``feedback.md`` and ``meta.json``; never raises
    for a broken submission. Returns the meta data (what the gradebook needs)."""
    started = time.perf_counter()
    folder = results / student.id
    status, report, retry = "ok", None, False
    shown = str(student.path)
    try:
        with tempfile.TemporaryDirectory(prefix="cnnkit-batch-") as scratch:
            if student.problem is not None:
                raise Rejected(student.problem)
            root = student.path
            if student.kind == "zip":
                root = Path(scratch) / "submission"
                root.mkdir()
                extract_zip(student.path, root)
                root = unwrap(root)
            preflight(root)
            report = grade(root, only=settings.only, options=settings.options(), config=settings.config)
            report.submission = shown
            if report.incomplete:
                status = "incomplete"
            failure = import_failure(report)
            if failure is not None:
                status = f"error: {one_line(failure)}"
    except Rejected as exc:
        status = f"error: {one_line(str(exc))}"
    except SubmissionError as exc:
        status = f"error: {one_line(str(exc))}"
    except Exception as exc:  # a grader bug or a resource problem: report it, retry on the next run
        status, retry = f"error: internal grader error: {one_line(f'{type(exc).__name__}: {exc}')}", True
    if report is None:
        report = error_report(status.removeprefix("error: "), settings, shown)
        heading, intro, advice = FEEDBACK_ERROR[settings.lang]
        feedback = (f"{heading.format(max=f'{report.max_score:g}')}\n\n**{intro}**: "
                    f"{status.removeprefix('error: ')}\n\n{advice}\n")
    else:
        feedback = FORMATS["markdown"](report, settings.lang)
        for exercise, name in save_attachments(report, folder):
            feedback += f"\n![{exercise}: {name}]({name})\n"
    data = report.to_dict(settings.lang)
    report_text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    score = 0.0 if status.startswith("error") else float(data["score"])
    meta = {
        "format": META_FORMAT, "student_id": student.id, "source": shown, "kind": student.kind,
        "fingerprint": fingerprint(student), **settings.key(),
        "status": status, "score": score, "max_score": float(data["max_score"]),
        "exercises": {e["name"]: (0.0 if status.startswith("error") else float(e["score"])) for e in data["exercises"]},
        "submitted_at": submitted_at(student),
        "graded_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3), "retry": retry,
        "report_sha256": hashlib.sha256(report_text.encode("utf-8")).hexdigest(),
    }
    atomic_write(folder / "report.json", report_text)
    atomic_write(folder / "feedback.md", feedback)
    atomic_write(folder / "meta.json", json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return meta


def _grade_in_child(student: Student, settings: Settings, results: Path) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    return grade_student(student, settings, results)


def finished(student: Student, settings: Settings, results: Path) -> dict[str, Any] | None:
    """The meta data of a finished report for ``student`` under ``settings``, else None."""
    folder = results / student.id
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        report_bytes = (folder / "report.json").read_bytes()
        if not (folder / "feedback.md").is_file():
            return None
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != META_FORMAT or meta.get("retry"):
        return None
    if any(meta.get(k) != v for k, v in settings.key().items()) or meta.get("fingerprint") != fingerprint(student):
        return None
    if hashlib.sha256(report_bytes).hexdigest() != meta.get("report_sha256"):
        return None
    try:
        validate(json.loads(report_bytes))
    except Exception:
        return None
    return meta


def clean_temporaries(results: Path) -> None:
    """Remove the temporary files a killed run may have left (``.<name>.*.tmp``)."""
    for pattern in (f".*{TEMPORARY_SUFFIX}", f"*/.*{TEMPORARY_SUFFIX}"):
        for leftover in results.glob(pattern):
            if leftover.is_file() and not leftover.is_symlink():
                try:
                    leftover.unlink()
                except OSError:
                    pass


# -- the gradebook ---------------------------------------------------------------------------------
def _points(value: float) -> str:
    return f"{value:g}"


def gradebook_rows(metas: Sequence[dict[str, Any]], exercises: Sequence[str], layout: str = "kit",
                   assignment: str = "cnn") -> list[list[str]]:
    """The gradebook as rows (header first) in one of ``GRADEBOOK_FORMATS``."""
    metas = sorted(metas, key=lambda m: m["student_id"])
    if layout == "kit":
        rows = [["student_id", "total", *exercises, "status"]]
        rows += [[m["student_id"], _points(m["score"]),
                  *[_points(m["exercises"].get(name, 0.0)) for name in exercises], m["status"]] for m in metas]
    elif layout == "nbgrader":
        rows = [list(NBGRADER_HEADER)]
        rows += [[assignment, "", m.get("submitted_at", ""), m["student_id"], "", "", "",
                  str(float(m["score"])), "0.0", str(float(m["score"])), str(float(m["max_score"]))] for m in metas]
    elif layout == "canvas":
        rows = [["student_id", "score"]] + [[m["student_id"], _points(m["score"])] for m in metas]
    else:
        raise ValueError(f"unknown gradebook format {layout!r}; choose from {', '.join(GRADEBOOK_FORMATS)}")
    return rows


def write_gradebook(path: Path, metas: Sequence[dict[str, Any]], exercises: Sequence[str], layout: str = "kit",
                    assignment: str = "cnn") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(gradebook_rows(metas, exercises, layout, assignment))
    atomic_write(path, buffer.getvalue())


# -- the batch -------------------------------------------------------------------------------------
@dataclass
class BatchResult:
    students: int = 0
    graded: int = 0
    resumed: int = 0
    errors: int = 0
    seconds: float = 0.0
    metas: dict[str, dict[str, Any]] = field(default_factory=dict)


class Progress:
    """A tqdm bar (done/total, failures, ETA) on a terminal; one line per student otherwise."""

    def __init__(self, total: int, done: int, tty: bool | None = None, stream=None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.total, self.done, self.failures = total, done, 0
        self.bar = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="student", dynamic_ncols=True, file=sys.stderr,
                            desc="grading", bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| "
                            "[{elapsed}<{remaining}]{postfix}")
            self.bar.set_postfix_str("failures: 0")

    def finished(self, meta: dict[str, Any]) -> None:
        self.done += 1
        failed = meta["status"].startswith("error")
        self.failures += failed
        line = (f"[{self.done}/{self.total}] {meta['student_id']}: {_points(meta['score'])}/"
                f"{_points(meta['max_score'])} {meta['status']} ({meta['seconds']:.1f} s)")
        if self.bar is not None:
            if failed:
                self.bar.write(line, file=sys.stderr)
            self.bar.set_postfix_str(f"failures: {self.failures}")
            self.bar.update(1)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_batch(submissions: str | Path, results: str | Path, jobs: int = 1, only: Sequence[str] | None = None,
              seed: int | None = None, lang: str = "en", regrade: bool = False, layout: str = "kit",
              assignment: str = "cnn", config: WorkerConfig | None = None, executor: str = "thread",
              device: str = "cpu", training_budget: str = "standard",
              progress: Progress | None = None,
              on_finished: Callable[[dict[str, Any]], None] | None = None) -> BatchResult:
    """Grade every student of ``submissions`` into ``results``; see the module docstring.

    Raises ``SubmissionError`` (bad ``only``) or ``OSError`` (unreadable ``submissions``, unwritable
    ``results``) when the batch cannot run at all. ``executor``: "thread" or "process".
    """
    started = time.perf_counter()
    submissions, results = Path(submissions), Path(results)
    if not submissions.is_dir():
        raise SubmissionError(f"{submissions} is not a directory of submissions")
    if layout not in GRADEBOOK_FORMATS:
        raise SubmissionError(f"unknown gradebook format {layout!r}; choose from {', '.join(GRADEBOOK_FORMATS)}")
    exercises = [e.name for e in select(only)]
    settings = Settings(only=exercises, seed=seed, lang=lang, config=config or WorkerConfig(), device=device,
                        training_budget=training_budget)
    results.mkdir(parents=True, exist_ok=True)
    clean_temporaries(results)
    students = discover(submissions, results)
    outcome = BatchResult(students=len(students))
    todo = []
    for student in students:
        meta = None if regrade else finished(student, settings, results)
        if meta is None:
            todo.append(student)
        else:
            outcome.metas[student.id] = meta
            outcome.resumed += 1
    gradebook = results / GRADEBOOK
    write_gradebook(gradebook, list(outcome.metas.values()), exercises, layout, assignment)
    progress = progress or Progress(len(students), outcome.resumed)
    if executor == "process":
        pool: concurrent.futures.Executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn"))
        task = _grade_in_child
    else:
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="grade")
        task = grade_student
    try:
        futures = {pool.submit(task, student, settings, results): student for student in todo}
        for future in concurrent.futures.as_completed(futures):
            student = futures[future]
            try:
                meta = future.result()
            except Exception as exc:  # e.g. RESULTS_DIR became unwritable, a pool process died
                meta = {"student_id": student.id, "status": f"error: internal grader error: "
                        f"{one_line(f'{type(exc).__name__}: {exc}')}", "score": 0.0,
                        "max_score": 0.0, "exercises": {}, "seconds": 0.0, "submitted_at": submitted_at(student)}
            outcome.metas[student.id] = meta
            outcome.graded += 1
            write_gradebook(gradebook, list(outcome.metas.values()), exercises, layout, assignment)
            progress.finished(meta)
            if on_finished is not None:
                on_finished(meta)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        progress.close()
    pool.shutdown()
    outcome.errors = sum(m["status"].startswith("error") for m in outcome.metas.values())
    outcome.seconds = time.perf_counter() - started
    return outcome


# -- command line ----------------------------------------------------------------------------------
EXAMPLES = """examples:
  autograde grade-all submissions/ -j 2 --out results/
  autograde grade-all submissions/ -j 2 --out results/ --only corr2d,pooling --gradebook-format canvas
  autograde grade-all submissions/ --out results/ --regrade      grade everyone again

SUBMISSIONS_DIR holds one folder or one .zip per student (student id = the folder name or the zip's
stem). Running the same command again resumes: finished students are not graded again.
Exit status: 0 when the batch completed (whatever the scores), 2 when it could not run.
"""


def add_parser(commands: argparse._SubParsersAction, parse_only: Callable[[str], list[str]],
               add_options: Callable[[argparse.ArgumentParser], None] | None = None,
               add_training_options: Callable[[argparse.ArgumentParser], None] | None = None,
               ) -> argparse.ArgumentParser:
    """Register ``grade-all`` on the CLI's subcommands; ``add_options`` adds the sandbox options,
    ``add_training_options`` ``--device`` and ``--training-budget``."""
    p = commands.add_parser("grade-all", help="grade a folder of submissions (one folder or .zip per student)",
                            description="Grade every submission of a class in parallel; write per-student "
                            "reports and a gradebook.", epilog=EXAMPLES,
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("submissions", metavar="SUBMISSIONS_DIR", help="one folder or one .zip per student")
    p.add_argument("--out", metavar="RESULTS_DIR", required=True,
                   help="where <id>/report.json, <id>/feedback.md, <id>/meta.json and gradebook.csv go")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="students graded at once (default: 1)")
    p.add_argument("--only", metavar="EX[,EX...]", type=parse_only, action="extend",
                   help="grade only these exercises")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of reports and feedback (default: en)")
    p.add_argument("--seed", type=int, help="seed for the hidden tests (default: fixed, derandomized)")
    p.add_argument("--regrade", action="store_true", help="grade every student again, even finished ones")
    p.add_argument("--gradebook-format", choices=GRADEBOOK_FORMATS, default="kit",
                   help="kit: student_id,total,<exercises>,status; nbgrader: the columns of `nbgrader export`; "
                   "canvas: student_id,score (default: kit)")
    p.add_argument("--assignment", default="cnn", help="the assignment column of the nbgrader layout (default: cnn)")
    if add_training_options is not None:
        add_training_options(p)
    if add_options is not None:
        add_options(p)
    else:
        p.add_argument("--timeout", type=float, default=WorkerConfig.call_timeout,
                       help="seconds one call of student code may take (default: %(default)s)")
    return p


def run_cli(args: argparse.Namespace, config: WorkerConfig | None = None) -> int:
    """``autograde grade-all``: 0 when the batch completed, 2 when it could not run."""
    if args.jobs < 1:
        print("autograde grade-all: error: -j must be at least 1", file=sys.stderr)
        return 2
    if config is None and getattr(args, "timeout", None) is not None:
        config = WorkerConfig(call_timeout=args.timeout)
    try:
        training = {}
        if getattr(args, "device", None) is not None:
            from .config import training_device  # raises ConfigError for an unusable --device cuda

            training = {"device": training_device(args.device), "training_budget": args.training_budget}
        outcome = run_batch(args.submissions, args.out, jobs=args.jobs, only=args.only, seed=args.seed,
                            lang=args.lang, regrade=args.regrade, layout=args.gradebook_format,
                            assignment=args.assignment, config=config, **training)
    except (SubmissionError, OSError, ConfigError) as exc:
        print(f"autograde grade-all: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograde grade-all: interrupted; finished students are kept, run again to resume",
              file=sys.stderr)
        return 130
    ok = sum(m["status"] == "ok" for m in outcome.metas.values())
    incomplete = sum(m["status"] == "incomplete" for m in outcome.metas.values())
    print(f"{outcome.students} students: {outcome.graded} graded, {outcome.resumed} already finished; "
          f"{ok} ok, {incomplete} incomplete, {outcome.errors} errors; {outcome.seconds:.1f} s; "
          f"gradebook: {Path(args.out) / GRADEBOOK}", flush=True)
    return 0
