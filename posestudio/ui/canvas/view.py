"""The canvas view: zoom (wheel, fit, 1:1), pan (Space+drag, middle button),
a checkerboard under transparency, and the posing tools.

Posing: drag a joint (moves the selected joints of that person; with the bone
lock, a single joint swings about its parent at fixed length); drag a bone
(rotates the chain below it about its parent); Ctrl+drag rotates and Alt+drag
scales the selection about its centre; drag on empty canvas for a rubber band
(Shift adds). The drag is applied live and pushed as ONE undo record on release.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsView, QRubberBand

from posestudio.core.edits import Edit
from posestudio.ui.canvas.brush import Stroke
from posestudio.ui.canvas.extras_items import ExtrasItem
from posestudio.ui.canvas.pose_drag import PoseDragMixin
from posestudio.ui.canvas.scene import CanvasScene
from posestudio.ui.canvas.skeleton_items import BoneItem, JointItem, from_scene

MIN_ZOOM, MAX_ZOOM = 0.05, 64.0


def _checker(size: int = 8) -> QPixmap:
    pm = QPixmap(2 * size, 2 * size)
    pm.fill(QColor(204, 204, 204))
    p = QPainter(pm)
    p.fillRect(0, 0, size, size, QColor(153, 153, 153))
    p.fillRect(size, size, size, size, QColor(153, 153, 153))
    p.end()
    return pm


class CanvasView(PoseDragMixin, QGraphicsView):
    """``pose_dragged`` fires on every live change of a drag; ``zoom_changed`` with the scale;
    ``files_dropped`` with local paths dropped on the canvas; ``cursor_moved`` with image x, y."""

    pose_dragged = Signal()
    zoom_changed = Signal(float)
    files_dropped = Signal(list)
    cursor_moved = Signal(float, float)

    def __init__(self, scene: CanvasScene, parent=None):
        super().__init__(scene, parent)
        self.canvas = scene
        self.push_edit: Callable[[Edit, bool], None] = lambda edit, applied: None
        self.bone_lock = False
        # parsing brush: on when ``paint_layer`` returns a layer to paint
        self.paint_mode = False
        self.brush_label = 1
        self.brush_radius = 4.0
        self.paint_layer: Callable[[], object] = lambda: None
        self.refuse: Callable[[str], None] = lambda message: None
        self._stroke: Stroke | None = None
        self._checker = QBrush(_checker())
        self._drag: dict | None = None
        self._pan: QPointF | None = None
        self._space = False
        self._band: QRubberBand | None = None
        self._band_origin = None
        self.fitted = True  # the whole picture is shown; resizing the view keeps it so until a zoom
        self._fitting = False
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip("")
        self.setBackgroundBrush(QColor(48, 48, 52))
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        # the viewport paints every pixel itself (background brush, then the scene): Qt need
        # not repaint the window behind it on each update
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # -- zoom --------------------------------------------------------------------------
    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, z: float, anchor_under_mouse: bool = False) -> None:
        self.fitted = False  # fit() sets it again
        z = float(np.clip(z, MIN_ZOOM, MAX_ZOOM))
        old = self.transformationAnchor()
        if not anchor_under_mouse:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setTransform(QTransform.fromScale(z, z))
        self.setTransformationAnchor(old)
        self.zoom_changed.emit(z)

    def zoom_by(self, factor: float, anchor_under_mouse: bool = False) -> None:
        self.set_zoom(self.zoom * factor, anchor_under_mouse)

    def fit(self) -> None:
        rect = self.canvas.image_rect()
        if rect.isEmpty():
            return
        # the viewport's size without scroll bars: a fit that measured the current viewport
        # could make the bars appear, shrink the viewport, fit again, hide them, and so on
        # for ever (resizeEvent re-fits) -- the zoom must not depend on the bars
        size = self.maximumViewportSize()
        vp = QRect(0, 0, size.width(), size.height()).adjusted(16, 16, -16, -16)
        z = min(vp.width() / rect.width(), vp.height() / rect.height())
        self._fitting = True
        try:
            self.set_zoom(z)
            self.centerOn(rect.center())
        finally:
            self._fitting = False
        self.fitted = True

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.fitted and not self._fitting:  # docks appearing, maximizing: the picture stays whole in view
            self.fit()

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            # keep the image point under the mouse where it is
            pos = event.position().toPoint()
            before = self.mapToScene(pos)
            self.zoom_by(1.25**steps)
            delta = self.mapFromScene(before) - pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        event.accept()

    # -- painting ----------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        super().drawBackground(painter, rect)
        img = self.canvas.image_rect()
        if img.isEmpty():
            return
        brush = QBrush(self._checker)
        # checks stay 8 screen pixels at any zoom
        brush.setTransform(QTransform.fromScale(1 / self.zoom, 1 / self.zoom))
        painter.fillRect(img.intersected(rect), brush)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        img = self.canvas.image_rect()
        if img.isEmpty():
            return
        pen = QPen(QColor(0, 0, 0, 160), 1)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(img)

    # -- helpers -------------------------------------------------------------------------
    def _image_xy(self, pos) -> tuple[float, float]:
        return from_scene(self.mapToScene(pos))

    def _layer(self, layer_id: str):
        return self.canvas.doc.layers.by_id(layer_id)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                event.button() == Qt.MouseButton.LeftButton and self._space):
            self._pan = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if event.button() != Qt.MouseButton.LeftButton or self.canvas.doc is None:
            super().mousePressEvent(event)
            return
        mods = event.modifiers()
        item = self.itemAt(event.position().toPoint())
        now = self._image_xy(event.position().toPoint())
        if self.paint_mode:
            layer = self.paint_layer()
            if layer is None:
                self.refuse("no parsing layer to paint on: import or add one first")
            elif layer.locked:
                self.refuse(f"layer {layer.name!r} is locked; unlock it to paint")
            elif not self.canvas.doc.layers.is_shown(layer):
                self.refuse(f"layer {layer.name!r} is hidden; show it to paint")
            else:
                self._stroke = Stroke(layer, self.brush_label, self.brush_radius)
                self._stroke.to(*now)
            event.accept()
            return
        if isinstance(item, JointItem) and item.flags() & item.GraphicsItemFlag.ItemIsSelectable:
            if mods & Qt.KeyboardModifier.ShiftModifier:
                item.setSelected(not item.isSelected())
                event.accept()
                return
            if not item.isSelected():
                self.canvas.clearSelection()
                item.setSelected(True)
            self._begin_drag(item.layer_id, item.person, now, mods, joint=item.joint)
            event.accept()
            return
        if isinstance(item, ExtrasItem) and not item.layer.locked:
            k = item.nearest(self.mapToScene(event.position().toPoint()))
            if k is not None:
                start = item.layer.poses[item.person].copy()
                self._drag = {"layer": item.layer, "person": item.person, "start": start, "press": now,
                              "mode": "extra", "part": item.part, "point": k, "joints": [], "pivot": None,
                              "pose": start}
                event.accept()
                return
        if isinstance(item, BoneItem) and not self._layer(item.layer_id).locked:
            self._begin_drag(item.layer_id, item.person, now, mods, bone=item)
            event.accept()
            return
        if isinstance(item, (JointItem, BoneItem)):  # a locked layer's skeleton: say why nothing moves
            self.refuse(f"layer {self._layer(item.layer_id).name!r} is locked; unlock it to pose")
            event.accept()
            return
        # rubber band
        if not mods & Qt.KeyboardModifier.ShiftModifier:
            self.canvas.clearSelection()
        self._band_origin = event.position().toPoint()
        if self._band is None:
            self._band = QRubberBand(QRubberBand.Shape.Rectangle, self.viewport())
        self._band.setGeometry(QRect(self._band_origin, QSize()))
        self._band.show()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        pos = event.position().toPoint()
        if self._pan is not None:
            delta = event.position() - self._pan
            self._pan = event.position()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
            event.accept()
            return
        now = self._image_xy(pos)
        self.cursor_moved.emit(*now)
        if self._stroke is not None:
            self._stroke.to(*now)
            event.accept()
            return
        if self._drag is not None:
            self.drag_to(now)
            event.accept()
            return
        if self._band is not None and self._band.isVisible():
            self._band.setGeometry(QRect(self._band_origin, pos).normalized())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        if self._stroke is not None and event.button() == Qt.MouseButton.LeftButton:
            stroke, self._stroke = self._stroke, None
            record = stroke.record()
            if record is not None:
                self.push_edit(record, True)
            event.accept()
            return
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self.finish_drag()
            event.accept()
            return
        if self._band is not None and self._band.isVisible():
            self._band.hide()
            r = self.mapToScene(self._band.geometry()).boundingRect()
            for item in self.canvas.items(r):
                if isinstance(item, JointItem) and r.contains(item.scenePos()) and item.isVisible():
                    if item.flags() & item.GraphicsItemFlag.ItemIsSelectable:
                        item.setSelected(True)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in self.NUDGE and self._drag is None:
            step = 10 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
            dx, dy = self.NUDGE[event.key()]
            if self.nudge(dx * step, dy * step):
                event.accept()
                return
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and (self._drag is not None or self._stroke is not None):
            if self._stroke is not None:
                self._stroke.cancel()
                self._stroke = None
            self.cancel_drag()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    # -- drops ---------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
            event.acceptProposedAction()
            if paths:
                self.files_dropped.emit(paths)
        else:
            super().dropEvent(event)
