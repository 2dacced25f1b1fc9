import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from posestudio.core.project import load_project
from tests.core.test_project import assert_same

REPO = Path(__file__).resolve().parents[2]


def test_save_open_round_trip_is_identical(window, tmp_path):
    s = window.session
    window.select_joint(0, 4)
    window.actions["hide_joints"].trigger()
    window.actions["add_person"].trigger()
    window.actions["set_keyframe"].trigger()
    s.doc.layers.first("parsing").opacity = 0.3
    path = tmp_path / "round.psproj"
    assert s.save(path) and not window.isWindowModified()
    first = s.doc
    assert window.open_file(str(path))
    assert s.doc is not first
    assert_same(first, s.doc)
    assert s.undo.count() == 0 and not window.isWindowModified()
    # and again: bytes of the project JSON are stable
    path2 = tmp_path / "round2.psproj"
    s.save(path2)
    with zipfile.ZipFile(path) as a, zipfile.ZipFile(path2) as b:
        assert a.read("project.json") == b.read("project.json")


def test_truncated_project_is_refused_and_original_kept(window, tmp_path, monkeypatch):
    s = window.session
    path = tmp_path / "p.psproj"
    s.save(path)
    original = path.read_bytes()
    bad = tmp_path / "truncated.psproj"
    bad.write_bytes(original[: len(original) * 2 // 3])
    doc = s.doc
    assert not window.open_file(str(bad))
    assert s.doc is doc and "truncated.psproj" in window.last_error and "\n" not in window.last_error
    assert bad.read_bytes() == original[: len(original) * 2 // 3]
    # a save that dies mid-write leaves the previous file whole
    window.actions["mirror_pose"].trigger()
    real = zipfile.ZipFile.writestr

    def dying(self, name, data, *a, **k):
        if name.startswith("layers/"):
            raise OSError(28, "No space left on device")
        return real(self, name, data, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", dying)
    assert not s.save(path)
    monkeypatch.undo()
    assert "previous file is unchanged" in window.last_error
    assert path.read_bytes() == original and window.isWindowModified()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_newer_version_project_gives_one_line(window, tmp_path):
    import json

    s = window.session
    path = tmp_path / "p.psproj"
    s.save(path)
    newer = tmp_path / "newer.psproj"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(newer, "w") as zout:
        for n in zin.namelist():
            data = zin.read(n)
            if n == "project.json":
                m = json.loads(data)
                m["version"] = 99
                data = json.dumps(m).encode()
            zout.writestr(n, data)
    assert not window.open_file(str(newer))
    assert "newer PoseStudio" in window.last_error


CHILD = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["POSESTUDIO_AUTOSAVE_SECONDS"] = "0.2"
    import posestudio.ui
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from posestudio.core.edits import MoveJoints
    from posestudio.ui.main_window import MainWindow
    w = MainWindow()
    w.show()
    assert w.open_file(sys.argv[1])
    layer = w.session.pose_layer()
    old = layer.poses[0].xy[[4]].copy()
    w.session.push(MoveJoints(layer.id, 0, [4], old, [[201.5, 33.25]]))
    w.session.autosaved.connect(lambda p: print("AUTOSAVED", p, flush=True))
    print("EDITED", flush=True)
    app.exec()
""")


def test_sigkill_mid_edit_leaves_an_autosave_that_the_next_start_recovers(qtbot, sample_project, home_dir):
    env = dict(os.environ, POSESTUDIO_HOME=str(home_dir), PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(sample_project)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        lines = []
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("AUTOSAVED"):
                break
        assert any(l.startswith("AUTOSAVED") for l in lines), (lines, child.stderr.read() if child.poll() else "")
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    from posestudio.ui.main_window import MainWindow

    w = MainWindow()
    w.ask_to_save = lambda: True
    qtbot.addWidget(w)
    asked = []
    assert w.offer_recovery(ask=lambda text: asked.append(text) or True)
    assert "did not close normally" in asked[0]
    pose = w.session.pose_layer().poses[0]
    assert np.allclose(pose.xy[4], [201.5, 33.25])
    assert w.isWindowModified() and w.session.doc.path == sample_project
    assert w.session.recoverable() == []  # the autosave was taken
    # the sample file itself was never written by the crashed session
    assert load_project(sample_project).pose_layer().poses[0].xy[4].tolist() != [201.5, 33.25]


@pytest.mark.timeout(120)
def test_screenshot_command_writes_png(tmp_path, sample_project, home_dir):
    out = tmp_path / "shot.png"
    env = dict(os.environ, POSESTUDIO_HOME=str(home_dir), QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-m", "posestudio", "--screenshot", str(out), str(sample_project)],
                       capture_output=True, text=True, env=env, cwd=REPO, timeout=110)
    assert r.returncode == 0, r.stderr
    from PIL import Image

    img = np.array(Image.open(out))
    assert img.shape[0] > 500 and img.shape[1] > 800 and img.std() > 10


def test_autosave_runs_in_the_background_and_close_discards_it(window, qtbot):
    s = window.session
    window.actions["mirror_pose"].trigger()
    with qtbot.waitSignal(s.autosaved, timeout=30000):
        s.autosave_now()
    assert s.autosave.path.exists() and s.autosave.info_path.exists()
    s.autosave_now()  # nothing changed since: no second write
    assert not s._saving
    window.close()
    assert not s.autosave.path.exists() and not s.autosave.info_path.exists()
