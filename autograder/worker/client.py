"""The parent's handle on a worker process: start, request with a deadline, kill.

A worker is started as ``python -I -S`` in a scratch directory with a minimal environment, in a
session of its own (so the whole process group can be killed), with its output captured through a
pipe of which only the first ``output_cap`` bytes are kept. Requests and replies travel on two
private pipes (see ``protocol``). Anything that goes wrong on the worker's side surfaces here as a
``WorkerError`` with a reason a student can read. How the worker is isolated (bubblewrap, an
unprivileged user, resource limits, reaping of escaped processes) is decided in ``sandbox``.

Starting a worker imports no torch: ``protocol`` (which does) is imported by the first request, so a
grading starts its workers before the grader imports torch and their imports overlap its own.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading

from ..reasons import Reason
from ..settings import WorkerConfig
from ..text import size_text
from . import sandbox
from .space import RUNTIME_PACKAGE, WorkerSpace, site_directories

PASSED_ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "CUDA_VISIBLE_DEVICES")
#: Passed as well when the worker may use the GPU: where the driver's libraries are found.
GPU_ENVIRONMENT = ("LD_LIBRARY_PATH", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES")


def boot(entry: str) -> str:
    """A worker's first lines (``python -I -S -c``): put its runtime on ``sys.path`` and run
    ``entry``'s ``main``, which drops privileges before any student code (``runtime.privileges``)."""
    return f"import sys\nsys.path[:0] = sys.argv.pop().split('\\n')\nfrom {RUNTIME_PACKAGE}.{entry} import main; main()"


class WorkerError(RuntimeError):
    """The worker died, hung, broke the protocol or went over its memory cap; ``reason`` is
    ``Reason.CRASHED``, ``TIMEOUT``, ``PROTOCOL`` or ``MEMORY_LIMIT``; ``detail_zh`` is ``detail``
    in Chinese where it is words of the grader's."""

    def __init__(self, reason: Reason, detail: str, detail_zh: str | None = None):
        super().__init__(detail)
        self.reason, self.detail = reason, detail
        self.detail_zh = detail if detail_zh is None else detail_zh


