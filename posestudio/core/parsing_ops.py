"""Label-map editing operations for the parsing brush (numpy / OpenCV, no Qt).

Each operation computes *where* a label goes (a full-size boolean mask) and
returns a ``core.edits.Paint`` record (bbox, mask, old values, new value), the
undo record napari uses for a stroke; applying the record with
``Document.apply`` (or ``Session.push``) changes the pixels. Nothing here
mutates a layer by itself, except :class:`StrokeBuilder`, which paints live
while the mouse moves and hands back one record for the whole stroke.

These are the artist's tools of SPT's garment editing loop (predict the target
parsing H_S, repaint it, regenerate the appearance with H_A; see
docs/ARCHS_PARSING.md) and of SCM-Net's attribute editing, where the edited
semantic map is the network input.

"Preserve other labels" is a ``protect`` rule applied to every operation:
``None`` paints everywhere, ``"background"`` only over label 0, an int only
over that label.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core.edits import Edit, Paint, ReplaceData
from posestudio.core.layers import RasterLayer

MIN_SIZE, MAX_SIZE = 1, 300


def clamp_size(size: float) -> int:
    """Brush diameter in image pixels, clamped to the editor's 1..300 px."""
    return int(min(MAX_SIZE, max(MIN_SIZE, round(float(size)))))


def paintable(label_map: np.ndarray, protect: str | int | None) -> np.ndarray | None:
    """Where painting is allowed under ``protect`` (None: everywhere)."""
    if protect is None:
        return None
    if protect == "background":
        return np.asarray(label_map) == 0
    return np.asarray(label_map) == int(protect)


def _restrict(mask: np.ndarray, label_map: np.ndarray, protect, value) -> np.ndarray:
    allowed = paintable(label_map, protect)
    if allowed is not None:
        mask &= allowed
    mask &= np.asarray(label_map) != value  # pixels that already hold the value need no record
    return mask


def disc_segment(shape: tuple[int, int], p0: tuple[float, float], p1: tuple[float, float], size: float,
                 into: np.ndarray | None = None) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """The brush footprint swept from ``p0`` to ``p1`` (image x, y) with a disc of
    diameter ``size`` px: every pixel whose centre lies within size/2 of the segment.

    Returns (mask, bbox) where bbox = (y0, x0, y1, x1) of the pixels touched (None
    when the segment lies outside the image). With ``into`` the footprint is OR-ed
    into that uint8/bool array (only inside bbox) and ``into`` is returned."""
    h, w = shape
    r = clamp_size(size) / 2.0
    (ax, ay), (bx, by) = (float(p0[0]), float(p0[1])), (float(p1[0]), float(p1[1]))
    x0 = max(0, int(np.floor(min(ax, bx) - r)))
    x1 = min(w, int(np.ceil(max(ax, bx) + r)) + 1)
    y0 = max(0, int(np.floor(min(ay, by) - r)))
    y1 = min(h, int(np.ceil(max(ay, by) + r)) + 1)
    out = into if into is not None else np.zeros(shape, bool)
    if x1 <= x0 or y1 <= y0:
        return out, None
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    if length2 > 0:
        t = np.clip(((xx - ax) * dx + (yy - ay) * dy) / length2, 0.0, 1.0)
        px, py = ax + t * dx, ay + t * dy
    else:
        px, py = ax, ay
    # a 1 px brush always covers the pixel it sits on
    inside = (xx - px) ** 2 + (yy - py) ** 2 <= max(r * r, 0.25)
    region = out[y0:y1, x0:x1]
    region |= inside.astype(region.dtype)
    return out, (y0, x0, y1, x1)


def brush_stroke(layer: RasterLayer, points, size: float, value: int, protect=None,
                 text: str = "Brush") -> Paint | None:
    """One stroke through ``points`` [(x, y), ...] painting ``value`` (eraser: 0)."""
    pts = [(float(x), float(y)) for x, y in points]
    if not pts:
        return None
    mask = np.zeros(layer.data.shape[:2], bool)
    for a, b in zip(pts, pts[1:] or pts, strict=False):
        disc_segment(mask.shape, a, b, size, into=mask)
    return Paint.stroke(layer, _restrict(mask, layer.data, protect, value), int(value), text)


def fill(layer: RasterLayer, x: int, y: int, value: int, contiguous: bool = True, protect=None,
         text: str = "Fill") -> Paint | None:
    """Bucket fill at (x, y): the 4-connected region of the clicked label
    (``contiguous``) or every pixel of that label (not contiguous)."""
    data = layer.data
    h, w = data.shape[:2]
    x, y = int(x), int(y)
    if not (0 <= x < w and 0 <= y < h):
        return None
    same = data == data[y, x]
    if contiguous:
        n, comp = cv2.connectedComponents(same.astype(np.uint8), connectivity=4)
        mask = comp == comp[y, x]
    else:
        mask = same
    return Paint.stroke(layer, _restrict(mask, data, protect, value), int(value), text)


