"""Temporary folders of process-runtime runs (`<tmp>/seldon-graphs-<graph>-*`), each with an
`owner` file naming the process that made it (pid and start time, so a reused pid is not
taken for the owner). A run removes its folder when it stops; a run that could not (SIGKILL)
leaves it behind, and the next run removes every folder whose owner is gone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

PREFIX = "seldon-graphs-"
OWNER = "owner"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _identity(pid: int) -> str:
    return f"{pid} {_start_time(pid) or '?'}"


def owner_alive(folder: Path) -> bool:
    """Whether the process that made `folder` still runs (unknown owners count as alive)."""
    try:
        pid_text, _, started = (folder / OWNER).read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return True  # not ours, or still being written: leave it
    return started == "?" or _start_time(pid) == started


def sweep_stale(base: Path | None = None) -> list[Path]:
    """Remove the folders of runs whose process is gone; return them."""
    removed = []
    for folder in Path(base or tempfile.gettempdir()).glob(PREFIX + "*"):
        if folder.is_dir() and not folder.is_symlink() and not owner_alive(folder):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def make_workdir(graph: str, base: Path | None = None) -> Path:
    """A fresh folder for this run, owned by this process, after sweeping stale ones."""
    sweep_stale(base)
    folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{graph}-", dir=base))
    (folder / OWNER).write_text(_identity(os.getpid()) + "\n")
    return folder
