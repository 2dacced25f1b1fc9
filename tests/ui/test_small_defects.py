"""Smaller defects: feedback when posing a locked layer, a locked layer row that cannot be
dragged (the list stayed stuck until Esc), Mirror Labels refusing a hidden layer without a
history entry, and error lines that never show a Python exception name."""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint, Qt

from posestudio.ui.panels.layer_model import NAME
from tests.ui.conftest import drag, joint_point


def test_dragging_a_locked_layers_joint_says_why(window, qtbot):
    layer = window.session.pose_layer()
    before = layer.poses[0].copy()
    layer.locked = True
    window.last_error = None
    start = joint_point(window, 4)
    drag(qtbot, window.view, start, QPoint(start.x() + 30, start.y()))
    assert layer.poses[0] == before
    assert window.last_error and "locked" in window.last_error and layer.name in window.last_error


def test_locked_layer_row_does_not_start_a_drag(window):
    model = window.layers_panel.model
    rows = range(model.rowCount())
    locked = next(r for r in rows if model.layer_at(r).locked)  # the Source pose
    free = next(r for r in rows if not model.layer_at(r).locked)
    assert not model.flags(model.index(locked, NAME)) & Qt.ItemFlag.ItemIsDragEnabled
    assert model.flags(model.index(free, NAME)) & Qt.ItemFlag.ItemIsDragEnabled
    mime = model.mimeData([model.index(locked, NAME)])
    order = [l.id for l in window.session.doc.layers]
    assert not model.canDropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, model.index(-1, -1))
    model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, model.index(-1, -1))
    assert [l.id for l in window.session.doc.layers] == order and window.last_error is None


def test_mirror_labels_on_a_hidden_layer_is_refused_without_history(editing_window):
    w = editing_window
    parsing = w.session.doc.layers.first("parsing")
    parsing.visible = False
    data = parsing.data.copy()
    steps = w.session.undo.count()
    w.editing.actions["mirror_labels"].trigger()
    assert w.session.undo.count() == steps and (parsing.data == data).all()
    assert "hidden" in w.last_error
    parsing.visible = True
    w.editing.actions["mirror_labels"].trigger()
    assert w.session.undo.count() == steps + 1


def test_error_lines_name_no_python_exception(window, tmp_path, samples_dir):
    bad = tmp_path / "photo.jpg"
    bad.write_bytes(b"this is not a picture at all" * 10)
    assert not window.open_file(str(bad))
    assert "photo.jpg" in window.last_error and not re.search(r"[A-Z][a-z]+Error\b", window.last_error)
    cut = tmp_path / "half.psproj"
    from tests.ui.conftest import SAMPLE

    cut.write_bytes(SAMPLE.read_bytes()[: SAMPLE.stat().st_size // 2])
    assert not window.open_file(str(cut))
    assert "half.psproj" in window.last_error
    assert not re.search(r"[A-Z][a-z]+(Error|File)\b", window.last_error), window.last_error
