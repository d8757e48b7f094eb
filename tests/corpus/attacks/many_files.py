"""Creates 300,000 empty files in the worker's working directory inside corr2d.

Expect: the scratch's inode cap (10,000 files) stops it quickly; the grading finishes with a
complete report; nothing is left to clean up on the grader's disk."""
import os

MARKER = "__MARKER__"


def corr2d(X, K):
    count = 0
    try:
        while count < 300_000:
            open(f"empty-{count}", "x").close()
            count += 1
    except OSError:
        pass
    if count > 10_000:
        print(f"ESCAPED: created {count} files")
    raise NotImplementedError(f"created {count} files before the scratch was full")
