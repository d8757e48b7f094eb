"""A zygote: one sandboxed process per submission that imports torch once and forks a fresh worker
for each exercise, instead of starting (and importing torch in) a new process each time.

The zygote is a ``WorkerProcess`` whose runtime entry is ``runtime/zygote.py``: it is in bubblewrap
with every layer of a worker (namespaces, read-only filesystem, capped scratch, system-call filter,
rlimits, a cgroup of its own) and runs no student code. ``fork`` makes a cgroup for the new worker,
hands the zygote the worker's three pipes over a Unix socket, finds the forked process from outside
its PID namespace and moves it into that cgroup before the first request, so every process of that
worker is capped and killed together (``ForkedWorker.kill``). What a forked worker starts from and
what it must not share is in ``docs/sandbox.md`` ("The zygote").
"""

from __future__ import annotations

import os
import socket

from ..reasons import Reason
from ..settings import WorkerConfig
from . import sandbox
from .client import WorkerError, WorkerHandle, WorkerProcess, _OutputSink
from .sandbox.reaping import process_tree
from .space import WorkerSpace


def namespace_pid(pid: int) -> int | None:
    """The pid that process ``pid`` has in its innermost PID namespace (None: gone)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("NSpid:"):
                    return int(line.split()[-1])
    except OSError:
        return None
    return None


def outer_pid(zygote: int, inner: int) -> int | None:
    """The pid, as the grader sees it, of the zygote's child whose pid inside the sandbox is ``inner``."""
    for pid in process_tree(zygote)[1:]:
        if namespace_pid(pid) == inner:
            return pid
    return None


class ForkedWorker(WorkerHandle):
    """A worker forked by a zygote: the same requests as a started one; it lives in its own cgroup,
    which is how the grader knows it is alive and how all its processes are killed."""

    def __init__(self, pid: int, cgroup: sandbox.WorkerCgroup, config: WorkerConfig, pipes: tuple[int, int, int]):
        self.pid, self.config, self._own_cgroup = pid, config, cgroup
        self._request_write, self._reply_read, output_read = pipes
        self._output = _OutputSink(open(output_read, "rb"), config.output_cap)
        self._output.start()

    @property
    def _cgroup(self) -> sandbox.WorkerCgroup | None:
        return self._own_cgroup

    @property
    def alive(self) -> bool:
        return self.pid in self._own_cgroup.processes()

    def _exit_description(self) -> str:
        return "stopped answering" if self.alive else "ended"

    def kill(self) -> None:
        """Kill every process of the worker (its cgroup), remove the cgroup, release the pipes."""
        if self._request_write < 0:
            return
        self._own_cgroup.kill_all()
        self._peak = self._own_cgroup.peak_bytes()
        self._own_cgroup.remove()
        self._output.join(timeout=2)
        for fd in (self._request_write, self._reply_read):
            os.close(fd)
        self._request_write = self._reply_read = -1

    def memory_peak(self) -> int | None:
        return self._peak if self._request_write < 0 else self._own_cgroup.peak_bytes()


class Zygote:
    """The zygote of one submission (started at once: it imports torch while the grader goes on)."""

    def __init__(self, space: WorkerSpace, config: WorkerConfig):
        self.config = config
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._process = WorkerProcess(space, config, entry="zygote", extra_fds=(theirs.fileno(),))
        except BaseException:
            self._control.close()
            raise
        finally:
            theirs.close()

    @property
    def alive(self) -> bool:
        return self._process.alive

    def fork(self) -> ForkedWorker:
        """A fresh worker, in its own cgroup; ``WorkerError`` if the zygote cannot make one."""
        cgroup = sandbox.WorkerCgroup(self.config.memory_bytes, self.config.processes)
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        output_read, output_write = os.pipe()
        ours, theirs = (request_write, reply_read, output_read), (request_read, reply_write, output_write)
        try:
            try:
                socket.send_fds(self._control, [b"fork"], list(theirs))
            except OSError:
                raise WorkerError(Reason.CRASHED, "the zygote is gone") from None
            finally:
                for fd in theirs:
                    os.close(fd)
            reply = self._process.request({"op": "fork"}, timeout=self.config.start_timeout)
            pid = outer_pid(self._process.process.pid, reply.get("pid", -1)) if reply.get("ok") else None
            if pid is None:
                raise WorkerError(Reason.CRASHED, "the zygote could not fork a worker")
            cgroup.adopt(pid)
        except BaseException:
            cgroup.kill_all()
            cgroup.remove()
            for fd in ours:
                os.close(fd)
            raise
        return ForkedWorker(pid, cgroup, self.config, ours)

    def output(self) -> str:
        """What the zygote itself printed (its errors, should it fail to start)."""
        return self._process.output()

    def kill(self) -> None:
        """Kill the zygote and everything in its sandbox (its forked workers included)."""
        self._process.kill()
        self._control.close()
