"""The layer panel's right-click menu (duplicate, merge down, export, delete,
properties) and the layer properties dialog. Content changes are undo steps
(``core.layer_ops``); export is asked of the window through the panel's
``export_requested`` signal."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QMenu,
    QSpinBox,
)

from posestudio.core import layer_ops
from posestudio.core.edits import LayerProps
from posestudio.errors import InputError


class LayerPropertiesDialog(QDialog):
    """Name and opacity (one undo step), visibility and lock (view state, as the eye and lock)."""

    def __init__(self, layer, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Layer properties — {layer.name}")
        self.layer = layer
        self.name = QLineEdit(layer.name)
        self.opacity = QSpinBox()
        self.opacity.setRange(0, 100)
        self.opacity.setSuffix(" %")
        self.opacity.setValue(round(layer.opacity * 100))
        self.visible = QCheckBox("Visible")
        self.visible.setChecked(layer.visible)
        self.locked = QCheckBox("Locked")
        self.locked.setChecked(layer.locked)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Opacity", self.opacity)
        form.addRow("", self.visible)
        form.addRow("", self.locked)
        form.addRow("Kind", QLineEdit(layer.kind, readOnly=True))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def apply(self, panel) -> None:
        layer, new = self.layer, {}
        name = self.name.text().strip()
        if name and name != layer.name:
            new["name"] = name
        if abs(self.opacity.value() / 100 - layer.opacity) > 1e-9:
            new["opacity"] = self.opacity.value() / 100
        if new:
            panel.session.push(LayerProps.make(layer, **new))
        panel.set_view_state(layer, visible=self.visible.isChecked(), locked=self.locked.isChecked())


def build_menu(panel, layer) -> QMenu:
    """The context menu for ``layer`` in ``panel`` (a ``LayersPanel``)."""
    menu = QMenu(panel)
    doc = panel.session.doc
    dup = menu.addAction("Duplicate", lambda: duplicate(panel, layer))
    merge = menu.addAction("Merge Down", lambda: merge_down(panel, layer))
    merge.setEnabled(layer_ops.can_merge_down(doc, layer))
    menu.addAction("Export Layer…", lambda: panel.export_requested.emit(layer))
    menu.addSeparator()
    delete = menu.addAction("Delete", panel.delete_current)
    delete.setEnabled(not layer.locked)
    menu.addSeparator()
    menu.addAction("Properties…", lambda: properties(panel, layer))
    dup.setToolTip("A copy of this layer just above it")
    return menu


def duplicate(panel, layer) -> bool:
    return bool(panel.session.push(layer_ops.duplicate(panel.session.doc, layer)))


def merge_down(panel, layer) -> bool:
    try:
        edit = layer_ops.merge_down(panel.session.doc, layer)
    except InputError as exc:
        panel.session.error.emit(str(exc))
        return False
    return bool(panel.session.push(edit))


def properties(panel, layer, exec_=True) -> LayerPropertiesDialog:
    dlg = LayerPropertiesDialog(layer, panel)
    if exec_ and dlg.exec():
        dlg.apply(panel)
    return dlg