def polygon_fill(layer: RasterLayer, points, value: int, protect=None, text: str = "Lasso fill") -> Paint | None:
    """Fill the polygon / lasso through ``points`` [(x, y), ...] (closed automatically)."""
    pts = np.round(np.asarray(points, dtype=np.float64)).astype(np.int32).reshape(-1, 2)
    if len(pts) < 3:
        return None
    m = np.zeros(layer.data.shape[:2], np.uint8)
    cv2.fillPoly(m, [pts], 1, lineType=cv2.LINE_8)
    return Paint.stroke(layer, _restrict(m.astype(bool), layer.data, protect, value), int(value), text)


def replace_label(layer: RasterLayer, old: int, new: int, text: str = "") -> Paint | None:
    """Every pixel of label ``old`` becomes ``new``."""
    mask = layer.data == int(old)
    return Paint.stroke(layer, mask, int(new), text or "Replace label")


def eyedropper(layer: RasterLayer, x: float, y: float) -> int | None:
    """The label under image point (x, y), or None outside the map."""
    h, w = layer.data.shape[:2]
    xi, yi = int(np.floor(x)), int(np.floor(y))
    if not (0 <= xi < w and 0 <= yi < h):
        return None
    return int(layer.data[yi, xi])


class StrokeBuilder:
    """A brush stroke painted live: ``to(x, y)`` paints the swept disc since the
    last point directly into the layer and returns the dirty bbox; ``record()``
    gives the one ``Paint`` record of the whole stroke (its old values come from
    the copy taken at the start, so undo restores the exact previous pixels);
    ``cancel()`` puts the pixels back."""

    def __init__(self, layer: RasterLayer, value: int, size: float, protect=None):
        self.layer, self.value, self.size, self.protect = layer, int(value), clamp_size(size), protect
        self.old = layer.data.copy()
        self.allowed = paintable(self.old, protect)
        self.mask = np.zeros(layer.data.shape[:2], bool)
        self.last: tuple[float, float] | None = None
        self.bbox: tuple[int, int, int, int] | None = None

    def to(self, x: float, y: float) -> tuple[int, int, int, int] | None:
        a = (x, y) if self.last is None else self.last
        self.last = (x, y)
        # sweep into a local window only (the stroke mask keeps the union)
        h, w = self.mask.shape
        r = self.size / 2.0
        y0 = max(0, int(np.floor(min(a[1], y) - r)))
        y1 = min(h, int(np.ceil(max(a[1], y) + r)) + 1)
        x0 = max(0, int(np.floor(min(a[0], x) - r)))
        x1 = min(w, int(np.ceil(max(a[0], x) + r)) + 1)
        if x1 <= x0 or y1 <= y0:
            return None
        local, bbox = disc_segment((y1 - y0, x1 - x0), (a[0] - x0, a[1] - y0), (x - x0, y - y0), self.size)
        if bbox is None:
            return None
        if self.allowed is not None:
            local &= self.allowed[y0:y1, x0:x1]
        self.mask[y0:y1, x0:x1] |= local
        self.layer.data[y0:y1, x0:x1][local] = self.value
        bbox = (y0, x0, y1, x1)
        if self.bbox is None:
            self.bbox = bbox
        else:
            b = self.bbox
            self.bbox = (min(b[0], y0), min(b[1], x0), max(b[2], y1), max(b[3], x1))
        return bbox

    def record(self, text: str = "Brush") -> Paint | None:
        if self.bbox is None:
            return None
        y0, x0, y1, x1 = self.bbox
        sub = self.mask[y0:y1, x0:x1] & (self.old[y0:y1, x0:x1] != self.value)
        if not sub.any():
            return None
        ys, xs = np.nonzero(sub)
        ty0, ty1, tx0, tx1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        sub = sub[ty0:ty1, tx0:tx1].copy()
        box = (y0 + int(ty0), x0 + int(tx0), y0 + int(ty1), x0 + int(tx1))
        old = self.old[box[0]:box[2], box[1]:box[3]][sub].copy()
        return Paint(self.layer.id, box, sub, old, self.value, text)

    def cancel(self) -> None:
        if self.bbox is not None:
            y0, x0, y1, x1 = self.bbox
            self.layer.data[y0:y1, x0:x1] = self.old[y0:y1, x0:x1]


class ConvertLabelSet(Edit):
    """A parsing layer converted to another label set (``labels.convert``'s explicit
    tables): the label map and the set's name change together, and undo restores both."""

    def __init__(self, layer, dst: str, text: str = ""):
        from posestudio.core import labels

        self.layer_id, self.src, self.dst = layer.id, layer.label_set, labels.get(dst).name
        self.old = layer.data.copy()
        self.new = labels.convert(layer.data, self.src, self.dst)
        self.text = text or f"Convert labels to {labels.get(dst).title}"

    def _put(self, doc, data, label_set):
        layer = doc.layers.by_id(self.layer_id)
        layer.data = data.copy()
        layer.label_set = label_set
        layer.data_changed(bbox=None, label_set=label_set)

    def redo(self, doc):
        self._put(doc, self.new, self.dst)

    def undo(self, doc):
        self._put(doc, self.old, self.src)


def mirror_labels(layer: RasterLayer, text: str = "Mirror labels") -> ReplaceData:
    """The record that mirrors a parsing layer left-right and swaps its left/right
    labels (``labels.mirror``: arms and legs change side with the picture)."""
    from posestudio.core import labels

    return ReplaceData(layer.id, layer.data.copy(), labels.mirror(layer.data, layer.label_set), text)
