"""A Qt item model over the core ``LayerList`` (napari's pattern: the list has
no Qt; this adapter follows its events). Row 0 is the TOP layer, as in Krita's
and Photoshop's layer dockers. Columns: eye, lock, thumbnail + name.

The model never changes the document itself: renames, eye/lock toggles and
drag-reorders become edit records handed to ``push`` (the undo stack)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QByteArray, QMimeData, QModelIndex, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap

from posestudio.core import skeleton
from posestudio.core.document import Document
from posestudio.core.edits import Edit, LayerProps, MoveLayer
from posestudio.core.formats import skeleton_image
from posestudio.core.layers import Event, Layer, PoseLayer
from posestudio.ui import icons
from posestudio.ui.canvas.render import layer_rgba, qimage

EYE, LOCK, NAME = range(3)
MIME = "application/x-posestudio-layer-row"
THUMB = 40
LayerRole = Qt.ItemDataRole.UserRole + 1


def thumbnail(layer: Layer, size: tuple[int, int]) -> QPixmap:
    if isinstance(layer, PoseLayer):
        w, h = size
        rgb = skeleton_image.render(list(layer.poses), w, h, stick_width=max(2, w // 40), joint_radius=max(2, w // 50))
        img = qimage(rgb)
    else:
        rgba = layer_rgba(layer)
        img = qimage(rgba) if rgba is not None else QImage(8, 8, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(img.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                        Qt.TransformationMode.SmoothTransformation))


class LayerModel(QAbstractTableModel):
    def __init__(self, push: Callable[[Edit], bool], parent=None):
        super().__init__(parent)
        self.push = push
        self.mark_dirty: Callable[[], None] = lambda: None  # a change that is not an undo step
        self.doc: Document | None = None
        self._thumbs: dict[str, QPixmap] = {}
        # pixels and poses change many times a second while dragging or previewing:
        # thumbnails follow a few times a second, not on every event
        self._stale: set[str] = set()
        self._thumb_timer = QTimer(self)
        self._thumb_timer.setSingleShot(True)
        self._thumb_timer.setInterval(250)
        self._thumb_timer.timeout.connect(self._refresh_thumbs)

    def set_document(self, doc: Document) -> None:
        self.beginResetModel()
        if self.doc is not None:
            self.doc.layers.events.disconnect(self._on_event)
        self.doc = doc
        self._thumbs.clear()
        doc.layers.events.connect(self._on_event)
        self.endResetModel()

    # -- index <-> layer ---------------------------------------------------------------
    def layer_at(self, row: int) -> Layer:
        return self.doc.layers[len(self.doc.layers) - 1 - row]

    def row_of(self, layer: Layer | str) -> int:
        return len(self.doc.layers) - 1 - self.doc.layers.index(layer)

    # -- events --------------------------------------------------------------------------
    def _on_event(self, ev: Event) -> None:
        if ev.type in ("inserted", "removed", "moved"):
            self.beginResetModel()
            if ev.type == "removed":
                self._thumbs.pop(ev.layer.id, None)
            self.endResetModel()
            return
        if ev.type == "data" and ev.layer is not None:
            self._stale.add(ev.layer.id)
            if not self._thumb_timer.isActive():
                self._thumb_timer.start()
            return
        if ev.type == "solo":
            self.dataChanged.emit(self.index(0, EYE), self.index(self.rowCount() - 1, NAME))
            return
        if ev.layer is not None:
            row = self.row_of(ev.layer)
            self.dataChanged.emit(self.index(row, EYE), self.index(row, NAME))

    def _refresh_thumbs(self) -> None:
        stale, self._stale = self._stale, set()
        for lid in stale:
            self._thumbs.pop(lid, None)
            try:
                row = self.row_of(lid)
            except KeyError:
                continue
            self.dataChanged.emit(self.index(row, NAME), self.index(row, NAME))

    # -- model API ------------------------------------------------------------------------
    def rowCount(self, parent=None) -> int:
        return 0 if (parent is not None and parent.isValid()) or self.doc is None else len(self.doc.layers)

    def columnCount(self, parent=None) -> int:
        return 3

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        layer = self.layer_at(index.row())
        col = index.column()
        if role == LayerRole:
            return layer
        if col == EYE:
            if role == Qt.ItemDataRole.DecorationRole:
                if self.doc.layers.solo == layer.id:
                    return icons.icon("solo")
                return icons.icon("eye" if self.doc.layers.is_shown(layer) else "eye-off")
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Show or hide this layer (Alt+click: show only this layer)"
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return "visible" if layer.visible else "hidden"
        elif col == LOCK:
            if role == Qt.ItemDataRole.DecorationRole:
                return icons.icon("lock" if layer.locked else "unlock")
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Locked: cannot be edited or deleted" if layer.locked else "Lock this layer"
        elif col == NAME:
            if role == Qt.ItemDataRole.DisplayRole and getattr(layer, "stale", False):
                return f"{layer.name} — out of date"  # made from another pose: Generate refreshes it
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
                return layer.name
            if role == Qt.ItemDataRole.ForegroundRole and getattr(layer, "stale", False):
                return QColor(224, 138, 30)
            if role == Qt.ItemDataRole.DecorationRole:
                if layer.id not in self._thumbs:
                    self._thumbs[layer.id] = thumbnail(layer, self.doc.size)
                return QIcon(self._thumbs[layer.id])
            if role == Qt.ItemDataRole.ToolTipRole:
                extra = ""
                if isinstance(layer, PoseLayer):
                    n = len(layer.poses)
                    hidden = sum(int((~p.visible).sum()) for p in layer.poses)
                    extra = f", {n} {'person' if n == 1 else 'people'}, {hidden} of {n * skeleton.NUM_JOINTS} joints hidden"
                return f"{layer.name}: {layer.kind} layer, opacity {round(layer.opacity * 100)}%{extra}. " \
                       "Double-click to rename, drag to reorder."
            if role == Qt.ItemDataRole.SizeHintRole:
                return QSize(160, THUMB + 6)
        return None

    def flags(self, index: QModelIndex):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        f = base
        if not self.layer_at(index.row()).locked:
            # a locked layer does not move: no drag starts (a refused drop used to open a
            # message box inside the drag, and the list ignored clicks until Esc)
            f |= Qt.ItemFlag.ItemIsDragEnabled
        if index.column() == NAME:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if index.column() == NAME and role == Qt.ItemDataRole.EditRole:
            name = str(value).strip()
            layer = self.layer_at(index.row())
            if not name or name == layer.name:
                return False
            return bool(self.push(LayerProps.make(layer, name=name)))
        return False

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("", "", "Layer")[section]
        return None

    # -- actions the panel calls ---------------------------------------------------------------
    def toggle_visible(self, row: int) -> None:
        """Show/hide: view state, not an undo step (as in Krita), but the project is modified."""
        layer = self.layer_at(row)
        if self.doc.layers.solo is not None:
            self.doc.layers.set_solo(None)
            return
        layer.visible = not layer.visible
        self.mark_dirty()

    def toggle_locked(self, row: int) -> None:
        layer = self.layer_at(row)
        layer.locked = not layer.locked
        self.mark_dirty()

    def solo(self, row: int) -> None:
        self.doc.layers.set_solo(self.layer_at(row))

    def move_row(self, src_row: int, dst_row: int) -> bool:
        """Move the layer shown at ``src_row`` to be shown at ``dst_row``."""
        n = len(self.doc.layers)
        dst_row = max(0, min(dst_row, n - 1))
        if src_row == dst_row:
            return False
        return bool(self.push(MoveLayer(self.layer_at(src_row).id, n - 1 - dst_row)))

    # -- drag and drop reorder ------------------------------------------------------------------
    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def supportedDragActions(self):
        return Qt.DropAction.MoveAction

    def mimeTypes(self):
        return [MIME]

    def mimeData(self, indexes):
        data = QMimeData()
        rows = sorted({i.row() for i in indexes})
        if rows:
            data.setData(MIME, QByteArray(str(rows[0]).encode()))
        return data

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        if not data.hasFormat(MIME):
            return False
        try:
            return not self.layer_at(int(bytes(data.data(MIME)).decode())).locked
        except (ValueError, IndexError):
            return False

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        if not data.hasFormat(MIME):
            return False
        src = int(bytes(data.data(MIME)).decode())
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else self.rowCount()
        dst = row - 1 if row > src else row
        self.move_row(src, dst)
        return False  # we moved it ourselves; Qt must not remove the source row
