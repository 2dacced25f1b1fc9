"""The window's side of a personal-model run: the command it starts, the child
process, and the run folder the child writes (``posestudio personal``'s
contract: ``material.json``, ``progress.json``, ``curves.jsonl``, ``score.json``,
``STOP`` to cancel).

The child is a plain ``subprocess.Popen`` in its own session with stderr sent to
a log file, not a ``QProcess``: a QProcess kills its child when it is destroyed,
so "keep training in the background" could not outlive the window, and a pipe
to a closed window would break the child's next write. The dock polls the
process and the files on a timer, so the window never waits on it.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from posestudio.core.formats.atomic import atomic_write_bytes
from posestudio.core.pose import Pose
from posestudio.core.processes import pid_alive
from posestudio.core.project import pose_from_json, pose_to_json
from posestudio.errors import InputError, describe

# The program the dock runs, before the flags. Tests point it at a stand-in child
# that follows the same contract (tests/ui/personal_double.py).
PERSONAL_PROGRAM = [sys.executable, "-m", "posestudio", "personal"]

EXIT_DONE, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 2, 3


def personal_command(source: str | Path, run: str | Path, *, model: str = "refine", minutes: float | None = None,
                     steps: int | None = None, device: str = "auto", resume: bool = False,
                     prepare_only: bool = False, name: str | None = None) -> list[str]:
    """The full command line of one ``posestudio personal`` call."""
    cmd = [*PERSONAL_PROGRAM, str(source), "--out", str(run), "--model", model, "--device", device]
    if minutes is not None:
        cmd += ["--minutes", f"{minutes:g}"]
    if steps is not None:
        cmd += ["--steps", str(int(steps))]
    if name:
        cmd += ["--name", name]
    if resume:
        cmd.append("--resume")
    if prepare_only:
        cmd.append("--prepare-only")
    return cmd


def gpu_present() -> bool:
    """Whether an NVIDIA GPU can be offered, found without importing torch in the window:
    the driver's tool or its CUDA library. The child reports the device it really used."""
    return shutil.which("nvidia-smi") is not None or ctypes.util.find_library("cuda") is not None


# -- files of the run folder ------------------------------------------------------------------
def read_json(path: Path) -> dict | None:
    """A JSON object the child wrote, or None while it is missing or not (yet) whole."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return obj if isinstance(obj, dict) else None


class CurveReader:
    """Reads ``curves.jsonl`` as it grows: each call returns the records added since the last,
    never a half-written last line."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offset = 0

    def read_new(self) -> list[dict]:
        try:
            with open(self.path, "rb") as fh:
                if os.fstat(fh.fileno()).st_size < self.offset:
                    self.offset = 0  # the run started the file again
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return []
        end = data.rfind(b"\n")
        if end < 0:
            return []
        self.offset += end + 1
        out = []
        for line in data[:end].splitlines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a damaged line costs one point, never the curve
            if isinstance(rec, dict) and isinstance(rec.get("step"), (int, float)):
                out.append(rec)
        return out


@dataclass
class Material:
    """``material.json``: the kept frames (with poses) and what was left out, and why."""

    path: Path
    frames: list[dict] = field(default_factory=list)
    left_out: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    @property
    def run(self) -> Path:
        return self.path.parent

    def frame_file(self, index: int) -> Path:
        return self.run / self.frames[index]["file"]

    def pose(self, index: int) -> Pose | None:
        obj = self.frames[index].get("pose")
        return None if obj is None else pose_from_json(obj)

    @property
    def held_out(self) -> int:
        return sum(1 for f in self.frames if f.get("holdout"))


def read_material(run: str | Path) -> Material:
    """The run's ``material.json``; a missing or damaged file is one ``InputError`` line."""
    path = Path(run) / "material.json"
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(obj, dict) or not isinstance(obj.get("frames"), list):
            raise InputError("not a material file (no frames list)", path)
        for i, f in enumerate(obj["frames"]):
            if not isinstance(f, dict) or not isinstance(f.get("file"), str):
                raise InputError(f"frame {i} names no file", path)
    except InputError:
        raise
    except (OSError, ValueError) as exc:
        raise InputError(describe(exc), path) from None
    return Material(path, obj["frames"], list(obj.get("left_out") or []), [str(n) for n in obj.get("notes") or []],
                    obj)


def save_frame_pose(run: str | Path, index: int, pose: Pose) -> Path:
    """Write ``pose`` as frame ``index``'s pose into ``material.json`` (atomically, with the
    project's pose codec), so the next start trains on the corrected pose."""
    material = read_material(run)
    if not 0 <= index < len(material.frames):
        raise InputError(f"there is no frame {index} (the material has {len(material.frames)})", material.path)
    material.raw["frames"][index]["pose"] = pose_to_json(pose)
    atomic_write_bytes(material.path, json.dumps(material.raw, indent=1).encode("utf-8"))
    return material.path


