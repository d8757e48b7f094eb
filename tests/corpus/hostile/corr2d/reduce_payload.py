"""Returns an object whose __reduce__ runs os.system('touch /tmp/pwned-cnnkit-reduce') if the grader ever unpickles it.

Expect: every check that judges a value fails; the file is never created (nothing from the worker
is unpickled); the rule checks no_builtin and speed may pass.
"""
import os


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-cnnkit-reduce",))


def corr2d(X, K):
    return Payload()
