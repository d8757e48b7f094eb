"""Why a check did not pass on the merits of the answer: codes that batch, reports and class
statistics read instead of message text (messages are for people and come in two languages)."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """The reason code of a check result that was not judged on the answer alone."""

    #: The function still raises the stub's ``NotImplementedError``.
    NOT_IMPLEMENTED = "not_implemented"
    #: The exercise's modules could not be imported (syntax error, missing name, ...).
    IMPORT_ERROR = "import_error"
    #: The worker process died during the check (``os._exit``, a signal, a crash).
    CRASHED = "crashed"
    #: The submission's code did not answer within its time limit.
    TIMEOUT = "timeout"
    #: The worker's processes together went over its memory cap (its cgroup) and were killed.
    MEMORY_LIMIT = "memory_limit"
    #: The worker broke the grader's protocol (garbage or forged messages).
    PROTOCOL = "protocol"
    #: Not run: the submission's code had already stopped two workers in this exercise.
    WORKER_LOST = "worker_lost"
    #: Not run, or stopped while it waited: the exercise's or the submission's time budget was spent.
    BUDGET_SPENT = "budget_spent"
    #: A bug in the grader; the check is an error, not the student's failure.
    INTERNAL_ERROR = "internal_error"
    #: Skipped: this machine lacks something the check needs (the data set, a usable GPU).
    ENVIRONMENT = "environment"
    #: The whole submission could not be graded (unreadable, empty, a bad archive, ...).
    NOT_GRADED = "not_graded"
    #: Not graded: the cluster worker grading the submission was lost every time it was tried
    #: (``grade-all`` on Dask: killed, out of memory, pre-empted); graded again on the next run.
    CLUSTER_WORKER_LOST = "cluster_worker_lost"
