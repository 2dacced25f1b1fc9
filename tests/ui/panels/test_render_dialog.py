"""The render dialog: a worker-thread render that Cancel stops, keeping the finished frames."""

from __future__ import annotations

from pathlib import Path

from PIL import Image


def _dialog(w, path, fmt: str, end: int, side: int):
    """The render dialog set to frames 0..end at side x side into ``path`` as ``fmt``."""
    dlg = w.editing.open_render_dialog(w)
    dlg.path.setText(str(path))
    dlg.format.setCurrentIndex(dlg.format.findData(fmt))
    dlg.start.setValue(0)
    dlg.end.setValue(end)
    dlg.width_.setValue(side)
    dlg.height_.setValue(side)
    return dlg


def test_cancel_mid_render_keeps_finished_frames(ewindow, qtbot, tmp_path):
    w = ewindow
    w.generator_panel.model.setCurrentText("puppet")
    w.session.doc.set_generator(model="puppet")
    dlg = _dialog(w, tmp_path / "frames", "png", 24, 64)
    dlg.batch = 2
    done = []

    def on_progress(d, t):
        if d >= 3:
            dlg.cancel()  # the user presses Cancel while frame 4 is on its way

    dlg.progressed.connect(on_progress)
    dlg.finished_render.connect(done.append)
    dlg.start_render()
    qtbot.waitUntil(lambda: bool(done), timeout=60000)
    res = done[0]
    assert res.cancelled and 3 <= len(res.frames) <= 4  # stopped within the running batch of 2
    files = sorted((tmp_path / "frames").glob("frame_*.png"))
    assert [f.name for f in files] == [f"frame_{i:05d}.png" for i in res.frames]
    assert Image.open(files[0]).size == (64, 64)
    assert "Cancelled" in dlg.status.text()


def test_render_to_gif(ewindow, qtbot, tmp_path):
    dlg = _dialog(ewindow, tmp_path / "walk.gif", "gif", 5, 48)
    done = []
    dlg.finished_render.connect(done.append)
    dlg.start_render()
    qtbot.waitUntil(lambda: bool(done), timeout=60000)
    assert not done[0].cancelled and len(done[0].frames) == 6
    gif = Path(tmp_path / "walk.gif")
    with Image.open(gif) as im:
        assert im.size == (48, 48) and im.n_frames >= 2
    assert len(list((tmp_path / "walk_frames").glob("*.png"))) == 6
