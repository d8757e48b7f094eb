"""A real single-node Slurm cluster for the tests: munged, slurmctld and slurmd of Debian's
``slurm-wlm`` and ``munge``, started as root with all their state under one temporary folder, and
stopped afterwards. ``start`` raises ``Unavailable`` (with the reason) where that cannot be done."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "sinfo", "squeue")


class Unavailable(Exception):
    """Slurm cannot run here; the message says why."""


@dataclass
class SlurmCluster:
    folder: Path
    #: The environment that points Slurm's commands (and dask-jobqueue's sbatch) at this cluster.
    env: dict[str, str]

    def run(self, *command: str) -> str:
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=30, check=True).stdout

    def stop(self) -> None:
        for pid_file in ("slurmd.pid", "slurmctld.pid", "munged.pid"):
            try:
                pid = int((self.folder / pid_file).read_text())
                os.kill(pid, signal.SIGTERM)
            except (OSError, ValueError):
                continue
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.05)
        shutil.rmtree(self.folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _memory_mb() -> int:
    with open("/proc/meminfo") as handle:
        total_kb = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    return total_kb * 9 // 10 // 1024


def _config(folder: Path, host: str) -> str:
    return f"""ClusterName=cnnkit
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={folder}/run/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={_memory_mb()} State=UNKNOWN
PartitionName=grading Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def start(timeout: float = 60.0) -> SlurmCluster:
    """Start munged (as user munge, with a fresh key), slurmctld and slurmd; wait until the node is idle."""
    if os.geteuid() != 0:
        raise Unavailable("starting Slurm's daemons needs root")
    missing = [name for name in DAEMONS if shutil.which(name) is None and not Path("/usr/sbin", name).exists()]
    if missing:
        raise Unavailable(f"not installed: {', '.join(missing)} (apt-get install slurm-wlm munge)")
    folder = Path(tempfile.mkdtemp(prefix="cnnkit-slurm-"))
    os.chmod(folder, 0o755)  # munged, running as munge, must reach its socket
    cluster = SlurmCluster(folder, {**os.environ, "SLURM_CONF": str(folder / "slurm.conf")})
    try:
        for name, mode in (("munge", 0o700), ("run", 0o755)):
            (folder / name).mkdir()
            shutil.chown(folder / name, "munge", "munge")
            os.chmod(folder / name, mode)
        for name in ("state", "spool"):
            (folder / name).mkdir()
        as_munge = ["runuser", "-u", "munge", "--"]
        key = folder / "munge" / "munge.key"
        subprocess.run([*as_munge, "mungekey", "-c", "-k", str(key)], check=True, capture_output=True, timeout=30)
        subprocess.run(
            [
                *as_munge,
                "munged",
                f"--key-file={key}",
                f"--socket={folder}/run/munge.socket",
                f"--pid-file={folder}/run/munged.pid",
                f"--log-file={folder}/munge/munged.log",
                f"--seed-file={folder}/munge/munged.seed",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        (folder / "munged.pid").symlink_to(folder / "run" / "munged.pid")
        host = socket.gethostname()
        (folder / "slurm.conf").write_text(_config(folder, host))
        subprocess.run(["slurmctld", "-i"], env=cluster.env, check=True, capture_output=True, timeout=30)
        subprocess.run(["slurmd", "-N", host], env=cluster.env, check=True, capture_output=True, timeout=30)
        deadline = time.monotonic() + timeout
        while "idle" not in cluster.run("sinfo", "-h", "-o", "%T"):
            if time.monotonic() > deadline:
                raise Unavailable(f"the node did not become idle within {timeout:g} s")
            time.sleep(0.5)
    except (OSError, subprocess.SubprocessError, Unavailable) as exc:
        logs = "".join(
            f"\n--- {log.name}:\n" + log.read_text(errors="replace")[-1500:]
            for log in (folder / "slurmctld.log", folder / "slurmd.log", folder / "munge" / "munged.log")
            if log.is_file()
        )
        detail = getattr(exc, "stderr", "") or ""
        cluster.stop()
        raise Unavailable(f"Slurm did not start: {exc} {detail}{logs}") from None
    return cluster
