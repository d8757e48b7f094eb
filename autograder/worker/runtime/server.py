"""The worker process: imports the submission and answers the parent's requests.

Runs with ``python -I -S`` in a scratch directory, with the submission as the package
``exercises`` and this runtime (protocol, probes, cnnkit) on ``sys.path``. Nothing here decides a
score: it calls what it is asked to and reports what happened, including exceptions that student
code raises (``SystemExit`` and ``KeyboardInterrupt`` too).
"""

from __future__ import annotations

import importlib
import importlib.abc
import os
import sys
import traceback
from typing import Any

BLOCKED_PACKAGES = ("solutions", "autograder", "tests")


class BlockGraderImports(importlib.abc.MetaPathFinder):
    """Refuse imports of the reference solutions and the grader from student code."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED_PACKAGES:
            raise ImportError(f"{fullname} is not available to submissions")
        return None


def describe(exc: BaseException) -> str:
    """``str(exc)`` that survives exceptions whose ``__str__`` misbehaves."""
    try:
        text = str(exc)
    except BaseException:  # a hostile __str__ must not take the worker down
        text = "<unprintable>"
    return text[:2000]


def where(exc: BaseException, root: str) -> str | None:
    """The deepest ``file:line`` of the traceback that lies inside the submission."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(root)]
    if not frames:
        return None
    last = frames[-1]
    return f"{os.path.relpath(last.filename, root)}:{last.lineno}"


class Worker:
    """Holds the imported submission and dispatches requests."""

    def __init__(self, package_root: str) -> None:
        self.package_root = package_root

    def lookup(self, dotted: str) -> Any:
        """Resolve ``"module.attr[.attr]"`` inside the submission package."""
        module_name, _, attrs = dotted.partition(".")
        value = importlib.import_module(f"exercises.{module_name}")
        for attr in attrs.split("."):
            value = getattr(value, attr)
        return value

    def handle(self, request: dict) -> dict:
        from cnnkit.rules import record_ops

        from . import probes

        op = request.get("op")
        if op == "load":
            for module in request["modules"]:
                importlib.import_module(f"exercises.{module}")
            return {"ok": True}
        if op == "call":
            function = self.lookup(request["target"])
            probe_args = ()
        elif op == "probe":
            function = getattr(probes, request["probe"])
            probe_args = (self.lookup,)
        else:
            raise ValueError(f"unknown request {op!r}")
        args, kwargs = request.get("args", []), request.get("kwargs", {})
        if request.get("record_ops"):
            value, ops = record_ops(lambda: function(*probe_args, *args, **kwargs))
            reply = {"ok": True, "value": value, "ops": dict(ops)}
        else:
            reply = {"ok": True, "value": function(*probe_args, *args, **kwargs)}
        if request.get("return_args"):
            reply["args"] = args
        return reply

    def serve(self, read_fd: int, write_fd: int) -> None:
        from .protocol import read_frame, write_frame

        while True:
            try:
                request = read_frame(read_fd)
            except EOFError:
                return
            if request.get("op") == "exit":
                return
            try:
                reply = self.handle(request)
            except BaseException as exc:  # student code may raise anything, SystemExit included
                reply = failure(exc) | {"where": where(exc, self.package_root)}
            reply["id"] = request.get("id")
            try:
                write_frame(write_fd, reply)
            except Exception as exc:  # e.g. a result too large or of an odd kind to encode
                write_frame(write_fd, failure(exc) | {"id": request.get("id")})


def failure(exc: BaseException) -> dict:
    """The reply for a call that raised: the exception's class, the names of every class it is an
    instance of (a subclass of ValueError is a ValueError), and its message."""
    return {
        "ok": False,
        "error": type(exc).__name__,
        "classes": [c.__name__ for c in type(exc).__mro__],
        "message": describe(exc),
    }


def prepare() -> None:
    """Everything trusted a worker loads before any student code: refuse imports of the grader,
    import torch, cnnkit (its modules: the package imports them on first use), the operator rules
    and the probes."""
    sys.meta_path.insert(0, BlockGraderImports())
    import torch  # noqa: F401

    import cnnkit.data  # noqa: F401
    import cnnkit.monitor  # noqa: F401
    import cnnkit.rules  # noqa: F401
    import cnnkit.utils  # noqa: F401

    from . import probes  # noqa: F401


def serve(read_fd: int, write_fd: int, package_root: str) -> None:
    """Say ready, then answer requests until the parent closes the pipe or asks to exit."""
    import torch

    from .protocol import write_frame

    torch.set_num_threads(int(os.environ.get("CNN_KIT_THREADS", "1")))
    write_frame(write_fd, {"ready": True, "pid": os.getpid()})
    Worker(package_root).serve(read_fd, write_fd)


def main() -> None:
    """Entry point: ``server.py READ_FD WRITE_FD PACKAGE_ROOT``."""
    from . import privileges

    privileges.drop(*privileges.take_from_environment())
    read_fd, write_fd, package_root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    prepare()
    serve(read_fd, write_fd, package_root)
