"""Keyframing in the window: K keys at the playhead, unkeyed pose edits are marked and kept,
auto-key, and a project opens showing the pose at its playhead (the shipped sample)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint

from posestudio.core.timeline import Timeline
from tests.ui.conftest import drag, joint_point

WRIST = 4


@pytest.fixture
def kwindow(editing_window):
    return editing_window


def _drag_wrist(qtbot, w, dx=30, dy=-25):
    start = joint_point(w, WRIST)
    drag(qtbot, w.view, start, QPoint(start.x() + dx, start.y() + dy))
    return w.session.pose_layer().poses[0].copy()


def test_sample_opens_at_the_keyframe_it_was_saved_with(kwindow):
    w, tp = kwindow, kwindow.editing.timeline
    tl = Timeline.from_document(w.session.doc)
    assert tp.frame == 24 and tp.frame_spin.value() == 24
    assert w.session.pose_layer().poses[0] == tl.pose_at(24)[0]
    assert not w.playhead.unkeyed() and tp.ruler.unkeyed == []


def test_k_keys_at_the_playhead_not_frame_zero(qtbot, kwindow):
    w, tp = kwindow, kwindow.editing.timeline
    doc = w.session.doc
    key0 = [p.copy() for p in doc.keyframes[0]]
    tp.scrub(10)
    edited = _drag_wrist(qtbot, w)
    w.actions["set_keyframe"].trigger()
    assert sorted(doc.keyframes) == [0, 10, 24]
    assert doc.keyframes[10][0] == edited and doc.keyframes[0][0] == key0[0]
    assert not w.playhead.unkeyed()


def test_unkeyed_edit_is_marked_and_kept_when_the_playhead_moves(qtbot, kwindow):
    w, tp = kwindow, kwindow.editing.timeline
    tp.scrub(6)
    assert tp.frame_spin.styleSheet() == ""
    edited = _drag_wrist(qtbot, w)
    assert w.playhead.unkeyed() and tp.ruler.unkeyed == [6]
    assert "background" in tp.frame_spin.styleSheet() and tp.buttons["Discard"].isEnabled()
    tp.scrub(12)  # the edit is kept for frame 6, not thrown away
    tl = Timeline.from_document(w.session.doc)
    assert w.session.pose_layer().poses[0] == tl.pose_at(12)[0]
    assert tp.ruler.unkeyed == [6] and tp.frame_spin.styleSheet() == ""
    tp.scrub(6)
    assert w.session.pose_layer().poses[0] == edited
    assert sorted(w.session.doc.keyframes) == [0, 24]
    tp.buttons["Discard"].click()
    assert w.session.pose_layer().poses[0] == tl.pose_at(6)[0]
    assert tp.ruler.unkeyed == [] and not w.playhead.unkeyed()


def test_auto_key_keys_each_edit_in_the_same_undo_step(qtbot, kwindow):
    w, tp = kwindow, kwindow.editing.timeline
    doc = w.session.doc
    tp.auto_key.setChecked(True)
    tp.scrub(8)
    before = w.session.undo.count()
    edited = _drag_wrist(qtbot, w)
    assert sorted(doc.keyframes) == [0, 8, 24] and doc.keyframes[8][0] == edited
    assert w.session.undo.count() == before + 1 and not w.playhead.unkeyed()
    w.session.undo.undo()
    assert sorted(doc.keyframes) == [0, 24]
    assert not np.allclose(w.session.pose_layer().poses[0].xy[WRIST], edited.xy[WRIST])


def test_auto_key_does_not_bring_back_a_deleted_keyframe(qtbot, kwindow):
    w, tp = kwindow, kwindow.editing.timeline
    doc = w.session.doc
    tp.scrub(10)
    _drag_wrist(qtbot, w)
    assert tp.add_key() and sorted(doc.keyframes) == [0, 10, 24]
    tp.auto_key.setChecked(True)
    assert tp.delete_key()
    assert sorted(doc.keyframes) == [0, 24]
    assert not w.playhead.unkeyed()  # the skeleton shows what the keys that are left give
