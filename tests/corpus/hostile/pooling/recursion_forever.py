"""pool2d raises the recursion limit to a million and calls itself without end: every call fails slowly (a RecursionError after a million frames, then its traceback), just inside the per-call limit.

Expect: every pooling check fails, or is stopped by the exercise's time budget (the test grades it
with the default call timeout and a short exercise budget): grading ends within the budgets with a
complete report, and the companion exercise is graded in full. Without a budget, hypothesis kept
calling it for more than 15 minutes.
"""
import sys

sys.setrecursionlimit(10**6)


def pool2d(X, pool_size, mode="max"):
    return pool2d(X, pool_size, mode)
