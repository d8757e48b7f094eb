"""How a worker is isolated: bubblewrap, an unprivileged user, resource limits, and the reaping of
processes that try to outlive their worker. One module per layer; ``docs/sandbox.md`` lists them
with the tests that prove each.

1. **bubblewrap** (``bubblewrap``), used automatically when it is installed and works (probed once
   per process, ``plan``): own mount, PID, network, IPC, UTS (and cgroup) namespaces; a read-only
   view of ``/usr``, the libraries, a few ``/etc`` files, the Python installation and the
   site-packages the worker needs; the worker's ``runtime/`` and ``pkg/`` read-only, its ``home/``
   read-write, a private ``/tmp``; the Fashion-MNIST *training* files only; ``--die-with-parent``,
   ``--new-session``. Nothing else of the machine (the repository, ``solutions/``, ``tests/``, the
   grader, the instructor's home) exists inside. A grader running as root starts bwrap without a
   user namespace and the worker drops to uid/gid 65534 itself before any student code runs
   (``CNN_KIT_UID``, see ``runtime/privileges.py``): a user namespace would map the worker to root outside,
   where the kernel never enforces ``RLIMIT_NPROC``. A grader running as another user gets
   ``--unshare-all --uid 65534``.
2. **An unprivileged user** without bubblewrap (``launch``): a root grader drops the worker to
   ``nobody`` in ``preexec`` (``setgroups([])``, ``setgid``, ``setuid``, ``no_new_privs``) and gives
   it its own network, IPC and UTS namespaces. Where the Python installation is not readable by
   ``nobody`` (e.g. under ``/root``), the worker keeps one capability, ``CAP_DAC_READ_SEARCH`` (read
   any file, write none), and the report header says so.
3. **Resource limits** always (``launch.resource_preexec``): data memory, CPU seconds, file size,
   open files, no core files; ``RLIMIT_NPROC`` wherever the worker is unprivileged.
4. **Reaping** (``reaping``): processes that escape their worker's process group are killed.

``header`` words the report header's sandbox line.
"""

from .cgroup import WorkerCgroup
from .header import describe_isolation
from .launch import Launch, launch
from .plan import Plan, plan
from .reaping import LOCK, become_subreaper, forget, kill_descendants, reap_escapees, register
from .refusal import SandboxUnavailable, refusal, require

__all__ = [
    "LOCK",
    "Launch",
    "Plan",
    "SandboxUnavailable",
    "WorkerCgroup",
    "become_subreaper",
    "describe_isolation",
    "forget",
    "kill_descendants",
    "launch",
    "plan",
    "reap_escapees",
    "refusal",
    "register",
    "require",
]
