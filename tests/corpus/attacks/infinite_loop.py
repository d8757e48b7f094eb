"""Spins forever inside corr2d (burning CPU).

Expect: each call times out, the worker is killed and replaced; every check fails."""


def corr2d(X, K):
    while True:
        pass
