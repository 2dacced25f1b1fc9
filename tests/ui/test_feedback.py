"""Feedback while generating: a busy bar and a disabled Generate, warnings in the panel,
the result marked out of date after a pose edit, the status bar naming the model used,
and scrubbing/playback showing each frame's own cached result."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint

from posestudio.ui.result_state import is_stale
from tests.ui.conftest import drag, joint_point


def _result(w):
    return w.session.doc.layers.first("result")


def _generate(w, qtbot):
    with qtbot.waitSignal(w.generation.result_applied, timeout=60000):
        w.generate()
        # before the engine answers (its result comes through the event loop)
        assert w.generator_panel.busy.isVisibleTo(w.generator_panel)
        assert not w.generator_panel.generate.isEnabled() and not w.actions["generate"].isEnabled()
    qtbot.waitUntil(lambda: w.generator_panel.generate.isEnabled(), timeout=5000)
    assert not w.generator_panel.busy.isVisibleTo(w.generator_panel) and w.actions["generate"].isEnabled()


def _row_text(w, layer):
    model = w.layers_panel.model
    return model.data(model.index(model.row_of(layer), 2))


def test_busy_while_generating_and_stale_after_a_pose_edit(window, qtbot):
    window.generator_panel.model.setCurrentText("puppet")
    _generate(window, qtbot)
    res = _result(window)
    assert not is_stale(res) and "out of date" not in _row_text(window, res)
    start = joint_point(window, 4)
    drag(qtbot, window.view, start, QPoint(start.x() + 25, start.y() - 20))
    assert is_stale(res) and "out of date" in _row_text(window, res)
    assert "out of date" in window.generator_panel.status.text()
    window.session.undo.undo()  # back to the pose it was made from: current again, the note goes
    assert not is_stale(res) and window.generator_panel.status.text() == ""
    window.session.undo.redo()
    assert is_stale(res)
    _generate(window, qtbot)
    assert not is_stale(res) and "out of date" not in _row_text(window, res)


def test_cannot_generate_is_said_in_the_generator_panel(window):
    layer = window.session.pose_layer()
    layer.set_poses([])
    window.generate()
    text = window.generator_panel.status.text()
    assert text.startswith("Cannot generate") and "pose" in text
    assert "e08a1e" in window.generator_panel.status.styleSheet()  # shown as a warning


def test_status_bar_names_the_model_the_panel_shows_then_the_one_used(window, qtbot):
    panel = window.generator_panel
    assert window.model_label.text() == f"Model: {panel.model.currentText()}"
    panel.model.setCurrentText("auto")
    assert window.model_label.text() == "Model: auto"
    with qtbot.waitSignal(window.generation.result_applied, timeout=60000) as got:
        window.generate()
    used = got.args[0].model
    assert window.model_label.text() == f"Model: {used} (auto)"


def test_scrubbing_shows_each_frames_cached_result(editing_window, qtbot):
    w = editing_window
    tp = w.editing.timeline
    w.generator_panel.model.setCurrentText("puppet")
    assert tp.frame == 24
    _generate(w, qtbot)
    at_24 = _result(w).data.copy()
    tp.scrub(0)
    assert is_stale(_result(w))
    _generate(w, qtbot)
    at_0 = _result(w).data.copy()
    assert not np.array_equal(at_0, at_24)
    tp.scrub(24)  # the playhead comes back: that frame's picture, current again
    assert np.array_equal(_result(w).data, at_24) and not is_stale(_result(w))
    tp.scrub(12)  # nothing generated there
    assert is_stale(_result(w)) and np.array_equal(_result(w).data, at_24)
    tp.scrub(0)
    assert np.array_equal(_result(w).data, at_0) and not is_stale(_result(w))
