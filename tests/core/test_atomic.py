"""The one atomic writer (core/formats/atomic.py): bytes, streams and external writers
replace the target only when they succeed, keep modes, and tidy temporaries of dead writers."""

import os
import subprocess
import sys

import numpy as np
import pytest

from posestudio.core.formats.atomic import atomic_path, atomic_write_bytes, atomic_write_stream
from posestudio.errors import InputError
from posestudio.sequence import export


def _dead_pid() -> int:
    out = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(out.stdout)


def test_stream_failure_leaves_target_and_no_temporary(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")

    def dying(fh):
        fh.write(b"half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write_stream(target, dying)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]
    atomic_write_stream(target, lambda fh: fh.write(b"new"))
    assert target.read_bytes() == b"new"


def test_mode_of_replaced_file_is_kept(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    atomic_write_bytes(target, b"new")
    assert target.stat().st_mode & 0o777 == 0o640


def test_external_writer_gets_a_path_with_its_extension(tmp_path):
    target = tmp_path / "clip.mp4"
    with atomic_path(target, ext=".mp4") as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith(".mp4") and tmp.name.startswith(".clip.mp4.")
        tmp.write_bytes(b"video")
    assert target.read_bytes() == b"video"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_failed_mp4_export_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"the old video")
    monkeypatch.setattr(export, "ffmpeg_exe", lambda: sys.executable)  # not ffmpeg: exits non-zero
    with pytest.raises(InputError):
        export.write_mp4(target, [np.zeros((8, 8, 3), np.uint8)] * 2, fps=4)
    assert target.read_bytes() == b"the old video"
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]


def test_temporaries_of_dead_writers_are_tidied_live_ones_kept(tmp_path):
    target = tmp_path / "a.gif"
    dead = tmp_path / f".a.gif.x1y2.{_dead_pid()}.tmp"
    old_style = tmp_path / f".a.gif.{_dead_pid()}.tmp.mp4"
    live = tmp_path / f".a.gif.z3.{os.getpid()}.tmp"
    other = tmp_path / f".b.gif.q.{_dead_pid()}.tmp"
    for p in (dead, old_style, live, other):
        p.write_bytes(b"x")
    export.write_gif(target, [np.zeros((4, 4, 3), np.uint8)] * 2, fps=2)
    assert not dead.exists() and not old_style.exists()
    assert live.exists() and other.exists()
