"""Where a command may write: never over one of its inputs, never over a device or FIFO, and
never over an existing file it did not write itself unless ``--force`` says so.

"Its own earlier output" is recognised by a small ledger in the user's cache folder
(``outputs.json``): after a command writes a file it records the file's absolute path,
size and modification time under the command's name. A file that exists and still has
exactly the size and time recorded by the same command is that command's output from
an earlier run and may be replaced (re-running a command is the common case); anything
else -- a photo, a project, a file another command or program wrote, or one edited
since -- needs ``--force``. A lost or corrupt ledger only means asking for ``--force``.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from posestudio.errors import InputError

MAX_ENTRIES = 5000  # per command; the oldest entries go first
NAME_MAX = 255  # bytes per path component on every file system we run on


def _ledger_path() -> Path:
    from posestudio import paths

    return paths.cache_dir() / "outputs.json"


def _load() -> dict:
    try:
        data = json.loads(_ledger_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _key(path: Path) -> str:
    return str(Path(os.path.abspath(path)))


def _signature(st: os.stat_result) -> list[int]:
    return [int(st.st_size), int(st.st_mtime_ns)]


def is_own_output(path: str | Path, command: str) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    entry = _load().get(command, {})
    return isinstance(entry, dict) and entry.get(_key(Path(path))) == _signature(st)


def check_output(path: str | Path, command: str, inputs=(), force: bool = False, folder: bool = False,
                 flag: str = "--out") -> Path:
    """``path`` when ``command`` may write it; else one InputError line naming it.
    ``folder``: the output is a folder of files (its existing files are checked by the caller)."""
    path = Path(path)
    if any(len(part.encode("utf-8", "surrogateescape")) > NAME_MAX for part in path.parts):
        raise InputError(f"{flag}: a file or folder name is longer than {NAME_MAX} bytes", path)
    for src in inputs:
        if src is None:
            continue
        if _same_file(path, Path(src)):
            raise InputError(f"{flag} is one of the command's inputs ({src}); choose another output", path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise InputError(f"{flag} cannot be used ({exc.strerror or type(exc).__name__})", path) from None
    if folder and stat.S_ISDIR(st.st_mode):
        return path
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{flag} is a folder, not a file path", path)
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{flag} is not a regular file (a device, FIFO or socket); refusing to replace it", path)
    if not force and not is_own_output(path, command):
        raise InputError(f"{flag} exists and was not written by an earlier `posestudio {command}`; "
                         "pass --force to replace it", path)
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def record(command: str, *written) -> None:
    """Remember files ``command`` has just written (see the module doc). Never fails the command."""
    from posestudio.core.formats.atomic import atomic_write_bytes

    data = _load()
    entry = data.get(command)
    entry = dict(entry) if isinstance(entry, dict) else {}
    for p in written:
        if p is None:
            continue
        try:
            st = os.stat(p)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            entry.pop(_key(Path(p)), None)
            entry[_key(Path(p))] = _signature(st)
    while len(entry) > MAX_ENTRIES:
        entry.pop(next(iter(entry)))
    data[command] = entry
    try:
        atomic_write_bytes(_ledger_path(), json.dumps(data).encode("utf-8"))
    except OSError:
        pass
