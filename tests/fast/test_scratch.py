"""The grader's temporary folders (``runner.scratch``): the folder of a grader killed with SIGKILL is
removed by the next one; a folder in use, or one that is not a grader's, is left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from autograder.runner import scratch

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from autograder.runner.scratch import scratch_folder
with scratch_folder("grade") as folder:
    (folder / "worker1").mkdir()
    print(folder, flush=True)
    time.sleep(120)
"""


def test_the_folder_of_a_killed_grader_is_swept_and_a_live_one_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(scratch.tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    holder = subprocess.Popen([sys.executable, "-c", HOLD], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        killed = Path(holder.stdout.readline().strip())
        assert killed.parent == tmp_path and (killed / "worker1").is_dir()
        assert scratch.sweep() == []  # its grader is alive
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    finally:
        holder.kill()
    foreign = tmp_path / "cnnkit-notes"  # no lock file: not a grader's folder
    foreign.mkdir()
    with scratch.scratch_folder("grade") as live:  # sweeps first
        assert not killed.exists()
        assert scratch.sweep() == [] and live.is_dir() and foreign.is_dir()
    assert not live.exists()
