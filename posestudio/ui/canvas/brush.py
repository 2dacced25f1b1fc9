"""Painting labels on a parsing layer: one stroke = one ``Paint`` record
(bbox, mask, old values, new value), applied live while the mouse moves."""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core.edits import Paint
from posestudio.core.layers import ParsingLayer


class Stroke:
    def __init__(self, layer: ParsingLayer, value: int, radius: float):
        self.layer, self.value, self.radius = layer, int(value), max(0.5, float(radius))
        self.old = layer.data.copy()
        self.mask = np.zeros(layer.data.shape, np.uint8)
        self.last: tuple[float, float] | None = None

    def to(self, x: float, y: float) -> None:
        """Extend the stroke to image point (x, y) and show it."""
        p = (int(round(x)), int(round(y)))
        a = p if self.last is None else (int(round(self.last[0])), int(round(self.last[1])))
        r = int(round(self.radius))
        cv2.line(self.mask, a, p, 1, thickness=max(1, 2 * r), lineType=cv2.LINE_8)
        cv2.circle(self.mask, p, r, 1, -1)
        self.last = (x, y)
        h, w = self.mask.shape
        x0, x1 = max(0, min(a[0], p[0]) - r - 1), min(w, max(a[0], p[0]) + r + 2)
        y0, y1 = max(0, min(a[1], p[1]) - r - 1), min(h, max(a[1], p[1]) + r + 2)
        if x1 <= x0 or y1 <= y0:
            return
        region = self.layer.data[y0:y1, x0:x1]
        region[self.mask[y0:y1, x0:x1] > 0] = self.value
        self.layer.data_changed(bbox=(y0, x0, y1, x1))

    def record(self) -> Paint | None:
        """The undo record of the whole stroke (None when it painted nothing)."""
        mask = self.mask > 0
        if not mask.any():
            return None
        ys, xs = np.nonzero(mask)
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        sub = mask[y0:y1, x0:x1]
        old = self.old[y0:y1, x0:x1][sub]
        if (old == self.value).all():
            return None
        return Paint(self.layer.id, (y0, x0, y1, x1), sub.copy(), old.copy(), self.value, "Paint labels")

    def cancel(self) -> None:
        self.layer.data[...] = self.old
        self.layer.data_changed(bbox=None)
