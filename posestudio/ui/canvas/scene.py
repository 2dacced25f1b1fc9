"""The scene: one graphics item per layer, kept in step with the document's
``LayerList`` events (order, eye, opacity, solo, pixels, poses)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsScene

from posestudio.core.document import Document
from posestudio.core.layers import Event, Layer, PoseLayer
from posestudio.ui.canvas.render import layer_qimage, qimage, region_rgba
from posestudio.ui.canvas.skeleton_items import JointItem, PivotItem, SkeletonItem, to_scene

MARGIN = 0.5  # scene margin around the image, as a fraction of its size: room for joints outside


class CanvasScene(QGraphicsScene):
    """``layers_rendered`` fires after the items changed (for thumbnails, tests)."""

    layers_rendered = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc: Document | None = None
        self.items_by_id: dict[str, QGraphicsItem] = {}
        self.raised: str | None = None  # the layer being painted: drawn above the other pictures
        self.pivot: PivotItem | None = None
        self.selectionChanged.connect(self.update_pivot)
        self.selectionChanged.connect(self._show_selected_extras)

    # -- document ------------------------------------------------------------------
    size_changed = Signal()

    def set_document(self, doc: Document) -> None:
        if self.doc is not None:
            self.doc.layers.events.disconnect(self._on_layers)
            self.doc.events.disconnect(self._on_doc)
        self.pivot = None  # clear() deletes it and may emit selectionChanged meanwhile
        self.items_by_id = {}  # likewise the skeletons, whose hand/face items follow the selection
        self.clear()
        self.pivot = PivotItem()
        self.addItem(self.pivot)
        self.pivot.hide()
        self.doc = doc
        self._fit_rect()
        doc.events.connect(self._on_doc)
        for layer in doc.layers:
            self._add(layer)
        self._restack()
        doc.layers.events.connect(self._on_layers)
        self.layers_rendered.emit()

    def _fit_rect(self) -> None:
        """The image with a margin, grown to hold every joint: a joint dragged or typed far
        outside the picture can still be scrolled to and selected."""
        w, h = self.doc.width, self.doc.height
        rect = QRectF(-MARGIN * w, -MARGIN * h, (1 + 2 * MARGIN) * w, (1 + 2 * MARGIN) * h)
        for layer in self.doc.layers.of_kind("pose"):
            for pose in layer.poses:
                placed = pose.visible | pose.xy.any(axis=1)
                if placed.any():
                    (x0, y0), (x1, y1) = pose.xy[placed].min(0), pose.xy[placed].max(0)
                    pad = 0.1 * max(w, h)
                    rect = rect.united(QRectF(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad))
        # in coarse steps: a joint dragged near the edge must not resize the scene (and
        # repaint the scroll bars and the window around them) on every mouse move
        import math

        step = 0.25 * max(w, h)
        x0, y0 = math.floor(rect.left() / step) * step, math.floor(rect.top() / step) * step
        x1, y1 = math.ceil(rect.right() / step) * step, math.ceil(rect.bottom() / step) * step
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        if rect != self.sceneRect():
            self.setSceneRect(rect)

    def _on_doc(self, ev: Event) -> None:
        if ev.type == "size":
            self._fit_rect()
            self.size_changed.emit()

    def image_rect(self) -> QRectF:
        return QRectF(0, 0, self.doc.width, self.doc.height) if self.doc else QRectF()

    def _add(self, layer: Layer) -> None:
        if isinstance(layer, PoseLayer):
            item: QGraphicsItem = SkeletonItem(layer)
        else:
            img = layer_qimage(layer)
            item = QGraphicsPixmapItem(QPixmap.fromImage(img))
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
            # the scaled picture is cached at screen resolution: dragging a joint
            # repaints by copying it, not by rescaling the image
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.addItem(item)
        self.items_by_id[layer.id] = item
        self._style(layer)

    def _style(self, layer: Layer) -> None:
        item = self.items_by_id[layer.id]
        item.setVisible(self.doc.layers.is_shown(layer))
        item.setOpacity(layer.opacity)
        if isinstance(item, SkeletonItem):
            # a locked pose layer cannot be posed
            for j in item.joint_items():
                j.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, not layer.locked)
                if layer.locked:
                    j.setSelected(False)

    def _restack(self) -> None:
        for i, layer in enumerate(self.doc.layers):
            item = self.items_by_id.get(layer.id)
            if item is not None:
                z = i * 10 + (1000 if isinstance(item, SkeletonItem) else 0)
                item.setZValue(990 if layer.id == self.raised else z)

    def raise_layer(self, layer_id: str | None) -> None:
        """Show ``layer_id`` above every other picture (under the skeletons) while it is
        painted, so strokes are never made blind under a result; None puts it back."""
        if layer_id != self.raised:
            self.raised = layer_id
            if self.doc is not None:
                self._restack()

    def _on_layers(self, ev: Event) -> None:
        if ev.type == "inserted":
            self._add(ev.layer)
            self._restack()
        elif ev.type == "removed":
            item = self.items_by_id.pop(ev.layer.id, None)
            if item is not None:
                self.removeItem(item)
        elif ev.type == "moved":
            self._restack()
        elif ev.type in ("changed", "solo"):
            for layer in self.doc.layers:
                self._style(layer)
        elif ev.type == "data":
            item = self.items_by_id.get(ev.layer.id)
            if isinstance(item, SkeletonItem):
                item.refresh(ev.info.get("person"), ev.info.get("joints"))
                self.update_pivot()
                self._fit_rect()
            elif isinstance(item, QGraphicsPixmapItem):
                self._redraw(item, ev.layer, ev.info.get("bbox"))
        self.layers_rendered.emit()

    def _redraw(self, item: QGraphicsPixmapItem, layer: Layer, bbox) -> None:
        """Redraw a raster layer's pixmap: only ``bbox`` (y0, x0, y1, x1) when given, so a
        brush stroke on a big label map converts a few pixels, not the whole map."""
        pm = item.pixmap()
        sub = None if bbox is None else region_rgba(layer, bbox)
        data = getattr(layer, "data", None)
        if sub is None or data is None or (pm.width(), pm.height()) != (data.shape[1], data.shape[0]) \
                or (sub.ndim == 3 and sub.shape[2] == 4) != pm.hasAlphaChannel():
            item.setPixmap(QPixmap.fromImage(layer_qimage(layer)))
            return
        painter = QPainter(pm)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        painter.drawImage(int(bbox[1]), int(bbox[0]), qimage(sub))
        painter.end()
        item.setPixmap(pm)

    def update_pivot(self) -> None:
        """Show the pivot at the centre of the selected joints when two or more are selected."""
        if self.pivot is None:
            return
        sel = self.selected_joints()
        if len(sel) < 2:
            self.pivot.hide()
            return
        import numpy as np

        from posestudio.ui.canvas import posing

        layer = self.doc.layers.by_id(sel[0].layer_id)
        joints = [j.joint for j in sel if j.layer_id == layer.id and j.person == sel[0].person]
        self.pivot.setPos(to_scene(*np.asarray(posing.pivot_of(layer.poses[sel[0].person], joints))))
        self.pivot.show()

    def _show_selected_extras(self) -> None:
        """A hand is drawn at any zoom while its wrist is selected, the face while a head joint is."""
        from posestudio.ui.canvas.extras_items import TRIGGERS

        chosen = {(j.layer_id, j.person, j.joint) for j in self.selected_joints()}
        for lid, item in self.items_by_id.items():
            if isinstance(item, SkeletonItem):
                for person, parts in enumerate(item.extras):
                    for part in parts:
                        part.set_forced(any((lid, person, j) in chosen for j in TRIGGERS[part.part]))

    # -- queries -------------------------------------------------------------------
    def skeleton(self, layer_id: str) -> SkeletonItem | None:
        item = self.items_by_id.get(layer_id)
        return item if isinstance(item, SkeletonItem) else None

    def joint_item(self, layer_id: str, person: int, joint: int) -> JointItem | None:
        sk = self.skeleton(layer_id)
        if sk is None or person >= len(sk.joints):
            return None
        return sk.joints[person][joint]

    def selected_joints(self) -> list[JointItem]:
        return [it for it in self.selectedItems() if isinstance(it, JointItem)]