class _OutputSink(threading.Thread):
    """Drains the worker's stdout+stderr, keeping only the first ``cap`` bytes."""

    def __init__(self, stream, cap: int):
        super().__init__(daemon=True)
        self.stream, self.cap = stream, cap
        self.kept = bytearray()
        self.dropped = 0

    def run(self) -> None:
        while chunk := self.stream.read1(1 << 16):
            room = self.cap - len(self.kept)
            self.kept += chunk[: max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        text = self.kept.decode(errors="replace")
        return text + (f"\n[... {self.dropped} more bytes of output dropped]" if self.dropped else "")


class WorkerHandle:
    """What the grader does with a running worker: requests with a deadline, its output, its memory.
    How it was started and how it is ended belong to the subclass (``WorkerProcess`` here, a worker
    forked by a zygote in ``zygote``)."""

    config: WorkerConfig
    _request_write: int
    _reply_read: int
    _output: _OutputSink
    _ready: bool = False
    _peak: int | None = None

    @property
    def alive(self) -> bool:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError

    def _exit_description(self) -> str:
        raise NotImplementedError

    @property
    def _cgroup(self) -> sandbox.WorkerCgroup | None:
        raise NotImplementedError

    def output(self) -> str:
        """What the worker printed so far (capped)."""
        return self._output.text()

    def memory_peak(self) -> int | None:
        """The most memory the worker's processes used together (None without a cgroup)."""
        cgroup = self._cgroup
        return cgroup.peak_bytes() if cgroup is not None else self._peak

    def _over_memory(self) -> WorkerError | None:
        """The error to raise (the worker killed) when the kernel killed any of its processes for the cap."""
        cgroup = self._cgroup
        if cgroup is None or not cgroup.memory_exceeded():
            return None
        self.kill()
        limit = size_text(self.config.memory_bytes)
        return WorkerError(Reason.MEMORY_LIMIT, f"memory limit of {limit} exceeded", f"超出了 {limit} 的内存上限")

    def _read(self, timeout: float) -> dict:
        from .runtime import protocol

        try:
            reply = protocol.read_frame(self._reply_read, timeout)
        except TimeoutError:
            error = self._over_memory() or WorkerError(Reason.TIMEOUT, f"no answer within {timeout:g} s")
            self.kill()
            raise error from None
        except EOFError:
            detail = self._exit_description()
            error = self._over_memory() or WorkerError(Reason.CRASHED, f"the worker process {detail}")
            self.kill()
            raise error from None
        except protocol.ProtocolError as exc:
            self.kill()
            raise WorkerError(Reason.PROTOCOL, f"the worker sent a malformed reply ({exc})") from None
        error = self._over_memory()
        if error is not None:
            raise error
        return reply

    def request(self, message: dict, timeout: float | None = None) -> dict:
        """Send one request and wait for its reply; raise WorkerError on death, hang or garbage."""
        if not self._ready:
            hello = self._read(self.config.start_timeout)
            if not hello.get("ready"):
                self.kill()
                raise WorkerError(Reason.PROTOCOL, "the worker did not start properly")
            self._ready = True
        # A fresh random id per request: a reply forged by student code (it can write to the
        # reply pipe) cannot carry it, so it cannot end a call early or stand in for its result.
        request_id = secrets.token_hex(16)
        from .runtime import protocol

        try:
            protocol.write_frame(self._request_write, {**message, "id": request_id})
        except (BrokenPipeError, OSError):
            detail = self._exit_description()
            self.kill()
            raise WorkerError(Reason.CRASHED, f"the worker process {detail}") from None
        reply = self._read(self.config.call_timeout if timeout is None else timeout)
        if reply.get("id") != request_id:
            self.kill()
            raise WorkerError(
                Reason.PROTOCOL, "a reply that does not answer the request arrived (forged or out of order)"
            )
        return reply


class WorkerProcess(WorkerHandle):
    """One running worker process. Starting returns at once; the first request waits for it to be
    ready. ``entry`` is the runtime module it runs (``server``; ``zygote`` for a zygote), and
    ``extra_fds`` are passed to it after its package root (the zygote's control socket)."""

    def __init__(
        self, space: WorkerSpace, config: WorkerConfig, entry: str = "server", extra_fds: tuple[int, ...] = ()
    ):
        self.space, self.config = space, config
        request_read, self._request_write = os.pipe()
        self._reply_read, reply_write = os.pipe()
        paths = [str(space.runtime), str(space.package_parent), *site_directories()]
        command = [
            sys.executable,
            "-I",
            "-S",
            "-c",
            boot(entry),
            str(request_read),
            str(reply_write),
            str(space.package_root),
            *map(str, extra_fds),
            "\n".join(paths),
        ]
        self._launch: sandbox.Launch | None = None
        try:
            self._launch = sandbox.launch(config, command, space)
            self._start(request_read, reply_write, extra_fds)
        except BaseException:
            for fd in (request_read, self._request_write, self._reply_read, reply_write):
                os.close(fd)
            if self._launch is not None:
                self._launch.finished()
            raise
        os.close(request_read)
        os.close(reply_write)
        self._launch.started()
        self._output = _OutputSink(self.process.stdout, config.output_cap)
        self._output.start()

    def _start(self, request_read: int, reply_write: int, extra_fds: tuple[int, ...]) -> None:
        space, config = self.space, self.config
        # USER/LOGNAME: libraries that name a cache folder after the user (getpass.getuser(), e.g.
        # PyTorch's optimizers on CUDA) must not depend on a passwd entry inside the sandbox.
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(space.home),
            "LANG": "C.UTF-8",
            "USER": "nobody",
            "LOGNAME": "nobody",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": str(config.threads),
            "CNN_KIT_THREADS": str(config.threads),
        }
        env.update({k: os.environ[k] for k in PASSED_ENVIRONMENT if k in os.environ})
        if config.gpu:
            env.update({k: os.environ[k] for k in GPU_ENVIRONMENT if k in os.environ})
        env.update(self._launch.env)
        env.update(config.extra_env)
        sandbox.become_subreaper()
        with sandbox.LOCK:  # a starting worker must not look like an escaped process
            self.process = subprocess.Popen(
                self._launch.command,
                cwd=space.home,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(request_read, reply_write, *extra_fds, *self._launch.pass_fds),
                start_new_session=True,
                preexec_fn=self._launch.preexec,
            )
            sandbox.register(self.process.pid)

    def _exit_description(self) -> str:
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "stopped answering"
        if code > 128 and sandbox.plan(self.config).bwrap is not None:
            code = 128 - code  # bwrap reports a child killed by signal N as status 128 + N
        if code < 0:
            try:
                return f"was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"was killed by signal {-code}"
        return f"exited with status {code}"

    @property
    def _cgroup(self) -> sandbox.WorkerCgroup | None:
        return self._launch.cgroup if self._launch is not None else None

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the worker's whole process group, everything it started and whatever escaped it,
        and release its pipes. The group is stopped first and the escaped processes die before the
        worker does, so none of them sees it gone (and acts then, before being reaped)."""
        try:
            os.killpg(self.process.pid, signal.SIGSTOP)
        except (ProcessLookupError, PermissionError):
            pass
        sandbox.reap_escapees()  # escaped and already adopted by this grader
        sandbox.kill_descendants(self.process.pid)  # escaped into other sessions, still below the worker
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        sandbox.forget(self.process.pid)
        sandbox.reap_escapees()  # adopted meanwhile: the killed ones, now zombies, and any straggler
        self._output.join(timeout=2)
        for fd in (self._request_write, self._reply_read):
            try:
                os.close(fd)
            except OSError:
                pass
        self._request_write = self._reply_read = -1
        launch, self._launch = self._launch, None
        if launch is not None:
            self._peak = launch.cgroup.peak_bytes() if launch.cgroup is not None else None
            launch.finished()
