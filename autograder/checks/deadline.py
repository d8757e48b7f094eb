"""The grading time budgets as the checks of one exercise see them.

Each exercise has a wall-clock budget and the whole submission another (``WorkerConfig``'s
``exercise_seconds`` and ``submission_seconds``); an exercise's checks must stop at whichever ends
first. A ``Deadline`` is that moment: every request to a worker waits at most until then, a check
that has not started by then is not run, and a check stops shrinking a hypothesis counterexample
once it has used its share of the time that was left when it started.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from ..text import Text


@dataclass
class Deadline:
    """When the checks of one exercise must stop (``time.monotonic()``), and which budget ends then."""

    end: float
    #: The budget that ends at ``end``, for messages: "this exercise's time budget (120 s)".
    budget: Text
    #: Until when the running check may go on shrinking a counterexample.
    shrink_until: float = math.inf

    @classmethod
    def unbounded(cls) -> "Deadline":
        """No budget (a check run outside a grading run, e.g. by a test)."""
        return cls(math.inf, Text("no time budget", "没有时间预算"))

    @classmethod
    def first_of(cls, exercise_seconds: float, submission_end: float, submission_seconds: float) -> "Deadline":
        """The exercise's budget, starting now, or the submission's, ending at ``submission_end``."""
        exercise_end = time.monotonic() + exercise_seconds
        if exercise_end <= submission_end:
            return cls(
                exercise_end,
                Text(
                    f"this exercise's time budget ({exercise_seconds:g} s)",
                    f"本练习的评分时间预算（{exercise_seconds:g} 秒）",
                ),
            )
        return cls(
            submission_end,
            Text(
                f"the submission's time budget ({submission_seconds:g} s)",
                f"整份作业的评分时间预算（{submission_seconds:g} 秒）",
            ),
        )

    def left(self) -> float:
        """Seconds until the deadline (negative once it has passed)."""
        return self.end - time.monotonic()

    def start_check(self, checks_left: int) -> None:
        """A check starts with ``checks_left`` checks (itself included) still to run: it may shrink a
        counterexample until it has used its share of the time left, so that the checks after it
        still get theirs."""
        self.shrink_until = time.monotonic() + max(self.left(), 0.0) / max(checks_left, 1)

    def may_shrink(self) -> bool:
        """Whether the running check may still spend time on shrinking a counterexample."""
        return time.monotonic() < min(self.shrink_until, self.end)

    def not_run(self) -> Text:
        """Why a check did not run at all."""
        return Text(
            f"not run: {self.budget.en} was spent before this check started; the score of the checks "
            f"graded before it is final",
            f"未运行：此检查开始之前{self.budget.zh}已用完；此前已评分的检查成绩不变",
        )

    def ran_out(self) -> Text:
        """Why a check stopped while it waited for the submission's code."""
        return Text(
            f"stopped: {self.budget.en} ran out while this check waited for your code "
            f"(look for code that is very slow or never returns)",
            f"已中止：此检查等待代码返回时{self.budget.zh}用完（请检查是否有极慢或不会返回的代码）",
        )


#: Added to a counterexample whose shrinking the deadline stopped.
SHRINKING_STOPPED = Text(
    "\n  (the time budget is low, so this counterexample was not shrunk any further)",
    "\n  （时间预算所剩不多，此反例未再进一步化简）",
)
