"""At the default 1280x800: every layer of the sample in view, docks resizable, full tab
titles; the layer being painted drawn above a result; pictures fitted to the view, also
after the window grows."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar

from posestudio.core.layers import ResultLayer


def test_layers_dock_shows_every_layer_and_can_grow_at_1280x800(editing_window, qtbot):
    w = editing_window
    w.resize(1280, 800)
    w._install_editing()  # what the first show runs (arranges the docks once they all exist)
    qtbot.wait(50)
    tree = w.layers_panel.tree
    n = w.layers_panel.model.rowCount()
    assert n == 4
    last = tree.visualRect(w.layers_panel.model.index(n - 1, 2))
    assert tree.viewport().rect().contains(last), "the last layer is cut off"
    dock, below = w.docks["layers"], w.docks["generator"]
    before = dock.height()
    w.resizeDocks([dock, below], [before + 100, below.height() - 100], Qt.Orientation.Vertical)
    qtbot.wait(20)
    assert dock.height() >= before + 90, "the Layers dock could not be enlarged"
    for bar in w.findChildren(QTabBar):
        if bar.isVisible():
            for i in range(bar.count()):
                text = bar.tabText(i)
                assert bar.tabRect(i).width() >= bar.fontMetrics().horizontalAdvance(text), text


def test_painted_layer_is_drawn_above_a_result_while_painting(editing_window):
    w = editing_window
    doc = w.session.doc
    image = doc.layers.first("image").data
    doc.layers.append(ResultLayer("Result", np.ascontiguousarray(image[:, ::-1, :3]), model="puppet"))
    parsing = doc.layers.first("parsing")
    result = doc.layers.first("result")
    z = lambda layer: w.scene.items_by_id[layer.id].zValue()  # noqa: E731
    assert z(parsing) < z(result)
    w.editing.actions["tool_brush"].trigger()
    assert z(parsing) > z(result)
    assert z(parsing) < w.scene.skeleton(doc.pose_layer().id).zValue()  # joints stay on top
    w.editing.actions["tool_brush"].trigger()  # off again
    assert z(parsing) < z(result)
    w.actions["paint_labels"].setChecked(True)  # the simple brush does the same
    assert z(parsing) > z(result)
    w.actions["paint_labels"].setChecked(False)
    assert z(parsing) < z(result)


def test_picture_stays_fitted_when_the_window_grows(window, qtbot):
    view = window.view
    window.resize(900, 600)
    qtbot.wait(30)
    view.fit()
    small = view.zoom
    window.resize(1600, 1000)  # as maximizing does
    qtbot.wait(50)
    rect = view.mapFromScene(window.scene.image_rect()).boundingRect()
    assert view.zoom > small * 1.2
    assert view.viewport().rect().contains(rect)
    view.zoom_by(2.0)  # once the artist zooms, a resize leaves the zoom alone
    z = view.zoom
    window.resize(1500, 950)
    qtbot.wait(30)
    assert abs(view.zoom - z) < 1e-9
