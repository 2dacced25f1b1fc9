"""The dock layout a first start gets, usable at 1280x800: the Layers list shows
every layer of a usual project, a dock taller than its share scrolls
instead of pinning its neighbours, and tab titles are never cut to "Gener…"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QTabBar

LAYER_ROWS = 5  # the sample has 4 layers, a result makes 5
SCROLL_OVER = 100  # docks whose content needs more height than this scroll when squeezed


def scrolling(dock: QDockWidget) -> None:
    """Put a dock's content in a scroll area, so its minimum height no longer blocks the splitter."""
    inner = dock.widget()
    if inner is None or isinstance(inner, QScrollArea) or inner.minimumSizeHint().height() <= SCROLL_OVER:
        return
    area = QScrollArea()
    area.setObjectName(f"{dock.objectName()}_scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setMinimumWidth(inner.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    area.setWidget(inner)
    dock.setWidget(area)


def full_tab_titles(window) -> None:
    for bar in window.findChildren(QTabBar):
        bar.setElideMode(Qt.TextElideMode.ElideNone)
        bar.setUsesScrollButtons(True)
        bar.setExpanding(False)


def arrange(window) -> None:
    """Lay the docks out for the window's current size (called once the editing docks exist)."""
    for key, dock in window.docks.items():
        if key != "layers":
            scrolling(dock)
    tree = window.layers_panel.tree
    row = max(tree.sizeHintForRow(0), 24) if tree.model().rowCount() else 48
    tree.setMinimumHeight(row * LAYER_ROWS + 4)
    full_tab_titles(window)
    right = [window.docks[k] for k in ("layers", "generator") if k in window.docks]
    if len(right) == 2:
        height = max(400, window.height() - 120)
        layers = min(height // 2, row * (LAYER_ROWS + 1) + 90)
        window.resizeDocks(right, [layers, height - layers], Qt.Orientation.Vertical)
    window.resizeDocks([window.docks["layers"]], [360], Qt.Orientation.Horizontal)
