"""The brush toolbar: which label the parsing brush paints and how wide."""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QComboBox, QSpinBox, QToolBar

from posestudio.core import labels


class BrushBar(QToolBar):
    """Drives ``view.brush_label`` / ``view.brush_radius``; ``fill(label_set)`` lists that set's labels."""

    def __init__(self, view, paint_action, parent=None):
        super().__init__("Brush", parent)
        self.setObjectName("brush_toolbar")
        self.view = view
        self.addAction(paint_action)
        self.label = QComboBox()
        self.label.setToolTip("Label the brush paints")
        self.label.currentIndexChanged.connect(lambda i: setattr(view, "brush_label", max(i, 0)))
        self.size = QSpinBox()
        self.size.setRange(1, 200)
        self.size.setValue(int(view.brush_radius))
        self.size.setPrefix("r ")
        self.size.setSuffix(" px")
        self.size.setToolTip("Brush radius in image pixels")
        self.size.valueChanged.connect(lambda v: setattr(view, "brush_radius", float(v)))
        self.addWidget(self.label)
        self.addWidget(self.size)
        self.label_set = ""

    def fill(self, label_set: str) -> None:
        try:
            ls = labels.get(label_set)
        except Exception:  # an unknown set: keep what is listed
            return
        keep = self.label.currentIndex()
        self.label.blockSignals(True)
        self.label.clear()
        for name, rgb in zip(ls.names, ls.palette, strict=False):
            swatch = QPixmap(12, 12)
            swatch.fill(QColor(*rgb))
            self.label.addItem(QIcon(swatch), name)
        self.label.setCurrentIndex(keep if 0 <= keep < len(ls.names) else min(1, len(ls.names) - 1))
        self.label.blockSignals(False)
        self.view.brush_label = self.label.currentIndex()
        self.label_set = ls.name
