"""Ignores SIGTERM/SIGINT/SIGHUP and sleeps forever inside corr2d.

Expect: each call times out and the worker is killed (SIGKILL cannot be ignored)."""
import signal
import time

for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(number, signal.SIG_IGN)


def corr2d(X, K):
    while True:
        time.sleep(3600)
