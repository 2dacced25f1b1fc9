"""Raster layers as QImages: pictures as they are, label maps through their
label set's palette (background transparent), edges as white strokes, flow as
the usual hue = direction / brightness = magnitude colour wheel."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage

from posestudio.core import labels
from posestudio.core.layers import EdgeLayer, IntermediateLayer, Layer, ParsingLayer, RasterLayer


def qimage(rgb: np.ndarray) -> QImage:
    """A QImage owning a copy of an (H, W, 3|4) uint8 array."""
    arr = np.ascontiguousarray(rgb)
    h, w = arr.shape[:2]
    fmt = QImage.Format.Format_RGBA8888 if arr.shape[2] == 4 else QImage.Format.Format_RGB888
    return QImage(arr.data, w, h, arr.strides[0], fmt).copy()


def label_rgba(label_map: np.ndarray, label_set: str) -> np.ndarray:
    try:
        rgb = labels.colorize(label_map, label_set)
    except Exception:  # unknown set: a fixed pseudo-palette keeps it visible
        rng = np.random.default_rng(0)
        pal = rng.integers(40, 255, size=(int(label_map.max(initial=0)) + 1, 3), dtype=np.uint8)
        rgb = pal[label_map]
    alpha = np.where(label_map > 0, 255, 0).astype(np.uint8)
    return np.dstack([rgb, alpha])


def flow_rgb(flow: np.ndarray) -> np.ndarray:
    fx, fy = flow[..., 0].astype(np.float32), flow[..., 1].astype(np.float32)
    mag, ang = cv2.cartToPolar(fx, fy, angleInDegrees=True)
    hsv = np.zeros((*flow.shape[:2], 3), np.uint8)
    hsv[..., 0] = (ang / 2).astype(np.uint8)
    hsv[..., 1] = 255
    top = float(np.percentile(mag, 99)) or 1.0
    hsv[..., 2] = np.clip(mag / top * 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def grey_rgb(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.float32)
    lo, hi = float(v.min()), float(v.max())
    g = np.zeros(v.shape, np.uint8) if hi <= lo else ((v - lo) / (hi - lo) * 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def layer_rgba(layer: Layer) -> np.ndarray | None:
    """What a raster layer looks like, as uint8 RGB(A); None for non-raster layers."""
    if not isinstance(layer, RasterLayer):
        return None
    data = layer.data
    if isinstance(layer, ParsingLayer):
        return label_rgba(data, layer.label_set)
    if isinstance(layer, EdgeLayer):
        return np.dstack([np.full(data.shape + (3,), 255, np.uint8), data])
    if isinstance(layer, IntermediateLayer):
        if layer.role == "flow" and data.ndim == 3 and data.shape[2] == 2:
            return flow_rgb(data)
        if layer.role == "parsing" and np.issubdtype(data.dtype, np.integer):
            return label_rgba(data, "spt10")
        if data.ndim == 3 and data.shape[2] in (3, 4) and data.dtype == np.uint8:
            return data
        return grey_rgb(data if data.ndim == 2 else data[..., 0])
    return data


def region_rgba(layer: Layer, bbox: tuple[int, int, int, int]) -> np.ndarray | None:
    """What the (y0, x0, y1, x1) region of a layer looks like, for a partial redraw;
    None when the look depends on the whole layer (intermediates are normalised)."""
    y0, x0, y1, x1 = bbox
    if isinstance(layer, IntermediateLayer) or not isinstance(layer, RasterLayer):
        return None
    data = layer.data[y0:y1, x0:x1]
    if isinstance(layer, ParsingLayer):
        return label_rgba(data, layer.label_set)
    if isinstance(layer, EdgeLayer):
        return np.dstack([np.full(data.shape + (3,), 255, np.uint8), data])
    return data


def layer_qimage(layer: Layer) -> QImage | None:
    rgba = layer_rgba(layer)
    return None if rgba is None else qimage(rgba)
