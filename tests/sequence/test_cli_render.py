"""`posestudio render` on a saved project: formats, range, size, settings, Ctrl+C."""

from __future__ import annotations

import json
import signal
import zipfile

import imageio.v3 as iio
import pytest
from PIL import Image

from posestudio import cli
from posestudio.core.formats import read_poses
from posestudio.core.project import save_project
from posestudio.core.timeline import Timeline
from posestudio.sequence import render as render_mod
from posestudio.sequence.project import open_project
from tests.sequence.conftest import LAST


@pytest.fixture
def project(small_doc, tmp_path):
    return save_project(small_doc, tmp_path / "walk.psproj")


def test_gif_with_fps_and_size(project, tmp_path, capsys):
    out = tmp_path / "walk.gif"
    assert cli.main(["render", str(project), "--out", str(out), "--fps", "10", "--size", "96x96"]) == 0
    with Image.open(out) as im:
        assert im.n_frames == 24 and im.size == (96, 96) and im.info["duration"] == 100
    assert not (tmp_path / "walk.gif.frames").exists()  # frames folder removed after a whole render
    assert "24 frames at 10 fps (gif); rendered 24 frames" in capsys.readouterr().out


def test_mp4_range_and_pingpong(project, tmp_path):
    out = tmp_path / "walk.mp4"
    assert cli.main(["render", str(project), "--out", str(out), "--range", "2:6", "--playback", "pingpong",
                     "--fps", "8", "--keep-frames"]) == 0
    assert len(list(iio.imiter(out, plugin="FFMPEG"))) == 8  # 2..6 then 5..3
    assert iio.immeta(out, plugin="FFMPEG")["fps"] == pytest.approx(8)
    assert sorted(p.name for p in (tmp_path / "walk.mp4.frames").iterdir()) == \
        [f"frame_{i:05d}.png" for i in range(2, 7)]


def test_png_folder_and_openpose(project, tmp_path, keyposes):
    assert cli.main(["render", str(project), "--out", str(tmp_path / "png"), "--range", ":3"]) == 0
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == [f"frame_{i:05d}.png" for i in range(4)]
    assert cli.main(["render", str(project), "--out", str(tmp_path / "op"), "--format", "openpose",
                     "--size", "256x256"]) == 0
    files = sorted((tmp_path / "op").iterdir())
    assert len(files) == 24
    assert read_poses(files[0]).people[0] == keyposes[0] and read_poses(files[LAST]).people[0] == keyposes[1]


def test_timeline_settings_from_project_json(small_doc, tmp_path):
    small_doc.meta["timeline"] = Timeline(fps=15, loop="pingpong", interpolation={0: "hold"}).settings_json()
    path = save_project(small_doc, tmp_path / "meta.psproj")
    doc, tl = open_project(path)
    assert (tl.fps, tl.loop, tl.mode_at(0)) == (15, "pingpong", "hold")
    assert tl.pose_at(10) == tl.pose_at(0) and tl.frame_range() == (0, LAST)
    # a top-level "timeline" entry wins over meta
    top = tmp_path / "top.psproj"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(top, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "project.json":
                manifest = json.loads(data)
                manifest["timeline"] = {"format": "posestudio-timeline", "version": 1, "fps": 6, "end": 30}
                data = json.dumps(manifest).encode()
            zout.writestr(item, data)
    _, tl = open_project(top)
    assert (tl.fps, tl.frame_range(), tl.mode_at(0)) == (6, (0, 30), "bones")


def test_bad_input_is_one_line(project, tmp_path, capsys):
    for extra in (["--size", "12"], ["--range", "9:3"], ["--format", "gif", "--fps", "0"]):
        assert cli.main(["render", str(project), "--out", str(tmp_path / "x.gif"), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("posestudio: error:") and "\n" not in err
    assert cli.main(["render", str(tmp_path / "none.psproj"), "--out", str(tmp_path / "x.gif")]) == 2
    assert "none.psproj" in capsys.readouterr().err
    assert cli.main(["render", str(project), "--out", str(tmp_path / "x.gif"), "--model", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err
    assert not (tmp_path / "x.gif.frames").exists()  # a failed start leaves no empty folder


def test_ctrl_c_keeps_finished_frames(project, tmp_path, monkeypatch, capsys):
    real = render_mod.write_png
    written = []

    def write_then_interrupt(path, image):
        real(path, image)
        written.append(path)
        if len(written) == 5:
            signal.raise_signal(signal.SIGINT)  # the user presses Ctrl+C once

    monkeypatch.setattr(render_mod, "write_png", write_then_interrupt)
    out = tmp_path / "walk.mp4"
    assert cli.main(["render", str(project), "--out", str(out), "--batch", "4"]) == 130
    assert not out.exists()
    kept = sorted(p.name for p in (tmp_path / "walk.mp4.frames").iterdir())
    assert len(kept) >= 5 and kept == [f"frame_{i:05d}.png" for i in range(len(kept))] and len(kept) < 24
    assert "interrupted after" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
