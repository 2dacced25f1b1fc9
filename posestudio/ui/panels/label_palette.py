"""The label palette dock: the parsing tools, the names and colours of the
active layer's label set (SPT-10, LIP-20, ATR-18, CIHP-20, 8-region), the
label the tools paint, "preserve other labels", conversion to another set,
mirroring with left/right label swap, and the overlay opacity.

Conversion and mirroring are undoable records (``parsing_ops.ConvertLabelSet``,
``parsing_ops.mirror_labels``); opacity is one ``LayerProps`` record per drag.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from posestudio.core import labels, parsing_ops
from posestudio.core.edits import LayerProps

PALETTE_SETS = ("spt10", "lip20", "atr18", "cihp20", "scm8")
TOOL_BUTTONS = ("brush", "eraser", "fill", "lasso", "eyedropper", "replace")


def swatch(rgb, size: int = 14) -> QIcon:
    pm = QPixmap(size, size)
    pm.fill(QColor(*rgb))
    return QIcon(pm)


class LabelPalette(QWidget):
    """``paint_target()`` gives the parsing layer the tools paint; ``error(str)`` is
    what a refused command says (the window shows it)."""

    error = Signal(str)

    def __init__(self, session, tools, tool_actions: dict, paint_target):
        super().__init__()
        self.session, self.tools, self.paint_target = session, tools, paint_target
        self._opacity_start: float | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)

        grid = QGridLayout()
        for i, name in enumerate(TOOL_BUTTONS):
            b = QToolButton()
            b.setDefaultAction(tool_actions[name])
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setMinimumWidth(70)
            grid.addWidget(b, i // 3, i % 3)
        lay.addLayout(grid)

        form = QFormLayout()
        self.brush_size = QSpinBox()
        self.eraser_size = QSpinBox()
        for spin, tip in ((self.brush_size, "Brush diameter in image pixels ([ and ] while painting)"),
                          (self.eraser_size, "Eraser diameter: the eraser keeps its own size")):
            spin.setRange(parsing_ops.MIN_SIZE, parsing_ops.MAX_SIZE)
            spin.setSuffix(" px")
            spin.setToolTip(tip)
        self.brush_size.setValue(tools.brush_size)
        self.eraser_size.setValue(tools.eraser_size)
        self.brush_size.valueChanged.connect(lambda v: setattr(tools, "brush_size", int(v)))
        self.eraser_size.valueChanged.connect(lambda v: setattr(tools, "eraser_size", int(v)))
        form.addRow("Brush", self.brush_size)
        form.addRow("Eraser", self.eraser_size)
        self.protect = QComboBox()
        self.protect.setToolTip("Preserve other labels: paint everywhere, only over background, or only over one label")
        self.protect.currentIndexChanged.connect(self._protect_changed)
        form.addRow("Paint over", self.protect)
        self.contiguous = QCheckBox("Contiguous fill")
        self.contiguous.setChecked(True)
        self.contiguous.setToolTip("Fill only the connected region under the click (off: every pixel of that label)")
        self.contiguous.toggled.connect(lambda on: setattr(tools, "contiguous", bool(on)))
        form.addRow("", self.contiguous)
        lay.addLayout(form)

        self.set_title = QLabel()
        lay.addWidget(self.set_title)
        self.list = QListWidget()
        self.list.setToolTip("The label the brush, fill, lasso and replace paint (click to choose)")
        self.list.currentRowChanged.connect(lambda r: r >= 0 and tools.set_label(r))
        lay.addWidget(self.list, 1)

        row = QHBoxLayout()
        self.convert_to = QComboBox()
        for name in PALETTE_SETS:
            self.convert_to.addItem(labels.get(name).title, name)
        self.convert_to.setToolTip("Label set to convert the parsing layer to (explicit tables, never guessed)")
        self.convert_button = QPushButton("Convert")
        self.convert_button.clicked.connect(lambda: self.convert(self.convert_to.currentData()))
        row.addWidget(self.convert_to, 1)
        row.addWidget(self.convert_button)
        lay.addLayout(row)
        self.mirror_button = QPushButton("Mirror labels (swap left/right)")
        self.mirror_button.clicked.connect(self.mirror)
        lay.addWidget(self.mirror_button)
        orow = QHBoxLayout()
        orow.addWidget(QLabel("Overlay"))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setToolTip("Opacity of the parsing overlay")
        self.opacity.sliderPressed.connect(self._opacity_pressed)
        self.opacity.valueChanged.connect(self._opacity_live)
        self.opacity.sliderReleased.connect(self._opacity_released)
        orow.addWidget(self.opacity, 1)
        lay.addLayout(orow)

        tools.changed.connect(self._follow_tools)
        self.refresh()

    # -- follow the document ----------------------------------------------------------------
    def layer(self):
        return self.paint_target()

    def refresh(self) -> None:
        layer = self.layer()
        name = getattr(layer, "label_set", "spt10")
        try:
            ls = labels.get(name)
        except Exception:
            ls = labels.get("spt10")
        self.set_title.setText(f"<b>{ls.title}</b>" + ("" if layer is not None else " (no parsing layer)"))
        if self.tools.label >= len(ls):
            self.tools.label = len(ls) - 1  # a smaller set after a conversion
        self.list.blockSignals(True)
        self.list.clear()
        for i, (n, rgb) in enumerate(zip(ls.names, ls.palette, strict=False)):
            self.list.addItem(QListWidgetItem(swatch(rgb), f"{i:2d}  {n}"))
        self.list.setCurrentRow(min(self.tools.label, len(ls) - 1))
        self.list.blockSignals(False)
        self.protect.blockSignals(True)
        keep = self.protect.currentIndex()
        self.protect.clear()
        self.protect.addItem("everything", None)
        self.protect.addItem("background only", "background")
        for i, n in enumerate(ls.names[1:], start=1):
            self.protect.addItem(f"{n} only", i)
        self.protect.setCurrentIndex(keep if 0 <= keep < self.protect.count() else 0)
        self.protect.blockSignals(False)
        self.tools.protect = self.protect.currentData()
        i = self.convert_to.findData(ls.name)
        if i >= 0:
            self.convert_to.setCurrentIndex(i)
        self.opacity.blockSignals(True)
        self.opacity.setValue(int(round((layer.opacity if layer is not None else 1.0) * 100)))
        self.opacity.blockSignals(False)
        for w in (self.convert_button, self.mirror_button, self.opacity):
            w.setEnabled(layer is not None)

    def _follow_tools(self) -> None:
        for spin, v in ((self.brush_size, self.tools.brush_size), (self.eraser_size, self.tools.eraser_size)):
            if spin.value() != v:
                spin.blockSignals(True)
                spin.setValue(v)
                spin.blockSignals(False)
        if self.list.currentRow() != self.tools.label and self.tools.label < self.list.count():
            self.list.blockSignals(True)
            self.list.setCurrentRow(self.tools.label)
            self.list.blockSignals(False)

    def _protect_changed(self, _i: int) -> None:
        self.tools.protect = self.protect.currentData()

    # -- commands ------------------------------------------------------------------------------
    def mirror(self) -> bool:
        """Mirror the parsing layer left-right with left/right labels swapped (one undo step)."""
        layer = self.layer()
        if layer is None:
            self.error.emit("no parsing layer to mirror")
            return False
        if not self.session.doc.layers.is_shown(layer):  # as every parsing tool refuses it
            self.error.emit(f"layer {layer.name!r} is hidden; show it to mirror its labels")
            return False
        return self.session.push(parsing_ops.mirror_labels(layer))

    def convert(self, label_set: str) -> bool:
        layer = self.layer()
        if layer is None or label_set == layer.label_set:
            return False
        try:
            edit = parsing_ops.ConvertLabelSet(layer, label_set)
        except Exception as exc:  # InputError: a map with labels outside its set
            self.error.emit(str(exc))
            return False
        ok = self.session.push(edit)
        self.refresh()
        return ok

    def _opacity_pressed(self) -> None:
        layer = self.layer()
        self._opacity_start = None if layer is None else layer.opacity

    def _opacity_live(self, v: int) -> None:
        layer = self.layer()
        if layer is None:
            return
        if self._opacity_start is None:  # keyboard / click on the groove: one step each
            self.session.push(LayerProps.make(layer, opacity=v / 100))
        else:
            layer.opacity = v / 100

    def _opacity_released(self) -> None:
        layer, start, self._opacity_start = self.layer(), self._opacity_start, None
        if layer is not None and start is not None and start != layer.opacity:
            self.session.push(LayerProps(layer.id, {"opacity": (start, layer.opacity)}), True)
