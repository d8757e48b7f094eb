"""The report header's sandbox line: the protections a worker has and, plainly, those it lacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...text import size_text
from .plan import Plan, plan
from .system import UNPRIVILEGED

if TYPE_CHECKING:  # pragma: no cover
    from ...settings import WorkerConfig


def _per_worker(p: Plan, config: "WorkerConfig") -> str:
    """The layers every worker gets, bubblewrap or not: cgroup, scratch, filter, and the limits."""
    memory, files = size_text(config.memory_bytes), f"{config.scratch_files:,}"
    if p.why_no_cgroup:
        cgroup = f"NO cgroup ({p.why_no_cgroup}): {memory} per process, not per worker"
    else:
        cgroup = f"cgroup: {memory} and {config.processes} processes for all of a worker's processes"
    size = size_text(config.scratch_bytes)
    if not p.why_no_scratch:
        scratch = f"scratch: home and /tmp on one tmpfs of {size} and {files} files"
    elif p.bwrap is not None:
        scratch = f"scratch: home and /tmp on tmpfs of {size} each, files NOT capped ({p.why_no_scratch})"
    else:
        scratch = f"scratch on the grader's disk, NOT capped ({p.why_no_scratch})"
    syscalls = f"NO system-call filter ({p.why_no_filter})" if p.why_no_filter else "system-call filter"
    return f"{cgroup}; {scratch}; {syscalls}; {config.call_timeout:g} s per call, {config.cpu_seconds} s CPU per worker"


def describe_isolation(config: "WorkerConfig") -> str:
    """One line for the report header: the protections a worker has and, plainly, those it lacks."""
    p = plan(config)
    if p.custom:
        return f"custom launcher (isolation not checked); {size_text(config.memory_bytes)} per process"
    layers = _per_worker(p, config)
    if p.bwrap is not None:
        uid = f"uid {UNPRIVILEGED} in a user namespace" if p.userns else f"uid {UNPRIVILEGED}"
        who = f"unprivileged ({uid}, no capabilities)"
        return f"bubblewrap, no network, read-only filesystem except the scratch, {who}; {layers}"
    if not p.drop:
        return (
            f"NOT sandboxed ({p.why_not}): filesystem and network NOT isolated, runs as the grader's own user; {layers}"
        )
    network = "no network (own network namespace)" if p.netns else "network NOT isolated"
    reads = f", but may read every file: nobody cannot read {p.unreadable}" if p.read_all else ""
    return (
        f"NOT sandboxed ({p.why_not}): filesystem NOT isolated (the worker can read the reference "
        f"solutions); {network}; unprivileged (user nobody, at most {config.processes} processes{reads}); "
        f"{layers}"
    )
