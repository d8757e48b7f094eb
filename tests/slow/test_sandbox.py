"""The sandbox: attacks on the grader fail safely, with bubblewrap and without it.

Every ``tests/corpus/attacks/<case>.py`` replaces ``corr2d.py`` in a copy of ``solutions/`` and is
graded the way the held-out checks do it: ``python -m autograder grade DIR --json OUT --only corr2d
--timeout 5`` in a subprocess, from the repository root, with a secret in the grader's environment,
a temporary HOME with a canary in it, a TCP listener on 127.0.0.1 and a TMPDIR of its own (so that
every worker's argv names it). Each case must leave:

* a finished grader (exit 0) and a complete report that validates, lists every corr2d check, and
  gives the attacked exercise nothing;
* no secret and no ``ESCAPED`` line (what an attack prints when it gets through) in the report;
* no file changed outside the worker's scratch directory: the temporary HOME is compared file by
  file, the report file is compared after every daemon would have fired, the repository canary must
  be untouched and no ``.py`` file of the repository may contain the case's marker (real repository
  files are only opened for appending by the attack, never written: other people edit this tree);
* no process: none whose argv holds the case's marker or its TMPDIR, 6.5 s after the grader exited
  (an escaped daemon touches a file as soon as its worker is gone, or writes once its grader is);
* no connection on the listener;
* nothing left in the grader's TMPDIR (its scratch folders and every worker's are gone), and the
  host's memory and disk kept: each grader runs in a cgroup of the test's, whose peak is recorded.

Cases run twice where the sandbox makes a difference: with the sandbox and with ``--no-sandbox``
(where bubblewrap cannot run, the grader refuses without ``--no-sandbox``, so every case runs with
it). Without bubblewrap the worker can read the whole filesystem and write to the shared /tmp:
those gaps are expected (and documented in docs/sandbox.md), the rest must hold. All gradings run
up front, two at a time, in a module fixture (about 3-5 minutes).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autograder.checks.corr2d import EXERCISE as CORR2D
from autograder.load import reference_submission
from autograder.report import validate
from autograder.settings import WorkerConfig
from autograder.worker import sandbox
from autograder.worker.client import WorkerProcess
from autograder.worker.sandbox import bubblewrap, cgroup, describe_isolation, system
from autograder.worker.space import prepare_space

ROOT = Path(__file__).resolve().parents[2]
ATTACKS = ROOT / "tests" / "corpus" / "attacks"
SOLUTIONS = ROOT / "solutions"
SHARED_DATA = ROOT.parent / "shared" / "datasets"
SECRET_NAME = "CNN_KIT_SANDBOX_SECRET"
CALL_TIMEOUT = "5"
#: Seconds to wait after a grader exited before looking for daemons and their files.
DAEMON_GRACE = 6.5
BWRAP_PROBLEM = bubblewrap.bubblewrap_problem(userns=os.geteuid() != 0)


@dataclass(frozen=True)
class Case:
    #: "bwrap": the default configuration (bubblewrap where it works, else the fallback, when the
    #: case has no "plain" run); "plain": ``--no-sandbox``
    modes: tuple[str, ...] = ("bwrap", "plain")
    #: extra arguments of ``grade``; ``{folder}`` is the run's folder
    args: tuple[str, ...] = ()
    #: mode -> why an escape is expected there (a documented gap)
    gaps: dict[str, str] = field(default_factory=dict)
    #: a configuration file (``--config``) for the grading
    config: str = ""


NO_FS_ISOLATION = "without bubblewrap the filesystem is not isolated: the worker can read the reference solutions"
CASES: dict[str, Case] = {
    "exit_at_import": Case(modes=("bwrap",)),
    "infinite_loop": Case(modes=("bwrap",)),
    "sleep_forever": Case(modes=("bwrap",)),
    "allocate_8gib": Case(modes=("bwrap",), args=("--memory", "1GiB")),
    "setsid_escape": Case(),
    "kill_parent": Case(),
    "fake_results": Case(),
    "read_solutions": Case(gaps={"plain": NO_FS_ISOLATION}),
    "tcp_connect": Case(),
    "modify_files": Case(),
    "fd_spray": Case(modes=("bwrap",)),
    "stdout_flood": Case(modes=("bwrap",)),
    "recursion": Case(modes=("bwrap",)),
    "print_environ": Case(),
    "fork_memory": Case(modes=("bwrap",), args=("--memory", "1.5GiB")),
    "fork_storm": Case(modes=("bwrap",), config="[limits]\nprocesses = 64\n"),
    "fill_disk": Case(modes=("bwrap",)),
    "many_files": Case(modes=("bwrap",)),
    "denied_syscalls": Case(),
    "hostile_text": Case(
        modes=("bwrap",),
        args=("--format", "text", "--save", "markdown:{folder}/report.md", "--save", "junit:{folder}/report.xml")
        + ("--save", "gradescope:{folder}/results.json"),
    ),
}
#: The cgroup a grading runs in, to measure the host memory it took (None where none can be made).
MEASURE = cgroup.cgroup_problem() is None
RUNS = [(name, mode) for name, case in CASES.items() for mode in case.modes]
#: Without bubblewrap a "bwrap" run is one with --no-sandbox: it runs unless the case has a "plain" run anyway.
RUNNABLE = [
    (name, mode) for name, mode in RUNS if BWRAP_PROBLEM is None or mode == "plain" or "plain" not in CASES[name].modes
]
BOXED = {"bwrap": BWRAP_PROBLEM is None, "plain": False}


def test_every_attack_file_has_a_case():
    assert sorted(p.stem for p in ATTACKS.glob("*.py")) == sorted(CASES)


# --------------------------------------------------------------------------- helpers


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    self.connections.append(connection.recv(200))
                except OSError:
                    self.connections.append(b"")

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()


def snapshot(folder: Path) -> dict[str, tuple[int, str]]:
    """path -> (mtime_ns, sha256) of every file under ``folder``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = (
                path.stat().st_mtime_ns,
                hashlib.sha256(path.read_bytes()).hexdigest(),
            )
    return out


