"""The timeline dock: keyframe edits through undo, scrubbing, segment modes, onion skin, playback."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from posestudio.core.timeline import Timeline


def test_add_move_delete_keyframes_are_undoable(ewindow):
    w, tp = ewindow, ewindow.editing.timeline
    doc = w.session.doc
    assert sorted(doc.keyframes) == [0, 24]
    tp.scrub(10)
    layer = w.session.pose_layer()
    moved = layer.poses[0].copy()
    moved.xy[4] += (15, -20)
    layer.set_poses([moved])
    assert tp.add_key()
    assert sorted(doc.keyframes) == [0, 10, 24] and np.allclose(doc.keyframes[10][0].xy, moved.xy)
    assert tp.ruler.keys == [0, 10, 24]
    w.session.undo.undo()
    assert sorted(doc.keyframes) == [0, 24] and tp.ruler.keys == [0, 24]
    w.session.undo.redo()
    # move by dragging its mark on the ruler
    r = tp.ruler
    src, dst = QPoint(int(r.x_of(10)), 10), QPoint(int(r.x_of(16)), 10)
    QTest.mousePress(r, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, src)
    QTest.mouseMove(r, dst)
    QTest.mouseRelease(r, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, dst)
    assert sorted(doc.keyframes) == [0, 16, 24] and np.allclose(doc.keyframes[16][0].xy, moved.xy)
    assert tp.frame == 16
    w.session.undo.undo()
    assert sorted(doc.keyframes) == [0, 10, 24]
    tp.scrub(10)
    assert tp.delete_key()
    assert sorted(doc.keyframes) == [0, 24]
    w.session.undo.undo()
    assert sorted(doc.keyframes) == [0, 10, 24] and np.allclose(doc.keyframes[10][0].xy, moved.xy)


def test_scrubbing_shows_timeline_pose_at_frame(ewindow):
    w, tp = ewindow, ewindow.editing.timeline
    doc = w.session.doc
    tl = Timeline.from_document(doc)
    r = tp.ruler
    for frame in (0, 7, 12, 24, 30):
        p = QPoint(int(round(r.x_of(frame))), r.height() - 4)
        QTest.mouseClick(r, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
        assert tp.frame == frame
        expect = tl.pose_at(frame)
        got = w.session.pose_layer().poses
        assert len(got) == len(expect)
        assert np.allclose(got[0].xy, expect[0].xy) and np.array_equal(got[0].visible, expect[0].visible)
    assert not np.allclose(tl.pose_at(7)[0].xy, tl.pose_at(0)[0].xy)
    # scrubbing is view state, not an undo step
    assert w.session.undo.count() == 0


def test_segment_mode_copy_paste_mirror_and_settings(ewindow):
    w, tp = ewindow, ewindow.editing.timeline
    doc = w.session.doc
    tp.scrub(6)
    assert tp.segment_start() == 0
    assert tp.set_mode("hold")
    tl = Timeline.from_document(doc)
    assert tl.mode_at(0) == "hold" and np.allclose(tl.pose_at(6)[0].xy, doc.keyframes[0][0].xy)
    assert tp.mode.currentText() == "hold"
    w.session.undo.undo()
    assert Timeline.from_document(doc).mode_at(0) == "bones"
    tp.scrub(24)
    tp.copy_key()
    tp.scrub(40)
    assert tp.paste_key() and np.allclose(doc.keyframes[40][0].xy, doc.keyframes[24][0].xy)
    assert tp.mirror_key()
    assert np.allclose(doc.keyframes[40][0].xy, doc.keyframes[24][0].mirrored(doc.width).xy)
    w.session.undo.undo()
    assert np.allclose(doc.keyframes[40][0].xy, doc.keyframes[24][0].xy)
    tp.fps.setValue(24)
    assert Timeline.from_document(doc).fps == 24
    w.session.undo.undo()
    assert Timeline.from_document(doc).fps == 12


def test_onion_skin_and_playback(ewindow, qtbot):
    w, tp = ewindow, ewindow.editing.timeline
    tp.scrub(12)
    assert tp.onion_items() == []
    tp.onion.setChecked(True)
    items = tp.onion_items()
    assert len(items) == 2 and all(i.scene() is w.scene for i in items)
    assert abs(items[0].opacity() - 0.4) < 1e-6
    assert items[0].pen().color() != items[1].pen().color()
    tp.onion_opacity.setValue(80)
    assert abs(tp.onion_items()[0].opacity() - 0.8) < 1e-6
    # playback runs the frames at the timeline's fps; "once" stops on the last frame
    tp.fps.setValue(120)
    tp.loop.setCurrentText("once")
    seen = []
    tp.frame_changed.connect(seen.append)
    tp.play.setChecked(True)
    qtbot.waitUntil(lambda: not tp.play.isChecked(), timeout=10000)
    assert seen[:3] == [0, 1, 2] and seen[-1] == 24
