"""The Train dock in the real window: its place and shortcut, reviewing a frame's
pose on the canvas and writing it back, using a winning model for the document,
and the question closing the window asks while a run goes on."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

from posestudio.core import project
from posestudio.ui import train_run, training_dock
from tests.ui.personal_fixtures import RUN_TIMEOUT_MS, material, personal  # noqa: F401  (fixtures)


@pytest.fixture
def twindow(window, personal):  # noqa: F811
    training = training_dock.install_training(window)
    window.ask_about_training = lambda win: training_dock.CANCEL  # a test never waits on the question
    yield window
    job = training.panel.job
    if job is not None:
        job.cancel_and_wait(5)
        job.cleanup()


def prepared(qtbot, window, folder):
    panel = window.training.panel
    panel.set_source(folder)
    assert panel.prepare()
    qtbot.waitUntil(lambda: not panel.running, timeout=RUN_TIMEOUT_MS)
    assert panel.material is not None, panel.message.text()
    return panel


def test_the_dock_is_a_tab_with_the_generator_and_has_a_shortcut(twindow):
    w = twindow
    dock = w.docks["train"]
    assert dock in w.tabifiedDockWidgets(w.docks["generator"])
    action = w.training.action
    assert action.shortcut().toString() == training_dock.SHORTCUT
    view = next(a.menu() for a in w.menuBar().actions() if a.text().replace("&", "") == "View")
    assert action in view.actions() and dock.toggleViewAction() in view.actions()
    dock.hide()
    action.trigger()
    assert dock.isVisible()
    assert training_dock.install_training(w) is w.training  # installing twice adds nothing


def test_a_reviewed_pose_goes_back_into_material_json(qtbot, twindow, material):  # noqa: F811
    from posestudio.core.edits import MoveJoints

    w = twindow
    panel = prepared(qtbot, w, material)
    run = panel.run_path()
    before = json.loads((run / "material.json").read_text())
    panel.frames.frames.setCurrentRow(1)
    panel.review_button.click()
    doc = w.session.doc
    frame = project.read_image(run / before["frames"][1]["file"])
    assert np.array_equal(doc.image_layer().data, frame)
    layer = w.session.pose_layer()
    assert np.allclose(layer.poses[0].xy, project.pose_from_json(before["frames"][1]["pose"]).xy, atol=1e-3)
    old = layer.poses[0].xy[[4]].copy()
    w.session.push(MoveJoints(layer.id, 0, [4], old, old + [[17.0, -9.0]], text="Move joint"))
    assert w.session.modified and panel.save_pose_button.isEnabled()
    panel.save_pose_button.click()
    after = json.loads((run / "material.json").read_text())
    moved = project.pose_from_json(after["frames"][1]["pose"])
    assert np.allclose(moved.xy[4], old[0] + [17.0, -9.0], atol=1e-3)
    assert after["frames"][0] == before["frames"][0] and after["left_out"] == before["left_out"]
    assert not w.session.modified  # saved where it belongs
    assert not [p for p in os.listdir(run) if p.endswith(".tmp")]  # written atomically, nothing left beside
    assert "Saved the pose" in panel.message.text()
    # the canvas showing something else: nothing is written over the frame
    w.open_file(str(material / "2_B.jpg"))
    panel.save_pose_button.click()
    assert json.loads((run / "material.json").read_text()) == after
    assert "no longer shows" in panel.message.text()


def test_use_for_this_document_is_saved_with_the_project(qtbot, twindow, material, tmp_path):  # noqa: F811
    w = twindow
    panel = w.training.panel
    panel.set_source(material)
    assert panel.start()
    qtbot.waitUntil(lambda: not panel.running, timeout=RUN_TIMEOUT_MS)
    assert panel.score.use_button.isEnabled()
    panel.score.use_button.click()
    assert w.session.doc.generator["personal_model"] == "character_personal" and w.session.modified
    out = tmp_path / "doc.psproj"
    assert w.session.save(out)
    assert project.load_project(out).generator["personal_model"] == "character_personal"
    # the window's own generations then name it, so auto may pick it for this document
    assert w.generation.request(preview=True).personal_model == "character_personal"


def test_closing_while_training_asks_and_cancel_saves_the_run(qtbot, twindow, material):  # noqa: F811
    w = twindow
    panel = w.training.panel
    asked = []
    w.ask_about_training = lambda win: asked.append("stay") or training_dock.STAY
    assert training_dock.may_close(w) and not asked  # nothing running: no question
    panel.set_source(material)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.progress.get("step", 0) >= 3, timeout=RUN_TIMEOUT_MS)
    job = panel.job
    w.close()
    assert asked == ["stay"] and w.isVisible() and panel.running  # "Don't close"
    w.ask_about_training = lambda win: asked.append("cancel") or training_dock.CANCEL
    w.close()
    assert asked == ["stay", "cancel"] and not w.isVisible()
    assert job.poll() == train_run.EXIT_CANCELLED  # it saved and stopped before the window went
    progress = json.loads((panel.run_path() / "progress.json").read_text())
    assert progress["phase"] == "cancelled" and 3 <= progress["step"] < 40


def test_keep_training_in_the_background_outlives_the_window_and_the_next_dock_follows_it(
        qtbot, twindow, material, monkeypatch):  # noqa: F811
    from posestudio.ui.panels.train_panel import TrainPanel

    monkeypatch.setenv("POSESTUDIO_DOUBLE_STEP_S", "0.15")  # long enough to be followed after the close
    w = twindow
    panel = w.training.panel
    panel.set_source(material)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.progress.get("step", 0) >= 3, timeout=RUN_TIMEOUT_MS)
    job = panel.job
    w.ask_about_training = lambda win: training_dock.KEEP
    w.close()
    assert not w.isVisible() and panel.job is None and job.poll() is None  # still training
    # the next window's dock remembers the run and follows it through its folder alone
    again = TrainPanel(gpu=False, restore=True)
    qtbot.addWidget(again)
    again.show()
    assert again.run_path() == panel.run_path() and again.setup.source.text() == str(material)
    assert again.running and isinstance(again.job, train_run.AttachedRun), again.message.text()
    assert again.cancel_button.isEnabled() and "background" in again.message.text()
    assert again.curves.point_count()[0] >= 3  # the curve so far, read from curves.jsonl
    qtbot.waitUntil(lambda: not again.running, timeout=RUN_TIMEOUT_MS)
    assert job.wait(RUN_TIMEOUT_MS / 1000) == train_run.EXIT_DONE
    assert again.phase.text().startswith("Done") and again.score.use_button.isEnabled()
    assert again.curves.point_count() == (40, 8)
    shutil.rmtree(panel.run_path())


def test_the_dock_fits_its_tab_group_at_1280x800_without_scrolling(qtbot, twindow):
    """A height-for-width child (a wrapping label) made the dock's scroll area lay the whole
    dock out at its preferred height (646 px in a 347 px tab): it scrolled though it fitted."""
    from PySide6.QtWidgets import QScrollArea, QWidget

    from posestudio.ui import dock_layout

    w = twindow
    w.resize(1280, 800)
    dock_layout.arrange(w)
    w.docks["timeline"].hide()
    w.training.action.trigger()
    panel = w.training.panel
    panel.show_message("a message long enough to wrap onto a second line in a dock of this width, as errors do")
    qtbot.wait(50)
    assert [type(c).__name__ for c in panel.findChildren(QWidget) if c.hasHeightForWidth()] == []
    area = w.docks["train"].widget()
    assert isinstance(area, QScrollArea) and area.widget() is panel
    # laid out in the room it has (or at its minimum), never at its preferred height
    assert panel.height() == max(area.viewport().height(), panel.minimumSizeHint().height())
    assert panel.height() < panel.sizeHint().height()