def processes_mentioning(*needles: str) -> list[tuple[int, str]]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                argv = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(needle in argv for needle in needles):
                found.append((int(entry), argv[:200]))
    return found


def repo_files_with(marker: str) -> list[str]:
    hits = []
    for path in ROOT.rglob("*.py"):
        if ".venv" in path.parts or ".git" in path.parts:
            continue
        try:
            if marker in path.read_text(errors="replace"):
                hits.append(str(path))
        except OSError:
            pass
    return hits


@dataclass
class Run:
    name: str
    mode: str
    marker: str
    folder: Path
    out: Path
    home: Path
    tmp: Path
    repo_canary: Path
    home_before: dict
    listener: Listener
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    report_text: str = ""
    finished: float = 0.0
    seconds: float = 0.0
    # filled in after the grace period
    report_later: str = ""
    home_after: dict = field(default_factory=dict)
    leftovers: list = field(default_factory=list)
    tmp_files: dict = field(default_factory=dict)
    marked_repo_files: list = field(default_factory=list)
    pth_files: list = field(default_factory=list)
    host_peak: int | None = None  # bytes: the most memory the grader and its workers took together
    disk_free: tuple[int, int] = (0, 0)  # bytes free on TMPDIR's disk before and after
    tmp_left: list = field(default_factory=list)


def prepare(name: str, mode: str, base: Path) -> Run:
    marker = f"cnnkitattack{secrets.token_hex(4)}"
    folder = base / f"{name}-{mode}"
    (folder / "sub").mkdir(parents=True)
    for module in SOLUTIONS.glob("*.py"):
        shutil.copyfile(module, folder / "sub" / module.name)
    listener = Listener()
    home = folder / "home"
    home.mkdir()
    (home / f"canary-{marker}").write_text("the grader's own file\n")
    (home / ".bashrc").write_text("# the grader's shell\n")
    source = (ATTACKS / f"{name}.py").read_text()
    for key, value in {
        "__MARKER__": marker,
        "__PORT__": str(listener.port),
        "__REPO__": str(ROOT),
        "__HOME__": str(home),
    }.items():
        source = source.replace(key, value)
    (folder / "sub" / "corr2d.py").write_text(source)
    tmp = folder / "tmp"
    tmp.mkdir()
    if CASES[name].config:
        (folder / "grader.toml").write_text(CASES[name].config)
    repo_canary = ROOT / f".sandbox-canary-{marker}.py"
    if name == "modify_files":
        repo_canary.write_text("# a canary\n")
    return Run(name, mode, marker, folder, folder / "report.json", home, tmp, repo_canary, snapshot(home), listener)


