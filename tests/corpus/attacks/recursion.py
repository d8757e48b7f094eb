"""Lifts the recursion limit and recurses without end inside corr2d, through a C function (map),
so that the C stack overflows and the worker dies with SIGSEGV (plain Python recursion would only
grow frames on the heap until the memory limit or the timeout).

Expect: the worker crash costs the check; the worker is replaced; every check fails."""
import sys


def deeper(n: int) -> int:
    return sum(map(deeper, [n + 1]))


def corr2d(X, K):
    sys.setrecursionlimit(1 << 30)
    return deeper(0)
