"""Writes fake full-score reports: results.json in the working folder, $HOME and /tmp, the grader's
``--json OUT`` (found through /proc/<ppid>/cmdline and every readable /proc/*/cmdline), Gradescope's
/autograder/results/results.json; and leaves a daemon that writes them again once the grader has
exited (it watches its parent change).

Expect: every check fails; the report the grader wrote is the real one (even after the grader
exited); no /tmp/<marker>-delayed.json appears (the daemon dies with the worker)."""
import json
import os
import sys
import time

MARKER = "__MARKER__"
FAKE = json.dumps({"score": 14, "max_score": 14, "complete": True, "exercises": [], "forged": MARKER})


def targets() -> list[str]:
    paths = ["results.json", os.path.join(os.environ.get("HOME", "."), "results.json"),
             f"/tmp/{MARKER}-results.json", "/autograder/results/results.json"]
    pids = [str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()]
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                argv = handle.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for flag, value in zip(argv, argv[1:]):
            if flag == "--json":
                try:
                    cwd = os.readlink(f"/proc/{pid}/cwd")
                except OSError:
                    cwd = "/"
                paths.append(os.path.join(cwd, value))
    return paths


def write_all(paths: list[str], delayed: bool = False) -> None:
    for path in paths:
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w") as handle:
                handle.write(FAKE)
            if not path.startswith(("/tmp/", "results.json", os.environ.get("HOME", "~"))):
                print(f"ESCAPED: wrote {path}")
        except OSError:
            pass
    if delayed:
        try:
            with open(f"/tmp/{MARKER}-delayed.json", "w") as handle:
                handle.write(FAKE)
        except OSError:
            pass


def grader_pid() -> int | None:
    """The grader running this worker, if this process can see it: the nearest ancestor with
    ``autograder`` and ``--json`` in its argv. (Any such process would do for an attack, but the
    test runs two graders at once: the daemon must watch its own.)"""
    pid = os.getppid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
            with open(f"/proc/{pid}/stat", "rb") as handle:
                parent = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None
        if b"--json" in argv and any(b"autograder" in arg for arg in argv):
            return pid
        pid = parent
    return None


def delayed_writer(paths: list[str]) -> None:
    """A daemon (new session) that writes again once the grader is gone (or after 90 s)."""
    grader = grader_pid()
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                deadline = time.time() + 90
                while time.time() < deadline and (grader is None or os.path.exists(f"/proc/{grader}")):
                    time.sleep(0.2)
                write_all(paths, delayed=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


PATHS = targets()
write_all(PATHS)
delayed_writer(PATHS)


def corr2d(X, K):
    write_all(targets())
    raise NotImplementedError("see results.json")
