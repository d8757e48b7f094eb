"""Tampers with files outside its scratch directory: appends to a canary .py file in the repository,
opens every .py file of the repository, the grader and torch for appending (writing nothing, so
that a broken sandbox does not damage the tree), drops a .pth file into site-packages (code the
grader would run at its next start), deletes a canary in the grader's HOME and appends to its
.bashrc.

Expect: every write fails (read-only filesystem, or another user's files); the canaries are
unchanged; every check fails."""
import os
import sys

MARKER = "__MARKER__"
REPO = "__REPO__"
GRADER_HOME = "__HOME__"


def attempt(what: str, action) -> None:
    try:
        action()
        print(f"ESCAPED: {what}", flush=True)
    except OSError:
        pass


def append(path: str, text: str) -> None:
    with open(path, "a") as handle:
        handle.write(text)


def open_for_append(path: str) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_APPEND))


def tamper() -> None:
    attempt("appended to the repository canary", lambda: append(os.path.join(REPO, f".sandbox-canary-{MARKER}.py"),
                                                                f"# {MARKER}\n"))
    roots = [REPO, os.path.join(REPO, "autograder")]
    try:
        import torch

        roots.append(os.path.dirname(torch.__file__))
        site = os.path.dirname(os.path.dirname(torch.__file__))
        attempt(f"created a .pth in {site}", lambda: append(os.path.join(site, f"zz-{MARKER}.pth"), f"# {MARKER}\n"))
    except Exception:
        pass
    for root in roots:
        for top, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".venv", ".git", "node_modules")]
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(top, name)
                    attempt(f"opened {path} for writing", lambda: open_for_append(path))
            if root != REPO:
                break
    attempt("deleted the grader's HOME canary", lambda: os.remove(os.path.join(GRADER_HOME, f"canary-{MARKER}")))
    attempt("appended to the grader's .bashrc", lambda: append(os.path.join(GRADER_HOME, ".bashrc"), f"# {MARKER}\n"))
    attempt("wrote into the grader's HOME", lambda: append(os.path.join(GRADER_HOME, f"planted-{MARKER}"), "x"))


tamper()


def corr2d(X, K):
    tamper()
    raise NotImplementedError("files left alone")
