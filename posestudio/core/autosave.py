"""Autosave and recovery after a crash.

``Autosave`` writes the document to ``paths.autosave_dir()`` with a small sidecar naming
the process, the original file and when the snapshot was taken; an entry whose process is
gone is what ``recoverable()`` offers at the next start -- unless the file was saved since,
the entry is too old, or it is damaged (those are removed with one line each).
"""

from __future__ import annotations

import json
import os
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from posestudio import paths
from posestudio.core.document import Document
from posestudio.core.formats.atomic import atomic_write_bytes, tidy_stale
from posestudio.core.processes import pid_alive as _pid_alive
from posestudio.core.processes import proc_start as _proc_start
from posestudio.core.project import SUFFIX, load_project, save_project


@dataclass
class RecoveryEntry:
    """An autosave left by a session that did not close cleanly."""

    path: Path  # the autosaved .psproj
    info_path: Path
    source: str | None  # the file the user was editing, if it had been saved before
    saved_at: float
    pid: int

    def load(self) -> Document:
        doc = load_project(self.path)
        doc.path = Path(self.source) if self.source else None
        return doc

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.info_path.unlink(missing_ok=True)

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        ago = _age(max(0.0, time.time() - self.saved_at))
        return f"{self.source or 'an unsaved project'} (autosaved {when}, {ago} ago)"


class Autosave:
    """This session's autosave slot in ``paths.autosave_dir()``.

    ``save(doc)`` writes ``<session>.psproj`` atomically and then a sidecar
    ``<session>.json`` (pid, original file, time); ``discard()`` removes both
    when the window closes normally, so only crashed sessions leave entries."""

    def __init__(self, directory: str | Path | None = None, session: str | None = None):
        self.directory = Path(directory) if directory else paths.autosave_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.session = session or f"{os.getpid()}-{int(time.time() * 1000)}-{uuid.uuid4().hex[:6]}"
        self.path = self.directory / f"autosave-{self.session}{SUFFIX}"
        self.info_path = self.directory / f"autosave-{self.session}.json"

    def save(self, doc: Document, taken_at: float | None = None) -> Path:
        """``taken_at``: when ``doc`` (a snapshot) was taken; a save of the file after that
        makes this autosave stale even when it is written later."""
        save_project(doc, self.path)
        info = {"pid": os.getpid(), "started": _proc_start(os.getpid()),
                "source": str(doc.path) if doc.path else None,
                "saved_at": time.time() if taken_at is None else taken_at}
        atomic_write_bytes(self.info_path, json.dumps(info).encode())
        return self.path

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.info_path.unlink(missing_ok=True)


MAX_AUTOSAVE_AGE = 14 * 24 * 3600  # older autosaves of crashed sessions are pruned, not offered


def _age(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "less than a minute"


def _sidecar(info_path: Path) -> tuple[int, str | None, str | None, float]:
    """(pid, process start, source, saved_at) of an autosave sidecar; ValueError when it is unusable."""
    try:
        text = info_path.read_text(encoding="utf-8")
        info = json.loads(text) if len(text) < 1 << 16 else None
    except (OSError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(type(exc).__name__) from None
    if not isinstance(info, dict):
        raise ValueError("not a JSON object")
    pid, started, source, saved_at = info.get("pid"), info.get("started"), info.get("source"), info.get("saved_at")
    if not isinstance(pid, int) or isinstance(pid, bool):
        raise ValueError(f"pid {pid!r} is not a number")
    if not isinstance(saved_at, (int, float)) or isinstance(saved_at, bool) or saved_at != saved_at:
        raise ValueError(f"saved_at {saved_at!r} is not a time")
    if source is not None and not isinstance(source, str):
        raise ValueError("source is not a file name")
    return pid, started if isinstance(started, str) else None, source, float(saved_at)


def recoverable(directory: str | Path | None = None, problems: list[str] | None = None,
                now: float | None = None) -> list[RecoveryEntry]:
    """Autosaves whose session is no longer running and that are worth offering, newest first.

    Never offered (and removed, with one line appended to ``problems``): an autosave older
    than the file it belongs to as saved since (the saved file has the later work), one
    older than ``MAX_AUTOSAVE_AGE``, one whose zip or sidecar is damaged. Temporaries of
    killed autosaves are deleted. A bad entry never hides the others."""
    directory = Path(directory) if directory else paths.autosave_dir()
    now = time.time() if now is None else now
    out = []
    if not directory.is_dir():
        return out
    tidy_stale(directory, ".autosave-*.tmp")  # temporaries of killed autosaves

    def drop(entry_path: Path, info_path: Path, why: str) -> None:
        entry_path.unlink(missing_ok=True)
        info_path.unlink(missing_ok=True)
        if problems is not None:
            problems.append(f"{entry_path}: {why}; removed")

    for info_path in sorted(directory.glob("autosave-*.json")):
        proj = info_path.with_suffix(SUFFIX)
        try:
            pid, started, source, saved_at = _sidecar(info_path)
        except ValueError as exc:
            if problems is not None:
                problems.append(f"{info_path}: autosave note is damaged ({exc}); skipped")
            continue
        if not proj.is_file() or _pid_alive(pid, started):
            continue
        if now - saved_at > MAX_AUTOSAVE_AGE:
            drop(proj, info_path, f"autosave is {_age(now - saved_at)} old")
            continue
        if source:
            try:
                newer = os.stat(source).st_mtime >= saved_at
            except (OSError, ValueError):
                newer = False
            if newer:
                drop(proj, info_path, f"autosave is older than {source} as saved since")
                continue
        try:
            with zipfile.ZipFile(proj) as z:
                z.getinfo("project.json")
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            drop(proj, info_path, "autosave is damaged (not a readable project)")
            continue
        out.append(RecoveryEntry(proj, info_path, source, saved_at, pid))
    return sorted(out, key=lambda e: -e.saved_at)