def grade(run: Run) -> Run:
    env = dict(os.environ, HOME=str(run.home), TMPDIR=str(run.tmp), PYTHONDONTWRITEBYTECODE="1")
    env[SECRET_NAME] = f"secret-{run.marker}-value"
    if (SHARED_DATA / "FashionMNIST").is_dir():
        env["CNN_KIT_DATA"] = str(SHARED_DATA)
    command = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(run.folder / "sub"),
        "--json",
        str(run.out),
        "--only",
        "corr2d",
        "--timeout",
        CALL_TIMEOUT,
        *[arg.format(folder=run.folder) for arg in CASES[run.name].args],
    ]
    if CASES[run.name].config:
        command += ["--config", str(run.folder / "grader.toml")]
    if run.mode == "plain" or BWRAP_PROBLEM is not None:
        command.append("--no-sandbox")
    measure = cgroup.WorkerCgroup(64 << 30, 1 << 20) if MEASURE else None
    before = shutil.disk_usage(run.tmp).free
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
            preexec_fn=measure.join if measure else None,
        )
        run.returncode = done.returncode
        run.stdout = done.stdout.decode(errors="replace")
        run.stderr = done.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as exc:
        run.returncode = None
        run.stderr = f"the grader did not finish: {exc}"
    finally:
        if measure is not None:
            run.host_peak = measure.peak_bytes()
            measure.remove()
    run.disk_free = (before, shutil.disk_usage(run.tmp).free)
    run.tmp_left = sorted(str(p) for p in run.tmp.rglob("*"))[:10]
    run.finished = time.monotonic()
    run.seconds = run.finished - started
    run.report_text = run.out.read_text() if run.out.exists() else ""
    return run


def inspect_later(run: Run) -> None:
    """What is left once every daemon would have fired; kill leftovers so nothing outlives the test."""
    run.leftovers = processes_mentioning(run.marker, str(run.folder))
    for pid, _ in run.leftovers:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    run.report_later = run.out.read_text() if run.out.exists() else ""
    run.home_after = snapshot(run.home)
    for suffix in ("touched", "results.json", "delayed.json"):
        path = Path(tempfile.gettempdir()) / f"{run.marker}-{suffix}"
        if path.exists():
            run.tmp_files[suffix] = path.read_text(errors="replace")
            path.unlink()
    run.marked_repo_files = repo_files_with(run.marker)
    for site in system.python_paths():
        pth = Path(site) / f"zz-{run.marker}.pth"
        if pth.exists():
            run.pth_files.append(str(pth))
            pth.unlink()
    run.listener.close()


@pytest.fixture(scope="module")
def attack_runs(tmp_path_factory):
    runs = [prepare(name, mode, tmp_path_factory.mktemp("attacks")) for name, mode in RUNNABLE]
    # the slow ones first, so that two at a time finish together
    slow = ("infinite_loop", "sleep_forever", "read_solutions", "setsid_escape", "fake_results", "fork_memory")
    runs.sort(key=lambda r: r.name not in slow)
    try:
        with ThreadPoolExecutor(2, thread_name_prefix="attack") as pool:
            list(pool.map(grade, runs))
        wait = max(r.finished for r in runs) + DAEMON_GRACE - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        for run in runs:
            inspect_later(run)
    finally:
        for run in runs:
            run.repo_canary.unlink(missing_ok=True)
    return {(r.name, r.mode): r for r in runs}


@pytest.mark.parametrize("name,mode", RUNS, ids=[f"{n}-{m}" for n, m in RUNS])
def test_attack_fails_safely(attack_runs, name, mode):
    if (name, mode) not in attack_runs:
        pytest.skip(f"bubblewrap cannot run here ({BWRAP_PROBLEM}): the --no-sandbox run covers it")
    run = attack_runs[(name, mode)]
    where = f"{name} ({mode}); stderr: {run.stderr[-1500:]}"
    assert run.returncode == 0, where
    data = json.loads(run.report_text)
    validate(data)
    assert data["complete"], where
    assert [e["name"] for e in data["exercises"]] == ["corr2d"]
    checks = data["exercises"][0]["checks"]
    assert [c["name"] for c in checks] == [c.name for c in CORR2D.checks], where
    assert all(c["status"] in ("passed", "failed", "error") for c in checks), where
    assert data["sandbox"].startswith("bubblewrap" if BOXED[mode] else "NOT sandboxed"), data["sandbox"]
    assert run.tmp_left == [], f"left in the grader's TMPDIR: {run.tmp_left}"
    # nothing leaked, nothing left
    secret = f"secret-{run.marker}-value"
    for text in (run.report_text, run.stdout, run.stderr):
        assert secret not in text
        assert SECRET_NAME not in text
    assert run.leftovers == [], f"processes left behind: {run.leftovers}"
    assert run.listener.connections == [], "a connection reached the listener"
    assert run.report_later == run.report_text, "the report was changed after the grader exited"
    assert run.home_after == run.home_before, "the grader's HOME changed"
    assert not run.repo_canary.exists() or run.repo_canary.read_text() == "# a canary\n"
    assert run.marked_repo_files == [] and run.pth_files == [], (run.marked_repo_files, run.pth_files)
    assert "touched" not in run.tmp_files and "delayed.json" not in run.tmp_files, run.tmp_files
    if BOXED[mode]:
        assert run.tmp_files == {}, "the worker wrote to the real /tmp"
    if mode in CASES[name].gaps:
        pytest.xfail(CASES[name].gaps[mode])
    escaped = [line for line in (run.report_text + run.stdout).splitlines() if "ESCAPED" in line]
    assert escaped == [], escaped
    assert data["exercises"][0]["score"] == 0, [(c["name"], c["status"]) for c in checks]


