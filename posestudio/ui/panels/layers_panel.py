"""The layer docker: eye, lock, thumbnail and name per row (top layer first);
Alt+click on the eye shows only that layer (solo); double-click renames; drag
reorders; opacity slider and delete button act on the current layer; right-click
for duplicate, merge down, export, delete and properties (``layer_menu.py``).
Eye and lock are view state, kept out of the undo history as in Krita."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSlider,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from posestudio.core.edits import LayerProps, RemoveLayer
from posestudio.ui import icons
from posestudio.ui.panels.layer_model import EYE, LOCK, NAME, THUMB, LayerModel


class LayerTree(QTreeView):
    """Eye and lock columns toggle on a single click (Alt+click on the eye: solo)."""

    def __init__(self, model: LayerModel, parent=None):
        super().__init__(parent)
        self.setModel(model)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(EYE, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(LOCK, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(EYE, 28)
        header.resizeSection(LOCK, 28)
        self.setHeaderHidden(True)

    def mousePressEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and event.button() == Qt.MouseButton.LeftButton and index.column() in (EYE, LOCK):
            model: LayerModel = self.model()
            if index.column() == EYE:
                if event.modifiers() & Qt.KeyboardModifier.AltModifier:
                    model.solo(index.row())
                else:
                    model.toggle_visible(index.row())
            else:
                model.toggle_locked(index.row())
            event.accept()
            return
        super().mousePressEvent(event)


class LayersPanel(QWidget):
    current_layer_changed = Signal(object)
    export_requested = Signal(object)  # a layer the artist wants written to a file

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.model = LayerModel(session.push, self)
        self.model.mark_dirty = session.mark_dirty
        self.tree = LayerTree(self.model, self)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.setToolTip("Layers, top first. Click the eye to show/hide (Alt+click: solo), the lock to lock; "
                             "double-click a name to rename; drag to reorder.")
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the current layer")
        self.opacity_label = QLabel("100%")
        self.delete_button = QToolButton()
        self.delete_button.setIcon(icons.icon("delete"))
        self.delete_button.setToolTip("Delete the current layer (locked layers cannot be deleted)")
        self.delete_button.clicked.connect(self.delete_current)
        self.up_button = QToolButton()
        self.up_button.setText("▲")
        self.up_button.setToolTip("Move the current layer up")
        self.up_button.clicked.connect(lambda: self._move(-1))
        self.down_button = QToolButton()
        self.down_button.setText("▼")
        self.down_button.setToolTip("Move the current layer down")
        self.down_button.clicked.connect(lambda: self._move(1))

        row = QHBoxLayout()
        row.addWidget(QLabel("Opacity"))
        row.addWidget(self.opacity, 1)
        row.addWidget(self.opacity_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.tree, 1)
        lay.addLayout(row)
        lay.addLayout(buttons)

        self._opacity_start: float | None = None
        self.opacity.sliderPressed.connect(self._opacity_pressed)
        self.opacity.valueChanged.connect(self._opacity_live)
        self.opacity.sliderReleased.connect(self._opacity_released)
        self.model.modelReset.connect(self._restore_current)
        self.model.dataChanged.connect(lambda *a: self._sync_controls())
        self._current_id: str | None = None
        self.tree.selectionModel().currentRowChanged.connect(self._current_changed)

    def set_document(self, doc) -> None:
        self.model.set_document(doc)
        self._current_id = None
        if self.model.rowCount():
            self.tree.setCurrentIndex(self.model.index(0, NAME))
        self._sync_controls()

    def current_layer(self):
        idx = self.tree.currentIndex()
        return self.model.layer_at(idx.row()) if idx.isValid() and idx.row() < self.model.rowCount() else None

    def _current_changed(self, current, previous) -> None:
        layer = self.current_layer()
        self._current_id = layer.id if layer is not None else None
        self._sync_controls()
        self.current_layer_changed.emit(layer)

    def _restore_current(self) -> None:
        doc = self.model.doc
        if doc is None or not len(doc.layers):
            return
        try:
            row = self.model.row_of(self._current_id) if self._current_id else 0
        except KeyError:
            row = 0
        self.tree.setCurrentIndex(self.model.index(row, NAME))
        self._sync_controls()

    def _sync_controls(self) -> None:
        layer = self.current_layer()
        enabled = layer is not None
        self.opacity.setEnabled(enabled)
        self.delete_button.setEnabled(enabled and not layer.locked)
        if enabled and self._opacity_start is None:
            self.opacity.blockSignals(True)
            self.opacity.setValue(round(layer.opacity * 100))
            self.opacity.blockSignals(False)
            self.opacity_label.setText(f"{round(layer.opacity * 100)}%")

    # opacity: live while sliding, one undo step on release (or per keyboard step)
    def _opacity_pressed(self) -> None:
        layer = self.current_layer()
        self._opacity_start = layer.opacity if layer else None

    def _opacity_live(self, value: int) -> None:
        layer = self.current_layer()
        if layer is None:
            return
        self.opacity_label.setText(f"{value}%")
        if self._opacity_start is not None:
            layer.opacity = value / 100
        else:
            self.session.push(LayerProps.make(layer, opacity=value / 100))

    def _opacity_released(self) -> None:
        layer, start, self._opacity_start = self.current_layer(), self._opacity_start, None
        if layer is None or start is None or abs(layer.opacity - start) < 1e-9:
            return
        self.session.push(LayerProps(layer.id, {"opacity": (start, layer.opacity)}), True)

    def delete_current(self) -> None:
        layer = self.current_layer()
        if layer is None:
            return
        if layer.locked:
            self.session.error.emit(f"layer {layer.name!r} is locked; unlock it to delete it")
            return
        self.session.push(RemoveLayer(layer, self.model.doc.layers.index(layer), f"Delete {layer.name}"))

    def set_view_state(self, layer, visible: bool | None = None, locked: bool | None = None) -> None:
        """Visibility and lock: not undo steps, but they are saved, so the project is modified."""
        changed = False
        for prop, value in (("visible", visible), ("locked", locked)):
            if value is not None and getattr(layer, prop) != value:
                setattr(layer, prop, value)
                changed = True
        if changed:
            self.session.mark_dirty()

    def context_menu(self, layer):
        from posestudio.ui.panels.layer_menu import build_menu

        return build_menu(self, layer)

    def _context_menu(self, pos) -> None:
        index = self.tree.indexAt(pos)
        if not index.isValid():
            return
        self.tree.setCurrentIndex(self.model.index(index.row(), NAME))
        layer = self.model.layer_at(index.row())
        self.context_menu(layer).exec(self.tree.viewport().mapToGlobal(pos))

    def _move(self, step: int) -> None:
        idx = self.tree.currentIndex()
        if idx.isValid():
            self.model.move_row(idx.row(), idx.row() + step)
