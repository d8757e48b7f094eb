"""pool2d never returns: every call sleeps forever.

Expect: the first call waits until the exercise's time budget (shorter than the call timeout in
the test) runs out; every check fails or is reported as not run with the reason budget_spent;
grading goes on with the companion exercise and the report is complete.
"""
import time


def pool2d(X, pool_size, mode="max"):
    while True:
        time.sleep(60)
