"""Whether a process still runs (Linux /proc start time guards against a reused pid)."""

from __future__ import annotations

import os
from pathlib import Path


def proc_start(pid: int) -> str | None:
    """When process ``pid`` started (Linux: clock ticks since boot, from /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces: count fields after its closing parenthesis
    return stat.rsplit(")", 1)[-1].split()[19]


def pid_alive(pid: int, started: str | None = None) -> bool:
    """Whether process ``pid`` still runs; a pid reused by another process (after a crash and
    reboot) does not count when ``started`` (its :func:`proc_start`) is given and differs."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if started is not None:
        now = proc_start(pid)
        if now is not None and now != started:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True  # someone else's process, or a pid no kernel hands out: not provably gone
    return True
