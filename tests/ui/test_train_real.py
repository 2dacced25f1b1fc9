"""The Train dock driving the real `posestudio personal` (not the stand-in child the other dock
tests use for timing): real detection on the real DeepFashion photos, a few training steps,
the held-out check, and what the dock shows of each."""

from __future__ import annotations

import json
import sys

import pytest

from posestudio.ui import train_run, training_dock
from tests.ui.personal_fixtures import REPO, material  # noqa: F401  (fixture)

REAL_TIMEOUT_MS = 240_000


@pytest.fixture
def real_window(window, monkeypatch):
    # the real command; a tiny generator, small frames and 4 steps so the run fits the suite
    monkeypatch.setattr(train_run, "PERSONAL_PROGRAM", [sys.executable, "-m", "posestudio", "personal",
                                                         "--preset", "tiny", "--max-side", "64", "--steps", "4",
                                                         "--no-install"])  # fmt: skip
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    training = training_dock.install_training(window)
    window.ask_about_training = lambda win: training_dock.CANCEL
    yield window
    job = training.panel.job
    if job is not None:
        job.cancel_and_wait(5)
        job.cleanup()
    from posestudio.ui import settings

    s = settings.settings()
    s.remove("train")
    s.sync()


def test_the_dock_runs_the_real_command_end_to_end(qtbot, real_window, material):  # noqa: F811
    panel = real_window.training.panel
    panel.set_source(material)
    assert panel.prepare()
    qtbot.waitUntil(lambda: not panel.running, timeout=REAL_TIMEOUT_MS)
    assert panel.material is not None, panel.message.text()
    run = panel.run_path()
    mat = json.loads((run / "material.json").read_text())
    assert len(mat["frames"]) == 4  # the detector found a person on each real photo
    assert any("tiny.png" in e["what"] for e in mat["left_out"])  # the 40x30 picture is left out, with why
    assert panel.start()
    qtbot.waitUntil(lambda: not panel.running, timeout=REAL_TIMEOUT_MS)
    progress = json.loads((run / "progress.json").read_text())
    assert progress["phase"] == "done", panel.message.text()
    assert progress["step"] == 4
    score = json.loads((run / "score.json").read_text())
    shown = panel.score.score
    assert shown is not None and shown["personal"] == score["personal"] and shown["engine"] == score["engine"]
    # four photos of two people are too little to beat the engine: the dock does not offer it
    assert panel.score.use_button.isEnabled() == bool(score["wins"])
    assert any("little material" in n for n in mat["notes"])
