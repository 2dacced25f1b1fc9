"""The canvas: a QGraphicsView over the document's layers with posing tools."""

from posestudio.ui.canvas.scene import CanvasScene
from posestudio.ui.canvas.view import CanvasView

__all__ = ["CanvasScene", "CanvasView"]
