"""Background fill for the puppet warp: push-pull interpolation over an image pyramid."""

from __future__ import annotations

import cv2
import numpy as np


def fill_background(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Fill ``hole`` (HxW, nonzero = unknown) smoothly from the pixels around it
    by push-pull interpolation over an image pyramid: weighted averages going
    down, the coarse estimate blended in going up wherever pixels were unknown.
    Known pixels keep their exact values. float32 result, same shape as image."""
    img = image.astype(np.float32)
    known = hole == 0
    if known.all():
        return img
    if not known.any():
        return np.zeros_like(img) + img.reshape(-1, img.shape[-1]).mean(0)
    wgt = known.astype(np.float32)
    # pull: premultiplied colour and weight, halved per level
    levels = []
    c, w = cv2.copyTo(img, known.astype(np.uint8)), wgt  # premultiplied by the 0/1 weight
    while min(w.shape) > 1:
        size = (max(1, (w.shape[1] + 1) // 2), max(1, (w.shape[0] + 1) // 2))
        c = cv2.resize(c, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0], -1)
        w = cv2.resize(w, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0])
        levels.append((c, w))
    c, w = levels[-1]
    color = c / np.maximum(w, 1e-6)[..., None]
    # push: where a level knows little, the coarser estimate shows through
    for c, w in reversed(levels[:-1]):
        up = cv2.resize(color, (w.shape[1], w.shape[0]), interpolation=cv2.INTER_LINEAR).reshape(c.shape)
        t = np.minimum(w * 4, 1)[..., None]
        color = c / np.maximum(w, 1e-6)[..., None] * t + up * (1 - t)
    up = cv2.resize(color, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR).reshape(img.shape)
    return cv2.copyTo(up, (~known).astype(np.uint8), img)
