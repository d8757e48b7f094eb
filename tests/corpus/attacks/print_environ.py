"""Prints its environment, /proc/self/environ and every readable /proc/*/environ (the grader's
included, if it can), and puts its environment into the exception message of every call.

Expect: none of the grader's variables (the test sets a secret) appears in the report; every
check fails."""
import os


def leak() -> str:
    text = [repr(dict(os.environ))]
    for pid in ["self"] + [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            with open(f"/proc/{pid}/environ", "rb") as handle:
                text.append(f"{pid}: {handle.read().decode(errors='replace')}")
        except OSError:
            pass
    return "\n".join(text)


print(leak(), flush=True)


def corr2d(X, K):
    raise NotImplementedError(leak()[:1500])
