"""Progress of a batch: a tqdm bar (done/total, failures, ETA) on a terminal, one line per student otherwise."""

from __future__ import annotations

import sys
from typing import Any

from ..inert import one_line
from .gradebook import points_text


class Progress:
    """A tqdm bar on a terminal (it writes a failure above the bar), one line per student otherwise."""

    def __init__(self, total: int, done: int, tty: bool | None = None, stream=None):
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty() if tty is None else tty
        self.total, self.done, self.failures = total, done, 0
        self.bar = None
        if self.tty:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                initial=done,
                unit="student",
                dynamic_ncols=True,
                file=sys.stderr,
                desc="grading",
                bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| [{elapsed}<{remaining}]{postfix}",
            )
            self.bar.set_postfix_str("failures: 0")

    def finished(self, meta: dict[str, Any]) -> None:
        self.done += 1
        failed = meta["status"].startswith("error")
        self.failures += failed
        line = (
            f"[{self.done}/{self.total}] {one_line(meta['student_id'])}: {points_text(meta['score'])}/"
            f"{points_text(meta['max_score'])} {one_line(meta['status'])} ({meta['seconds']:.1f} s)"
        )
        if self.bar is not None:
            if failed:
                self.bar.write(line, file=sys.stderr)
            self.bar.set_postfix_str(f"failures: {self.failures}")
            self.bar.update(1)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
