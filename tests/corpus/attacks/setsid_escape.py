"""Starts grandchildren in new sessions (fork, setsid, fork, exec) that ignore SIGTERM/SIGHUP,
touch /tmp/<marker>-touched once the worker that started them is gone (they escaped it) and live
on for a minute: at import and in every call.

Expect: every check fails; when the worker is killed its escaped descendants die too (PID
namespace, or the grader's subreaper): the file never appears, no process with the marker remains."""
import os
import sys

MARKER = "__MARKER__"
DAEMON = r"""
import os, signal, sys, time
for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(number, signal.SIG_IGN)
worker = int(sys.argv[2])
while os.path.exists(f"/proc/{worker}"):
    time.sleep(0.1)
try:
    with open(f"/tmp/{sys.argv[1]}-touched", "w") as handle:
        handle.write("escaped")
except OSError:
    pass
time.sleep(60)
"""


def escape() -> None:
    worker = str(os.getpid())
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-I", "-S", "-c", DAEMON, MARKER, worker])
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


escape()


def corr2d(X, K):
    escape()
    raise NotImplementedError("the daemons are out")
