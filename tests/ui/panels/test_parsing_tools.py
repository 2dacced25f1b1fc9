"""Parsing tools on the real window: strokes, undo, sizes, fill rules, mirror, conversion."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from posestudio.core import labels, parsing_ops
from tests.ui.conftest import drag
from tests.ui.panels.conftest import image_point


def parsing(window):
    return window.session.doc.layers.first("parsing")


def test_mouse_stroke_paints_the_label_in_the_disc_and_one_undo_restores(ewindow, qtbot):
    w, tools = ewindow, ewindow.editing.tools
    layer = parsing(w)
    before = layer.data.copy()
    w.editing.actions["tool_brush"].trigger()
    assert tools.tool == "brush"
    tools.set_label(5)  # skirt: not on the sample, so every painted pixel shows
    tools.set_size(15)
    start, end = image_point(w, 60, 120), image_point(w, 190, 140)
    n0 = w.session.undo.count()
    drag(qtbot, w.view, start, end, steps=8)
    assert w.session.undo.count() == n0 + 1  # one stroke, one undo step
    # the footprint the mouse positions map to, in image pixels
    pts = [w.view._image_xy(start)]
    pts += [w.view._image_xy(QPoint(start.x() + (end.x() - start.x()) * i // 8,
                                    start.y() + (end.y() - start.y()) * i // 8)) for i in range(1, 9)]
    expect = np.zeros(layer.data.shape, bool)
    for a, b in zip(pts, pts[1:], strict=False):
        parsing_ops.disc_segment(expect.shape, a, b, 15, into=expect)
    assert expect.sum() > 1500
    assert (layer.data[expect] == 5).all()
    assert np.array_equal(layer.data[~expect], before[~expect])
    w.session.undo.undo()
    assert np.array_equal(layer.data, before)
    w.session.undo.redo()
    assert (layer.data[expect] == 5).all()


def test_brackets_size_the_brush_not_rotate_the_pose_and_eraser_keeps_its_size(ewindow, qtbot):
    w, tools = ewindow, ewindow.editing.tools
    w.editing.actions["tool_brush"].trigger()
    tools.set_size(20)
    pose = w.session.pose_layer().poses[0].xy.copy()
    w.view.setFocus()
    QTest.keyClick(w.view, Qt.Key.Key_BracketRight)
    assert tools.brush_size == 23 and w.editing.palette.brush_size.value() == 23
    QTest.keyClick(w.view, Qt.Key.Key_BracketLeft)
    assert tools.brush_size < 23
    assert np.array_equal(w.session.pose_layer().poses[0].xy, pose)
    w.editing.actions["tool_eraser"].trigger()
    tools.set_size(300 + 50)
    assert tools.eraser_size == 300 and tools.brush_size < 23
    tools.set_size(0)
    assert tools.eraser_size == 1


def test_fill_contiguous_toggle_and_preserve_other_labels(ewindow):
    w, tools = ewindow, ewindow.editing.tools
    layer = parsing(w)
    data = layer.data
    bg_components = __import__("cv2").connectedComponents((data == 0).astype(np.uint8), connectivity=4)[0] - 1
    assert bg_components >= 2, "the sample's background is split by the person"
    before = data.copy()
    ys, xs = np.nonzero(before == 0)
    x, y = int(xs[0]), int(ys[0])
    w.editing.actions["tool_fill"].trigger()
    tools.set_label(5)
    w.editing.palette.contiguous.setChecked(True)
    tools.press(x + 0.5, y + 0.5)
    tools.release()
    region = (layer.data == 5) & (before != 5)
    assert region.any() and region.sum() < (before == 0).sum()
    w.session.undo.undo()
    assert np.array_equal(layer.data, before)
    w.editing.palette.contiguous.setChecked(False)
    tools.press(x + 0.5, y + 0.5)
    assert ((layer.data == 5) == ((before == 0) | (before == 5))).all()
    w.session.undo.undo()
    # preserve: only over background -> a fill on the upper clothes does nothing
    w.editing.palette.protect.setCurrentIndex(w.editing.palette.protect.findData("background"))
    assert tools.protect == "background"
    ys, xs = np.nonzero(before == 3)
    n = w.session.undo.count()
    tools.press(float(xs[0]), float(ys[0]))
    assert w.session.undo.count() == n and np.array_equal(layer.data, before)
    # a brush stroke across the person with "background only" leaves the person intact
    w.editing.actions["tool_brush"].trigger()
    tools.set_size(40)
    tools.press(20, 150)
    for x in range(20, 240, 10):
        tools.move(x, 150)
    tools.release()
    assert (layer.data[before != 0] == before[before != 0]).all()
    assert ((layer.data == 5) & (before == 0)).any()


def test_eyedropper_replace_and_lasso(ewindow):
    w, tools = ewindow, ewindow.editing.tools
    layer = parsing(w)
    before = layer.data.copy()
    ys, xs = np.nonzero(before == 4)  # pants
    w.editing.actions["tool_eyedropper"].trigger()
    tools.press(float(xs[0]), float(ys[0]))
    assert tools.label == 4 and w.editing.palette.list.currentRow() == 4
    tools.set_label(5)
    w.editing.actions["tool_replace"].trigger()
    tools.press(float(xs[0]), float(ys[0]))
    assert not (layer.data == 4).any() and ((layer.data == 5) == (before == 4)).all()
    w.session.undo.undo()
    w.editing.actions["tool_lasso"].trigger()
    w.editing.palette.protect.setCurrentIndex(0)
    tools.press(10, 10)
    for p in [(50, 10), (50, 50), (10, 50)]:
        tools.move(*p)
    tools.release()
    assert (layer.data[11:50, 11:50] == 5).all()


def test_mirror_labels_from_the_menu_swaps_arms_and_legs_and_undoes(ewindow):
    w = ewindow
    layer = parsing(w)
    before = layer.data.copy()
    ls = labels.get(layer.label_set)
    la, ra, ll, rl = (ls.index(n) for n in ("left arm", "right arm", "left leg", "right leg"))
    assert (before == la).any() and (before == ra).any()
    w.editing.actions["mirror_labels"].trigger()
    flipped = before[:, ::-1]
    assert np.array_equal(layer.data == ra, flipped == la)
    assert np.array_equal(layer.data == la, flipped == ra)
    assert np.array_equal(layer.data == rl, flipped == ll)
    assert np.array_equal(layer.data == 3, flipped == 3)
    assert w.session.undo.undoText() == "Mirror labels"
    w.session.undo.undo()
    assert np.array_equal(layer.data, before)


def test_convert_label_set_and_opacity_are_undoable(ewindow):
    w, pal = ewindow, ewindow.editing.palette
    layer = parsing(w)
    before = layer.data.copy()
    assert pal.convert("lip20")
    assert layer.label_set == "lip20" and pal.list.count() == 20
    assert (layer.data == labels.get("lip20").index("pants")).sum() == (before == 4).sum()
    w.session.undo.undo()
    assert layer.label_set == "spt10" and np.array_equal(layer.data, before)
    assert pal.list.count() == 10
    pal.opacity.setValue(20)
    assert abs(layer.opacity - 0.2) < 1e-6
    w.session.undo.undo()
    assert layer.opacity != 0.2


def test_tools_refuse_hidden_and_locked_layers(ewindow):
    w, tools = ewindow, ewindow.editing.tools
    layer = parsing(w)
    before = layer.data.copy()
    w.editing.actions["tool_brush"].trigger()
    for prop in ("visible", "locked"):
        setattr(layer, prop, prop == "locked")
        tools.press(100, 100)
        tools.move(120, 120)
        tools.release()
        assert np.array_equal(layer.data, before) and ("hidden" if prop == "visible" else "locked") in w.last_error
        setattr(layer, prop, prop != "locked")


def test_space_still_pans_while_a_tool_is_on(ewindow, qtbot):
    w = ewindow
    w.editing.actions["tool_brush"].trigger()
    layer = parsing(w)
    before = layer.data.copy()
    w.view.set_zoom(4.0)
    w.view.setFocus()
    QTest.keyPress(w.view, Qt.Key.Key_Space)
    h0 = w.view.horizontalScrollBar().value()
    drag(qtbot, w.view, QPoint(300, 300), QPoint(200, 300))
    QTest.keyRelease(w.view, Qt.Key.Key_Space)
    assert np.array_equal(layer.data, before) and w.view.horizontalScrollBar().value() != h0


def test_stroke_repaints_through_a_stand_in_and_the_scene_catches_up_on_release(ewindow, qtbot):
    from PySide6.QtGui import QImage

    w, tools = ewindow, ewindow.editing.tools
    layer = parsing(w)
    item = w.scene.items_by_id[layer.id]
    w.editing.actions["tool_brush"].trigger()
    tools.set_label(5)
    tools.set_size(20)
    tools.press(40, 40)
    tools.move(80, 60)
    assert tools._live is not None and not item.isVisible() and tools._live.isVisible()
    live = tools._live.image.convertToFormat(QImage.Format.Format_RGBA8888)
    assert live.pixelColor(60, 50).getRgb()[:3] == labels.get("spt10").palette[5]
    tools.release()
    assert tools._live is None and item.isVisible()
    img = item.pixmap().toImage().convertToFormat(QImage.Format.Format_RGBA8888)
    assert img.pixelColor(60, 50).getRgb()[:3] == labels.get("spt10").palette[5]


def test_brush_outline_follows_the_mouse_at_the_tool_size(ewindow, qtbot):
    w, tools = ewindow, ewindow.editing.tools
    w.editing.actions["tool_eraser"].trigger()
    tools.set_size(30)
    QTest.mouseMove(w.view.viewport(), image_point(w, 100, 120))
    item = tools._outline
    assert item is not None and item.isVisible()
    assert abs(item.rect().width() - 30) < 1e-6
    x, y = w.view._image_xy(image_point(w, 100, 120))
    assert abs(item.rect().center().x() - 0.5 - x) < 1e-6 and abs(item.rect().center().y() - 0.5 - y) < 1e-6
    w.editing.actions["tool_fill"].trigger()
    assert not item.isVisible()