# -- the child process ------------------------------------------------------------------------
def last_line(text: str) -> str:
    """The last non-empty line, with its whitespace folded: the one line the dock shows."""
    for line in reversed(text.splitlines()):
        if line.strip():
            return " ".join(line.split())
    return ""


class TrainJob:
    """One ``posestudio personal`` child: start, poll, cancel (``RUN/STOP``), detach."""

    def __init__(self, command: list[str], run: str | Path, prepare_only: bool = False):
        self.command = list(command)
        self.run = Path(run)
        self.prepare_only = prepare_only
        self.detached = False
        self.started = time.monotonic()
        fd, log = tempfile.mkstemp(prefix="posestudio-personal-", suffix=".log")
        self.log = Path(log)
        try:
            with os.fdopen(fd, "wb") as err:
                self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=err, start_new_session=True)
        except OSError:
            self.log.unlink(missing_ok=True)
            raise

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> int | None:
        """The exit code once the child has ended, else None."""
        return self.proc.poll()

    def stderr(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def error_line(self) -> str:
        return last_line(self.stderr())

    def stop(self) -> None:
        """Ask the child to save and exit (code 3): the contract's ``RUN/STOP`` file."""
        if self.poll() is None:
            try:
                (self.run / "STOP").touch()
            except OSError:
                self.terminate()

    def terminate(self) -> None:
        """SIGTERM: the child saves and exits 3 as for STOP."""
        if self.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait(self, seconds: float) -> int | None:
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            return None

    def cancel_and_wait(self, seconds: float = 10.0) -> int | None:
        """STOP, then SIGTERM if it is still running after ``seconds``; the exit code or None."""
        self.stop()
        code = self.wait(seconds)
        if code is None:
            self.terminate()
            code = self.wait(max(1.0, seconds / 2))
        return code

    def detach(self) -> None:
        """Leave the child running after the window closes: it has its own session and writes
        stderr to a file, so nothing of the window's ending reaches it. Its log stays."""
        self.detached = True  # cleanup() must not remove the file the child still writes

    def cleanup(self) -> None:
        if self.detached:
            return
        try:
            self.log.unlink()
        except OSError:
            pass


class AttachedRun:
    """A run that goes on without being this window's child (kept training in the background
    when a window closed): followed through its run folder alone, cancelled by ``RUN/STOP``.
    It has the same calls as ``TrainJob``; the exit code is read from the phase it ends in."""

    STALE_S = 600.0  # a run whose progress.json has not changed for this long is not running
    ENDED = {"done": EXIT_DONE, "cancelled": EXIT_CANCELLED, "failed": 1}

    def __init__(self, run: str | Path, pid: int | None = None):
        self.run = Path(run)
        self.pid = pid or None
        self.prepare_only = False
        self.detached = False
        self.started = time.monotonic()

    @classmethod
    def going_on(cls, run: str | Path, pid: int | None = None) -> bool:
        """Whether the run folder shows a run still at work: a fresh progress.json in a working
        phase and, when the process that writes it is known, that process alive."""
        path = Path(run) / "progress.json"
        progress = read_json(path)
        if not progress or progress.get("phase") not in ("prepare", "train", "score"):
            return False
        if pid and not pid_alive(int(pid)):
            return False
        try:
            return time.time() - path.stat().st_mtime < cls.STALE_S
        except OSError:
            return False

    def poll(self) -> int | None:
        progress = read_json(self.run / "progress.json") or {}
        code = self.ENDED.get(progress.get("phase"))
        if code is None and not self.going_on(self.run, self.pid):
            return 1  # gone quiet: the process ended without saying so
        return code

    def error_line(self) -> str:
        progress = read_json(self.run / "progress.json") or {}
        if progress.get("phase") == "failed" and progress.get("message"):
            return last_line(str(progress["message"]))
        return f"{self.run}: the run stopped updating progress.json (its process ended?); Resume continues it"

    def stop(self) -> None:
        try:
            (self.run / "STOP").touch()
        except OSError:
            pass

    terminate = stop  # no process of ours to signal: STOP is the only way in

    def wait(self, seconds: float) -> int | None:
        end = time.monotonic() + seconds
        while (code := self.poll()) is None and time.monotonic() < end:
            time.sleep(0.1)
        return code

    def cancel_and_wait(self, seconds: float = 10.0) -> int | None:
        self.stop()
        return self.wait(seconds)

    def detach(self) -> None:
        pass

    def cleanup(self) -> None:
        pass
