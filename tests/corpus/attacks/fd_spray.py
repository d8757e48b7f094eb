"""Writes pickles, bare JSON and well-formed fake frames (a full score) to every file descriptor
3..50, at import and in every call.

Expect: the grader sees a malformed or unexpected reply (or nothing), kills the worker, and never
unpickles anything; every check fails; the report is complete."""
import json
import os
import pickle
import struct

FAKE = {"ok": True, "value": 14, "score": 14, "max_score": 14, "complete": True}
BODY = json.dumps(FAKE).encode()
PAYLOADS = (pickle.dumps(FAKE), BODY + b"\n", struct.pack("<I", len(BODY)) + BODY + struct.pack("<Q", 0))


def spray() -> None:
    for fd in range(3, 51):
        for payload in PAYLOADS:
            try:
                os.write(fd, payload)
            except OSError:
                pass


spray()


def corr2d(X, K):
    spray()
    raise NotImplementedError("sprayed")