def test_memory_limit_stops_the_allocation(attack_runs):
    runs = [r for (name, _), r in attack_runs.items() if name == "allocate_8gib"]
    for run in runs:
        messages = " ".join(c["message"] for c in json.loads(run.report_text)["exercises"][0]["checks"])
        assert "before MemoryError" in messages, messages[:500]


def messages_of(run: Run) -> str:
    return " ".join(c["message"] for c in json.loads(run.report_text)["exercises"][0]["checks"])


def number_in(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    assert match, (pattern, text[:500])
    return int(match.group(1))


def test_forked_children_share_one_memory_cap(attack_runs):
    """Six children of 500 MiB each (under the per-process limit) ask for 3 GiB; the worker's cgroup
    caps them at 1.5 GiB together, the check says so, and the host never lends the 3 GiB."""
    run = attack_runs[("fork_memory", "bwrap")]
    checks = json.loads(run.report_text)["exercises"][0]["checks"]
    assert any(c["reason"] == "memory_limit" for c in checks), [(c["reason"], c["message"][:80]) for c in checks]
    assert "memory limit of 1.5 GiB exceeded" in messages_of(run)
    if run.host_peak is not None:
        assert run.host_peak < 3 << 30, f"the grading took {run.host_peak >> 20} MiB of the host"


def test_fork_storm_stops_at_the_process_cap(attack_runs):
    run = attack_runs[("fork_storm", "bwrap")]
    assert number_in(r"forked (\d+) processes", messages_of(run)) < 64


def test_scratch_is_capped_in_bytes_and_files(attack_runs):
    """The scratch (home and /tmp) holds at most 256 MiB and 10,000 files; the grader's disk keeps
    its free space (up to what others on this machine write meanwhile)."""
    run = attack_runs[("fill_disk", "bwrap")]
    assert number_in(r"wrote (\d+) MiB", messages_of(run)) <= 256
    before, after = run.disk_free
    assert after > before - (200 << 20), f"{(before - after) >> 20} MiB less free on the grader's disk"
    run = attack_runs[("many_files", "bwrap")]
    assert number_in(r"created (\d+) files", messages_of(run)) <= 10_000


def test_every_denied_system_call_fails(attack_runs):
    for mode in ("bwrap", "plain"):
        run = attack_runs.get(("denied_syscalls", mode))
        if run is not None:
            message = messages_of(run)
            assert "ptrace(TRACEME)': 'EPERM'" in message and "'clone3': 'ENOSYS'" in message, message[:800]


def test_student_text_is_shown_as_text(attack_runs):
    """Escape sequences, HTML, a Markdown fence and a formula in an exception message: every format
    shows them as text and stays well-formed."""
    import xml.etree.ElementTree as ET

    run = attack_runs[("hostile_text", "bwrap")]
    assert "\x1b" not in run.stdout and "\r" not in run.stdout and "\u202e" not in run.stdout
    assert "\\x1b[2J" in run.stdout and "\\u202e" in run.stdout  # shown, not interpreted
    markdown = (run.folder / "report.md").read_text(encoding="utf-8")
    assert "\x1b" not in markdown
    outside_code = re.sub(r"(?ms)^ *(`{3,})\n.*?^ *\1$", "", markdown)
    assert "<script>" not in outside_code and "HYPERLINK" not in outside_code
    ET.parse(run.folder / "report.xml")  # well-formed, no control character
    results = json.loads((run.folder / "results.json").read_text(encoding="utf-8"))
    assert all("\x1b" not in test["output"] for test in results["tests"])


def test_output_flood_is_capped(attack_runs):
    run = attack_runs[("stdout_flood", "bwrap")]
    assert len(run.report_text) < 1 << 20
    assert "more bytes of output dropped" in json.loads(run.report_text)["exercises"][0]["output"]


# --------------------------------------------------------------------------- the worker's view

PROBE = b"""
import os, resource, socket

def look(paths):
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    out = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
           "caps": {k: int(status[k].strip(), 16) for k in ("CapPrm", "CapEff", "CapAmb")},
           "no_new_privs": status["NoNewPrivs"].strip(), "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[1],
           "pids": len([p for p in os.listdir("/proc") if p.isdigit()]), "root": sorted(os.listdir("/")),
           "exists": {p: os.path.exists(p) for p in paths}, "sizes": {}, "writable": {},
           "home": os.environ["HOME"], "stdlib": os.path.dirname(os.__file__)}
    for p in paths:
        if os.path.isfile(p):
            out["sizes"][p] = os.path.getsize(p)
    try:
        out["root_home"] = sorted(os.listdir("/root"))
    except OSError as exc:
        out["root_home"] = type(exc).__name__
    for p in ("/", "/usr", "/etc", "/tmp", out["home"], out["stdlib"]):
        name = os.path.join(p, f"probe-file-{os.getpid()}")
        try:
            open(name, "x").close()
            os.remove(name)
            out["writable"][p] = True
        except OSError:
            out["writable"][p] = False
    try:
        socket.create_connection(("127.0.0.1", 1), timeout=1)
        out["network"] = "connected"
    except OSError as exc:
        out["network"] = type(exc).__name__
    return out
"""


def test_escaped_daemons_die_before_their_worker(monkeypatch):
    """``setsid_escape``'s daemons act as soon as their worker is gone. Ending the worker kills them
    first, so they never act, however long the grader takes before its last reap (here 1 s more
    than usual). Without bubblewrap: with it, the PID namespace takes them with the worker anyway."""
    marker = f"cnnkit-reap-{secrets.token_hex(4)}"
    attack = (ATTACKS / "setsid_escape.py").read_text().replace("__MARKER__", marker)
    files = dict(reference_submission().files, **{"corr2d.py": attack.encode()})
    forget = sandbox.forget
    monkeypatch.setattr(sandbox, "forget", lambda pid: (time.sleep(1), forget(pid)))
    touched = Path("/tmp") / f"{marker}-touched"
    with tempfile.TemporaryDirectory(prefix="cnnkit-sandbox-test-") as scratch:
        worker = WorkerProcess(prepare_space(Path(scratch) / "w", files), WorkerConfig(sandbox="off"))
        try:
            assert worker.request({"op": "load", "modules": ["corr2d"]}).get("ok"), worker.output()
            time.sleep(0.5)  # the daemons run and watch the worker
        finally:
            worker.kill()
    time.sleep(0.5)
    try:
        assert not touched.exists(), "an escaped daemon acted after its worker was gone"
    finally:
        touched.unlink(missing_ok=True)
    assert processes_mentioning(marker) == [], "escaped daemons outlived their worker"


def look_inside(config: WorkerConfig, paths: list[str]) -> dict:
    files = dict(reference_submission().files, **{"probe.py": PROBE})
    with tempfile.TemporaryDirectory(prefix="cnnkit-sandbox-test-") as scratch:
        worker = WorkerProcess(prepare_space(Path(scratch) / "w", files), config)
        try:
            reply = worker.request({"op": "call", "target": "probe.look", "args": [paths]})
        finally:
            worker.kill()
        assert reply["ok"], (reply, worker.output())
        return reply["value"]


@pytest.mark.skipif(BWRAP_PROBLEM is not None, reason=f"bubblewrap cannot run here: {BWRAP_PROBLEM}")
def test_inside_bubblewrap(monkeypatch):
    data = bubblewrap.find_data_folder(str(SHARED_DATA)) if SHARED_DATA.is_dir() else bubblewrap.find_data_folder(None)
    config = WorkerConfig(data_dir=data)
    hidden = [
        str(SOLUTIONS / "corr2d.py"),
        str(ROOT / "tests"),
        str(ROOT / "autograder" / "checks"),
        str(ROOT / "exercises"),
        "/root/.ssh",
        "/root/.bashrc",
        "/var",
        "/sys",
        "/etc/shadow",
        "/home",
    ]
    paths = list(hidden)
    if data:
        paths += [os.path.join(data, f"{name}.gz") for name in bubblewrap.TRAIN_FILES + bubblewrap.TEST_FILES]
    view = look_inside(config, paths)
    assert view["uid"] == view["gid"] == system.UNPRIVILEGED and view["groups"] == []
    assert view["caps"] == {"CapPrm": 0, "CapEff": 0, "CapAmb": 0} and view["no_new_privs"] == "1"
    assert view["nproc"] == config.processes
    assert view["pids"] <= 3  # bwrap's init, the worker, nothing of the machine
    assert view["network"] != "connected"
    assert [p for p in hidden if view["exists"][p]] == []
    python_home = [p for p in system.python_paths() if p.startswith("/root/")]
    assert view["root_home"] == (
        [".pyenv"] if python_home and python_home[0].startswith("/root/.pyenv/") else view["root_home"]
    )  # only the Python installation, if it lives there
    assert view["writable"] == {
        "/": False,
        "/usr": False,
        "/etc": False,
        "/tmp": True,
        view["home"]: True,
        view["stdlib"]: False,
    }
    if data:
        sizes = view["sizes"]
        assert all(sizes[os.path.join(data, f"{n}.gz")] > 0 for n in bubblewrap.TRAIN_FILES), sizes
        assert all(sizes[os.path.join(data, f"{n}.gz")] == 0 for n in bubblewrap.TEST_FILES), sizes
    assert describe_isolation(config).startswith("bubblewrap, no network, read-only filesystem")


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root grader drops privileges")
def test_without_bubblewrap_the_worker_is_unprivileged():
    config = WorkerConfig(sandbox="off")
    view = look_inside(config, [str(SOLUTIONS / "corr2d.py")])
    assert view["uid"] == view["gid"] == system.UNPRIVILEGED and view["groups"] == []
    assert view["no_new_privs"] == "1" and view["nproc"] == config.processes
    assert view["caps"]["CapEff"] & ~(1 << system.CAP_DAC_READ_SEARCH) == 0
    assert view["writable"]["/usr"] is False and view["writable"]["/etc"] is False
    assert view["writable"][view["stdlib"]] is False and view["writable"][view["home"]] is True
    header = describe_isolation(config)
    assert header.startswith("NOT sandboxed") and "NOT isolated" in header and "unprivileged" in header
    if sandbox.plan(config).netns:
        assert view["network"] != "connected"


def test_header_without_bubblewrap_says_what_is_missing():
    header = describe_isolation(WorkerConfig(sandbox="off", memory_bytes=2 << 30, call_timeout=30))
    assert header.startswith("NOT sandboxed (disabled (--no-sandbox))")
    assert "filesystem" in header and "NOT isolated" in header and "30 s per call" in header
    assert "2 GiB" in header


@pytest.mark.skipif(BWRAP_PROBLEM is not None, reason=f"bubblewrap cannot run here: {BWRAP_PROBLEM}")
def test_a_python_installed_under_tmp_stays_visible(monkeypatch):
    """A checkout and its virtual environment under /tmp (a CI's fresh clone) are bound over the
    worker's own /tmp, not hidden by it."""
    site = Path(tempfile.mkdtemp(prefix="cnnkit-site-", dir="/tmp"))
    try:
        site.chmod(0o755)
        (site / "cnnkit_site_marker.py").write_text("VALUE = 'visible'\n")
        (site / "cnnkit_site_marker.py").chmod(0o644)
        monkeypatch.setattr(bubblewrap, "python_paths", lambda: [*system.python_paths(), str(site)])
        code = f"import sys; sys.path.append({str(site)!r}); import cnnkit_site_marker; print(cnnkit_site_marker.VALUE)"
        with tempfile.TemporaryDirectory(prefix="cnnkit-site-worker-") as scratch:
            space = prepare_space(Path(scratch) / "w", {})
            launch = sandbox.launch(WorkerConfig(), [sys.executable, "-I", "-S", "-c", code], space)
            try:
                done = subprocess.run(
                    launch.command,
                    cwd=space.home,
                    preexec_fn=launch.preexec,
                    pass_fds=launch.pass_fds,
                    capture_output=True,
                    text=True,
                    env={"PATH": "/usr/bin:/bin"},
                    timeout=120,
                )
            finally:
                launch.finished()
        assert done.stdout.strip() == "visible", done.stderr[-2000:]
    finally:
        shutil.rmtree(site)
