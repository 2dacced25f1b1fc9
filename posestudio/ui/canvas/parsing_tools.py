"""Parsing-map tools on the canvas: brush, eraser (its own size), fill, lasso,
eyedropper and replace-label, plus fixed-width pen/eraser for face edge maps.

The tools sit on the canvas view as an event filter: while a tool is active
its left-button presses/drags/releases are handled here; everything else
(Space+drag or middle-button pan, zoom, posing when no tool is active) stays
the canvas's. A brush stroke paints live and is pushed on release as ONE
``Paint`` record (``core.parsing_ops``), so one Undo restores the exact
previous pixels. During a stroke only the dirty rectangle of the layer's
pixmap is redrawn (not the whole label map), which keeps one mouse move
within its budget on a 1024x1024 map (docs/PERFORMANCE.md, "Editing tools").
``[`` and ``]`` change the active tool's size while a parsing tool is on.
"""

from __future__ import annotations

from collections import deque

import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsPathItem

from posestudio.core import parsing_ops as ops
from posestudio.ui.canvas.render import layer_rgba, qimage

TOOLS = ("none", "brush", "eraser", "fill", "lasso", "eyedropper", "replace", "edge_pen", "edge_eraser")
EDGE_WIDTH = 3  # the face edge pen draws at a fixed width, like the sketches SCM-Net was trained on
BRACKET_STEP = 0.15  # [ and ] scale the size by 15 % (at least 1 px)


