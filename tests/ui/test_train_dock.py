"""The Train dock under pytest-qt, driving a real child process.

Until ``posestudio personal`` is merged, the child is tests/ui/personal_double.py,
a stand-in that follows the run-folder contract (see there); the dock, the thing
under test, runs it exactly as it runs the real command (``train_run.PERSONAL_PROGRAM``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from posestudio.ui import train_run
from tests.ui.personal_fixtures import RUN_TIMEOUT_MS, material, personal  # noqa: F401  (fixtures)


@pytest.fixture
def panel(qtbot, personal):  # noqa: F811
    from posestudio.ui.panels.train_panel import TrainPanel

    p = TrainPanel(gpu=False)
    qtbot.addWidget(p)
    p.resize(380, 760)
    p.show()
    yield p
    if p.job is not None:  # a failed test never leaves a child behind
        p.job.cancel_and_wait(5)
        p.job.cleanup()


def wait_end(qtbot, panel):
    qtbot.waitUntil(lambda: not panel.running, timeout=RUN_TIMEOUT_MS)


def curve_steps(run: Path, key: str) -> list[int]:
    return [r["step"] for r in map(json.loads, (run / "curves.jsonl").read_text().splitlines()) if key in r]


def test_prepare_lists_kept_and_left_out_frames_with_reasons(qtbot, panel, material):  # noqa: F811
    panel.set_source(material)
    run = panel.run_path()
    assert run == material.parent / "character_personal"
    assert panel.prepare()
    assert not panel.start_button.isEnabled()  # one job at a time
    wait_end(qtbot, panel)
    assert panel.frames.frames.count() == 4
    assert panel.frames.left_out.count() == 1
    assert "tiny.png" in panel.frames.left_out.item(0).text() and "too small" in panel.frames.left_out.item(0).text()
    summary = panel.frames.summary.text()
    assert "4 frames kept (2 held out" in summary and "1 left out" in summary
    assert [panel.frames.frames.item(i).text().endswith("held out") for i in range(4)] == [False, False, True, True]
    assert panel.phase.text() == "Prepared" and "Review poses" in panel.message.text()
    assert not panel.frames.frames.item(0).icon().isNull()  # a real thumbnail of the frame
    assert panel.review_button.isEnabled() and panel.start_button.isEnabled()
    assert not (run / "progress.json").read_text().count('"train"')  # prepare only: no training


def test_start_shows_live_curves_progress_and_sample_then_the_score(qtbot, panel, material):  # noqa: F811
    panel.set_source(material)
    assert panel.start()
    assert panel.cancel_button.isEnabled() and not panel.prepare_button.isEnabled()
    # while the child is still training, the curves and the progress already follow it
    qtbot.waitUntil(lambda: panel.curves.point_count()[0] >= 10 or not panel.running, timeout=RUN_TIMEOUT_MS)
    assert panel.running, "the run ended before the dock showed any of its progress"
    mid_loss = panel.curves.point_count()[0]
    assert mid_loss < 40 and panel.bar.value() >= 10 and "ETA" in panel.bar.format()
    assert panel.phase.text().startswith("Training · step") and panel.phase.text().endswith("· cpu")
    qtbot.waitUntil(lambda: panel.sample.shown is not None, timeout=RUN_TIMEOUT_MS)
    first_sample = panel.sample.shown
    wait_end(qtbot, panel)
    run = panel.run_path()
    assert panel.curves.point_count() == (len(curve_steps(run, "loss")), len(curve_steps(run, "val_ssim"))) == (40, 8)
    assert panel.curves.loss[-1] == pytest.approx(1 / (1 + 0.2 * 40), abs=1e-4)
    assert panel.sample.shown != first_sample and panel.sample.shown[0].endswith("step_000040.png")
    assert not panel.sample.pixmap().isNull()
    assert panel.bar.value() == panel.bar.maximum() == 40
    assert panel.phase.text().startswith("Done")
    score = json.loads((run / "score.json").read_text())
    assert panel.score.table.item(0, 0).text() == f"{score['personal']['ssim']:.3f}"
    assert panel.score.table.item(1, 1).text() == f"{score['engine']['psnr']:.2f}"
    assert panel.score.verdict.text().startswith("Beats the weight-free engine on 2 held-out frames")
    assert panel.score.use_button.isEnabled() and panel.tabs.currentWidget() is panel.score
    assert len(panel.curves.engine_lines) == 2  # the engine's scores to beat, dashed


def test_cancel_saves_and_resume_continues_from_there(qtbot, panel, material):  # noqa: F811
    panel.set_source(material)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.progress.get("step", 0) >= 5 or not panel.running, timeout=RUN_TIMEOUT_MS)
    assert panel.running
    panel.cancel_button.click()
    assert (panel.run_path() / "STOP").exists()
    wait_end(qtbot, panel)
    run = panel.run_path()
    progress = json.loads((run / "progress.json").read_text())
    assert progress["phase"] == "cancelled" and 5 <= progress["step"] < 40
    assert panel.phase.text() == f"Cancelled · step {progress['step']}/40"
    assert "Resume continues" in panel.message.text()
    assert panel.resume_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert not (run / "score.json").exists()
    stopped_at = progress["step"]
    panel.resume_button.click()
    assert panel.running
    wait_end(qtbot, panel)
    assert curve_steps(run, "loss") == list(range(1, 41))  # continued, nothing trained twice
    assert panel.curves.steps == list(range(1, 41))  # the curve before the cancel is kept
    assert json.loads((run / "progress.json").read_text())["phase"] == "done"
    assert stopped_at < 40 and panel.score.score is not None and not panel.resume_button.isEnabled()


def test_a_failing_run_shows_its_one_line_error_in_the_dock(qtbot, panel, tmp_path, samples_dir):
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(samples_dir / "2_A.jpg", folder)
    panel.set_source(folder)
    assert panel.start()
    wait_end(qtbot, panel)
    assert panel.message.text() == f"{folder}: 1 usable picture(s); a personal model needs at least 2"
    assert "\n" not in panel.message.text() and "color" in panel.message.styleSheet()
    assert panel.phase.text() == "Stopped: bad input"
    assert panel.start_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_nothing_starts_without_material_or_run_folder(panel):
    assert not panel.start() and "Choose the material" in panel.message.text()
    panel.setup.source.setText("/somewhere")
    assert not panel.start() and "run folder" in panel.message.text()
    assert panel.job is None


def test_gpu_is_offered_only_when_present(qtbot, personal):  # noqa: F811
    from posestudio.ui.panels.train_panel import TrainPanel

    devices = {}
    for gpu in (False, True):
        p = TrainPanel(gpu=gpu)
        qtbot.addWidget(p)
        devices[gpu] = [p.setup.device.itemData(i) for i in range(p.setup.device.count())]
    assert devices == {False: ["auto", "cpu"], True: ["auto", "cpu", "cuda"]}
    found = shutil.which("nvidia-smi") is not None
    assert train_run.gpu_present() or not found  # a machine with the driver's tool always offers it


def test_a_remembered_run_whose_process_ended_is_shown_not_followed(qtbot, personal, material):  # noqa: F811
    """A run that died in its "prepare" or "train" phase (a bad input before it wrote "failed")
    left a fresh progress.json: the next dock followed it as if it were training, for minutes."""
    import subprocess
    import sys

    from posestudio.ui.panels.train_panel import TrainPanel

    first = TrainPanel(gpu=False)
    qtbot.addWidget(first)
    first.set_source(material)
    assert first.start()
    qtbot.waitUntil(lambda: first.progress.get("step", 0) >= 3, timeout=RUN_TIMEOUT_MS)
    job = first.job
    job.proc.kill()  # dies mid-training, saying nothing
    job.proc.wait()
    first.timer.stop()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    first.setup.remember(int(dead.stdout))  # as a window that kept it in the background remembers it
    job.cleanup()
    assert json.loads((first.run_path() / "progress.json").read_text())["phase"] == "train"
    again = TrainPanel(gpu=False, restore=True)
    qtbot.addWidget(again)
    again.tabs.setCurrentIndex(again.tabs.indexOf(again.curves))
    again.show()
    assert again.run_path() == first.run_path()
    assert not again.running and again.resume_button.isEnabled()
    assert again.phase.text().startswith("Training · step")  # what the folder says, shown as it is
    assert again.curves.point_count()[0] >= 3


def test_the_window_starts_without_importing_pyqtgraph(tmp_path):
    """pyqtgraph costs about a second to import: the Train dock loads it when its curves are
    first shown, not when the window starts (a fresh process, as a user starts the app)."""
    import subprocess
    import sys

    code = ("import sys, posestudio.ui\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from posestudio.ui.main_window import MainWindow\n"
            "w = MainWindow(); w.show()\n"
            "[app.processEvents() for _ in range(50)]\n"
            "assert w.training.dock is not None\n"
            "print('pyqtgraph' in sys.modules)\n"
            "w.training.action.trigger(); w.training.panel.tabs.setCurrentWidget(w.training.panel.curves)\n"
            "[app.processEvents() for _ in range(20)]\n"
            "print('pyqtgraph' in sys.modules)\n")
    env = {**__import__("os").environ, "POSESTUDIO_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["False", "True"], out.stderr[-2000:]
