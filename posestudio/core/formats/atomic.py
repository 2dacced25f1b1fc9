"""Atomic file replacement — the project's one way to write a file: write beside, flush to
disk, then rename over. If anything fails the target is untouched.

The temporary file is private (0600) while it is written; the finished file gets the mode
an ordinary ``open(path, "w")`` would give it (0666 less the umask), or keeps the mode of
the file it replaces. Temporaries are named ``.NAME.<random>.<pid>.tmp[EXT]``; one that a
killed process left behind (its pid no longer runs) is removed by the next write of NAME.

- :func:`atomic_write_bytes` — bytes in memory;
- :func:`atomic_write_stream` — ``write(fileobj)`` streams into the file (zip projects);
- :func:`atomic_path` — a temporary *path* for writers that need a file name (an external
  program such as ffmpeg; ``ext`` keeps the extension it chooses its format by)."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from posestudio.core.processes import pid_alive


def _read_umask() -> int:
    # read once at import, while nothing else runs: os.umask can only be read by setting it
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


UMASK = _read_umask()


@contextmanager
def atomic_path(path: str | Path, ext: str = ""):
    """Yield a temporary path beside ``path``; when the block ends without an exception the
    file written there is synced and renamed over ``path``, otherwise it is deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".{os.getpid()}.tmp{ext}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync_file(tmp)
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not exc.filename:  # a full disk names no file: name the target
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
        raise
    _fsync_dir(path.parent)
    tidy_temporaries(path)


def atomic_write_stream(path: str | Path, write) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then replace ``path`` with it."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    atomic_write_stream(path, lambda fh: fh.write(data))


def tidy_temporaries(path: str | Path) -> None:
    """Remove the temporaries of ``path`` whose writing process no longer runs."""
    path = Path(path)
    tidy_stale(path.parent, f".{path.name}.*.tmp*")


def tidy_stale(directory: str | Path, pattern: str) -> None:
    """Remove the temporaries matching ``pattern`` in ``directory`` (``NAME.[...].PID.tmp[EXT]``)
    whose writing process no longer runs."""
    for stale in Path(directory).glob(pattern):
        parts = stale.name.split(".")
        if "tmp" not in parts[1:]:
            continue
        pid = parts[len(parts) - 1 - parts[::-1].index("tmp") - 1]
        if pid.isdigit() and not pid_alive(int(pid)):
            stale.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
