"""Render dialog: skeleton/JSON sequences, a width that does not change when it finishes,
the extension following the format, the folder remembered, asking before replacing,
and "Done" naming the file that was written."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image


def _dialog(w, path, fmt: str, end: int, side: int = 48):
    dlg = w.editing.open_render_dialog(w)
    dlg.format.setCurrentIndex(dlg.format.findData(fmt))
    dlg.path.setText(str(path))
    dlg.start.setValue(0)
    dlg.end.setValue(end)
    dlg.width_.setValue(side)
    dlg.height_.setValue(side)
    return dlg


def _run(qtbot, dlg):
    done = []
    dlg.finished_render.connect(done.append)
    dlg.start_render()
    qtbot.waitUntil(lambda: bool(done), timeout=60000)
    dlg.wait()
    return done[0]


def test_openpose_and_controlnet_sequences(editing_window, qtbot, tmp_path):
    w = editing_window
    res = _run(qtbot, _dialog(w, tmp_path / "poses", "openpose", 4, 128))
    files = sorted((tmp_path / "poses").glob("*.json"))
    assert len(files) == 5 and len(res.frames) == 5
    people = json.loads(files[2].read_text())["people"]
    assert len(people) == 1 and len(people[0]["pose_keypoints_2d"]) == 54
    dlg = _dialog(w, tmp_path / "skel", "controlnet", 2, 64)
    _run(qtbot, dlg)
    pngs = sorted((tmp_path / "skel").glob("*.png"))
    assert len(pngs) == 3 and Image.open(pngs[0]).size == (64, 64)
    assert "skel" in dlg.status.text() and dlg.status.text().startswith("Done")


def test_width_is_stable_and_done_names_the_file(editing_window, qtbot, tmp_path):
    deep = tmp_path / ("a_rather_long_folder_name_" * 4) / "walk.gif"
    dlg = _dialog(editing_window, deep, "gif", 3)
    dlg.show()
    qtbot.waitExposed(dlg)
    width = dlg.width()
    render_x = dlg.render_button.mapTo(dlg, dlg.render_button.rect().center()).x()
    _run(qtbot, dlg)
    qtbot.wait(20)
    assert dlg.width() == width
    assert dlg.render_button.mapTo(dlg, dlg.render_button.rect().center()).x() == render_x
    assert str(deep) in dlg.status.text() and "walk_frames" not in dlg.status.text()
    assert dlg.cancel_button.text() == "Close"


def test_extension_follows_format_and_folder_is_remembered(editing_window, tmp_path):
    w = editing_window
    dlg = _dialog(w, tmp_path / "walk.gif", "gif", 2)
    dlg.format.setCurrentIndex(dlg.format.findData("mp4"))
    assert Path(dlg.path.text()) == tmp_path / "walk.mp4"
    dlg.format.setCurrentIndex(dlg.format.findData("png"))
    assert Path(dlg.path.text()) == tmp_path / "walk"
    dlg.format.setCurrentIndex(dlg.format.findData("webp"))
    assert Path(dlg.path.text()) == tmp_path / "walk.webp"
    dlg.confirm_overwrite = lambda p: True
    dlg.format.setCurrentIndex(dlg.format.findData("openpose"))
    dlg.start_render()
    dlg.wait()
    again = w.editing.open_render_dialog(w)
    assert Path(again.path.text()).parent == tmp_path


def test_asks_before_replacing_and_keeps_the_file_on_no(editing_window, qtbot, tmp_path):
    out = tmp_path / "walk.gif"
    out.write_bytes(b"the artist's earlier render")
    dlg = _dialog(editing_window, out, "gif", 2)
    asked = []
    dlg.confirm_overwrite = lambda p: asked.append(p) or False
    dlg.start_render()
    dlg.wait()
    assert asked == [out] and out.read_bytes() == b"the artist's earlier render"
    assert dlg.thread is None
    dlg.confirm_overwrite = lambda p: True
    _run(qtbot, dlg)
    with Image.open(out) as im:
        assert im.n_frames >= 2