class ParsingTools(QObject):
    """Tool state + canvas handling. ``label_picked(int)`` fires on the eyedropper;
    ``stroke_finished(layer_id)`` after any tool changed a layer (live previews hook here);
    ``changed()`` when the tool, sizes or label changed (the palette follows)."""

    label_picked = Signal(int)
    stroke_finished = Signal(str)
    changed = Signal()

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.view = window.view
        self.tool = "none"
        self.brush_size = 12
        self.eraser_size = 24
        self.label = 1
        self.protect: str | int | None = None  # "preserve other labels"
        self.contiguous = True
        self.edge_target = None  # callable -> EdgeLayer for the face pen (set by the face panel)
        self._stroke: ops.StrokeBuilder | None = None
        self._stroke_layer = None
        self._lasso: list[tuple[float, float]] = []
        self._lasso_item: QGraphicsPathItem | None = None
        self._live: _LiveLayer | None = None
        self._outline: QGraphicsEllipseItem | None = None
        self.last_move_ms: deque[float] = deque(maxlen=1000)  # per-move cost of the last moves (benchmark)
        self._viewport = self.view.viewport()
        self._viewport.installEventFilter(self)
        self.view.installEventFilter(self)

    # -- state ---------------------------------------------------------------------------
    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}; tools: {', '.join(TOOLS)}")
        if self._stroke is not None:
            self.cancel()
        self.tool = tool
        if tool not in ("brush", "eraser", "edge_pen", "edge_eraser"):
            self.hide_outline()
        cursor = Qt.CursorShape.ArrowCursor if tool == "none" else Qt.CursorShape.CrossCursor
        self.view.viewport().setCursor(cursor)
        self.changed.emit()

    @property
    def size(self) -> int:
        if self.tool in ("edge_pen", "edge_eraser"):
            return EDGE_WIDTH
        return self.eraser_size if self.tool == "eraser" else self.brush_size

    def set_size(self, size: float) -> None:
        """Size of the active tool (the eraser keeps its own), clamped to 1..300 px."""
        size = ops.clamp_size(size)
        if self.tool == "eraser":
            self.eraser_size = size
        elif self.tool not in ("edge_pen", "edge_eraser"):
            self.brush_size = size
        self.changed.emit()

    def grow(self, sign: int) -> None:
        s = self.size
        self.set_size(s + sign * max(1, round(s * BRACKET_STEP)))

    def set_label(self, label: int) -> None:
        self.label = int(label)
        self.changed.emit()

    def target(self):
        """The layer the active tool edits (a parsing layer, or the face edge layer)."""
        if self.tool in ("edge_pen", "edge_eraser"):
            return self.edge_target() if self.edge_target is not None else None
        return self.window.paint_target()

    # -- events ----------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if self.tool == "none":
            return False
        try:
            return self._filter(obj, event)
        except RuntimeError:  # the window is being torn down
            return False

    def _filter(self, obj, event) -> bool:
        t = event.type()
        if t == QEvent.Type.ShortcutOverride and event.key() in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
            event.accept()  # [ and ] size the brush here, not rotate the selection
            return True
        if t == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight):
            self.grow(1 if event.key() == Qt.Key.Key_BracketRight else -1)
            return True
        if t == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape and self._stroke is not None:
            self.cancel()
            return True
        if obj is not self._viewport:
            return False
        if getattr(self.view, "_space", False) or getattr(self.view, "_pan", None) is not None:
            return False  # Space+drag pans: the canvas's
        if t == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self.press(*self._image_xy(event))
            return True
        if t == QEvent.Type.MouseMove:
            xy = self._image_xy(event)
            self.show_outline(*xy)
            if self._stroke is not None or self._lasso:
                self.move(*xy)
                self.view.cursor_moved.emit(*xy)  # the status bar keeps following while painting
                return True
            return False
        if t == QEvent.Type.Leave:
            self.hide_outline()
            return False
        if t == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            self.release()
            return True
        return False

    def _image_xy(self, event) -> tuple[float, float]:
        from posestudio.ui.canvas.skeleton_items import from_scene

        return from_scene(self.view.mapToScene(event.position().toPoint()))

    # -- tool actions (image coordinates; tests call these directly too) --------------------------
    def _refuse(self, layer) -> bool:
        if layer is None:
            self.window.show_error("no layer to paint on: import a parsing map or predict one first")
            return True
        if layer.locked:
            self.window.show_error(f"layer {layer.name!r} is locked; unlock it to paint")
            return True
        if not self.window.session.doc.layers.is_shown(layer):
            self.window.show_error(f"layer {layer.name!r} is hidden; show it to paint")
            return True
        return False

    def press(self, x: float, y: float) -> None:
        layer = self.target()
        if self.tool == "eyedropper":
            if layer is not None and (v := ops.eyedropper(layer, x, y)) is not None:
                self.set_label(v)
                self.label_picked.emit(v)
            return
        if self._refuse(layer):
            return
        if self.tool in ("brush", "eraser", "edge_pen", "edge_eraser"):
            value = {"brush": self.label, "eraser": 0, "edge_pen": 255, "edge_eraser": 0}[self.tool]
            protect = self.protect if self.tool in ("brush", "eraser") else None
            self._stroke = ops.StrokeBuilder(layer, value, self.size, protect)
            self._stroke_layer = layer
            self.move(x, y)
        elif self.tool == "lasso":
            self._lasso = [(x, y)]
            self._show_lasso()
        elif self.tool == "fill":
            self._push(ops.fill(layer, int(np.floor(x)), int(np.floor(y)), self.label, self.contiguous,
                                self.protect))
        elif self.tool == "replace":
            old = ops.eyedropper(layer, x, y)
            if old is not None and old != self.label:
                self._push(ops.replace_label(layer, old, self.label))

    def move(self, x: float, y: float) -> None:
        import time

        if self._stroke is not None:
            t0 = time.perf_counter()
            bbox = self._stroke.to(x, y)
            if bbox is not None:
                self.repaint_rect(self._stroke_layer, bbox)
            self.last_move_ms.append((time.perf_counter() - t0) * 1000)
        elif self._lasso:
            self._lasso.append((x, y))
            self._show_lasso()

    def release(self) -> None:
        if self._stroke is not None:
            stroke, layer, self._stroke = self._stroke, self._stroke_layer, None
            rec = stroke.record({"brush": "Brush", "eraser": "Erase", "edge_pen": "Draw edges",
                                 "edge_eraser": "Erase edges"}.get(self.tool, "Paint"))
            layer.data_changed(bbox=rec.bbox if rec is not None else None)  # the scene's item catches up once
            self._end_live()
            if rec is not None:
                self.window.session.push(rec, True)
                self.stroke_finished.emit(layer.id)
        elif self._lasso:
            pts, self._lasso = self._lasso, []
            self._hide_lasso()
            layer = self.target()
            if layer is not None and not layer.locked:
                self._push(ops.polygon_fill(layer, pts, self.label, self.protect))

    def cancel(self) -> None:
        if self._stroke is not None:
            self._stroke.cancel()
            self._stroke_layer.data_changed(bbox=None)
        self._end_live()
        self._stroke = None
        self._lasso = []
        self._hide_lasso()

    def _push(self, rec) -> None:
        if rec is not None and self.window.session.push(rec):
            self.stroke_finished.emit(rec.layer_id)

    # -- drawing ---------------------------------------------------------------------------------
    def repaint_rect(self, layer, bbox) -> None:
        """Redraw only ``bbox`` (y0, x0, y1, x1) of the layer on the canvas.

        While a stroke runs the layer is shown by a stand-in item that owns a QImage of
        it: each move rewrites the dirty rectangle of that image and invalidates only that
        rectangle, so the view repaints a brush-sized region instead of re-rendering and
        re-scaling the whole label map."""
        live = self._live
        if live is None or live.layer is not layer:
            self._end_live()
            item = self.window.scene.items_by_id.get(layer.id)
            if item is None:
                return
            live = self._live = _LiveLayer(layer, item)
            self.window.scene.addItem(live)
        live.redraw(bbox)

    def _end_live(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.finish(self.window.scene)

    def show_outline(self, x: float, y: float) -> None:
        """The brush footprint under the mouse: a circle of the active tool's size."""
        if self.tool not in ("brush", "eraser", "edge_pen", "edge_eraser"):
            return
        from posestudio.ui.canvas.skeleton_items import to_scene

        item = self._outline
        try:
            alive = item is not None and item.scene() is self.window.scene
        except RuntimeError:  # deleted with the previous document's scene items
            alive = False
        if not alive:
            item = self._outline = QGraphicsEllipseItem()
            pen = QPen(QColor(255, 255, 255, 220), 1)
            pen.setCosmetic(True)
            item.setPen(pen)
            item.setZValue(1e6)
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.window.scene.addItem(item)
        r = self.size / 2
        c = to_scene(x, y)
        item.setRect(c.x() - r, c.y() - r, 2 * r, 2 * r)
        item.show()

    def hide_outline(self) -> None:
        try:
            if self._outline is not None:
                self._outline.hide()
        except RuntimeError:
            self._outline = None

    def _show_lasso(self) -> None:
        if self._lasso_item is None or self._lasso_item.scene() is None:
            self._lasso_item = QGraphicsPathItem()
            pen = QPen(QColor(255, 255, 255), 1.5, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            self._lasso_item.setPen(pen)
            self._lasso_item.setZValue(1e6)
            self.window.scene.addItem(self._lasso_item)
        from posestudio.ui.canvas.skeleton_items import to_scene

        path = QPainterPath(to_scene(*self._lasso[0]))
        for x, y in self._lasso[1:]:
            path.lineTo(to_scene(x, y))
        self._lasso_item.setPath(path)

    def _hide_lasso(self) -> None:
        if self._lasso_item is not None:
            try:
                if self._lasso_item.scene() is not None:
                    self.window.scene.removeItem(self._lasso_item)
            except RuntimeError:  # the scene was cleared with a new document
                pass
            self._lasso_item = None


class _LiveLayer(QGraphicsItem):
    """Stands in for a raster layer's pixmap item during a stroke (same place, z and
    opacity): holds the layer as a QImage and paints only the exposed part of it."""

    def __init__(self, layer, item):
        super().__init__()
        self.layer, self.item = layer, item
        rgba = layer_rgba(layer)
        if rgba.shape[2] == 3:
            rgba = np.dstack([rgba, np.full(rgba.shape[:2], 255, np.uint8)])
        self.image = qimage(rgba)
        self.setPos(item.pos())
        self.setTransform(item.transform())
        self.setZValue(item.zValue())
        self.setOpacity(item.opacity())
        self.setVisible(item.isVisible())
        self.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        self.smooth = item.transformationMode() == Qt.TransformationMode.SmoothTransformation
        item.hide()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, self.image.width(), self.image.height())

    def paint(self, painter, option, widget=None) -> None:
        r = option.exposedRect.toAlignedRect().intersected(self.image.rect())
        if r.isEmpty():
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.smooth)
        painter.drawImage(r, self.image, r)

    def redraw(self, bbox) -> None:
        y0, x0, y1, x1 = bbox
        rgba = layer_rgba(_SubLayer(self.layer, bbox))
        if rgba.shape[2] == 3:
            rgba = np.dstack([rgba, np.full(rgba.shape[:2], 255, np.uint8)])
        p = QPainter(self.image)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        p.drawImage(x0, y0, qimage(rgba))
        p.end()
        # one pixel of margin: smooth scaling reaches into the neighbours
        self.update(QRectF(x0 - 1, y0 - 1, x1 - x0 + 2, y1 - y0 + 2))

    def finish(self, scene) -> None:
        try:
            self.item.setVisible(scene.doc.layers.is_shown(self.layer))
            scene.removeItem(self)
        except (RuntimeError, KeyError):  # the scene was cleared with a new document
            pass


class _SubLayer:
    """A window onto a raster layer with the same type, so ``layer_rgba`` renders just that part."""

    def __new__(cls, layer, bbox):
        y0, x0, y1, x1 = bbox
        part = object.__new__(type(layer))
        part.__dict__.update(layer.__dict__)
        part.data = layer.data[y0:y1, x0:x1]
        return part
