"""The report header's sandbox line: the protections a worker has and, plainly, those it lacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...text import size_text
from .plan import plan
from .system import UNPRIVILEGED

if TYPE_CHECKING:  # pragma: no cover
    from ...settings import WorkerConfig


def describe_isolation(config: "WorkerConfig") -> str:
    """One line for the report header: the protections a worker has and, plainly, those it lacks."""
    p = plan(config)
    limits = (
        f"{size_text(config.memory_bytes)}, {config.call_timeout:g} s per call, {config.cpu_seconds} s CPU per worker"
    )
    if p.custom:
        return f"custom launcher (isolation not checked); {limits}"
    if p.bwrap is not None:
        uid = f"uid {UNPRIVILEGED} in a user namespace" if p.userns else f"uid {UNPRIVILEGED}"
        who = f"unprivileged ({uid}, no capabilities, at most {config.processes} processes)"
        return f"bubblewrap, no network, read-only filesystem except a private scratch directory, {who}; {limits}"
    if not p.drop:
        return (
            f"no bubblewrap ({p.why_not}): filesystem and network NOT isolated, runs as the grader's own user; {limits}"
        )
    network = "no network (own network namespace)" if p.netns else "network NOT isolated"
    reads = f", but may read every file: nobody cannot read {p.unreadable}" if p.read_all else ""
    return (
        f"no bubblewrap ({p.why_not}): filesystem NOT isolated (the worker can read the reference "
        f"solutions); {network}; unprivileged (user nobody, at most {config.processes} processes{reads}); "
        f"{limits}"
    )
