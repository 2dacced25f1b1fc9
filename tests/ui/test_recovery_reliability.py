"""The window never offers an autosave older than the saved file, and says why it dropped one."""

import json
import subprocess
import sys
import time


def test_saving_discards_the_autosave_so_a_crash_after_save_offers_nothing(window, qtbot, tmp_path):
    s = window.session
    window.actions["mirror_pose"].trigger()  # edit A
    with qtbot.waitSignal(s.autosaved, timeout=30000):
        s.autosave_now()
    assert s.autosave.path.exists()
    window.actions["mirror_pose"].trigger()  # edit B, then save
    assert s.save(tmp_path / "mine.psproj")
    assert not s.autosave.path.exists() and not s.autosave.info_path.exists()


def test_a_stale_autosave_is_removed_with_a_line_not_offered(window, qtbot, tmp_path):
    s = window.session
    window.actions["mirror_pose"].trigger()
    assert s.save(tmp_path / "mine.psproj")
    window.actions["mirror_pose"].trigger()
    with qtbot.waitSignal(s.autosaved, timeout=30000):
        s.autosave_now()
    # as a crashed earlier session would have left it: its pid is gone, its file saved since
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout)
    info = json.loads(s.autosave.info_path.read_text())
    info.update(pid=dead, started=None, saved_at=time.time() - 120)
    s.autosave.info_path.write_text(json.dumps(info))
    asked = []
    assert not window.offer_recovery(ask=lambda text: asked.append(text) or True)
    assert asked == [] and "older than" in window.statusBar().currentMessage()
    assert not s.autosave.path.exists()
