"""Painting labels on a parsing layer from the canvas: a thin adapter over
``core.parsing_ops.StrokeBuilder`` (which paints the swept disc live and gives
one ``Paint`` record — bbox, mask, old values, new value — per stroke) that
tells the layer's listeners which region changed."""

from __future__ import annotations

from posestudio.core.edits import Paint
from posestudio.core.layers import ParsingLayer
from posestudio.core.parsing_ops import StrokeBuilder


class Stroke:
    def __init__(self, layer: ParsingLayer, value: int, radius: float, protect=None):
        self.layer = layer
        self.builder = StrokeBuilder(layer, int(value), size=2.0 * max(0.5, float(radius)), protect=protect)

    def to(self, x: float, y: float) -> None:
        """Extend the stroke to image point (x, y) and show it."""
        bbox = self.builder.to(x, y)
        if bbox is not None:
            self.layer.data_changed(bbox=bbox)

    def record(self) -> Paint | None:
        """The undo record of the whole stroke (None when it changed nothing)."""
        return self.builder.record("Paint labels")

    def cancel(self) -> None:
        self.builder.cancel()
        self.layer.data_changed(bbox=None)
