"""Disocclusion: rebuild what a moved body uncovers.

The background behind the person is inpainted with OpenCV's Telea method (fast
marching, Telea 2004) on a downscaled copy and upsampled: studio backdrops and
most real backgrounds are smooth at that scale, and the downscale keeps it fast
on any image size. Body areas a moving limb uncovers (the torso behind an arm)
are inpainted the same way from the body around them.
"""

from __future__ import annotations

import cv2
import numpy as np

# Longer side of the copy the inpainting runs on.
INPAINT_SIDE = 256
# ... and of the copy a body area is rebuilt on (a smooth fill from the body around it).
FILL_SIDE = 128


def inpaint(image: np.ndarray, hole: np.ndarray, side: int = INPAINT_SIDE) -> np.ndarray:
    """``image`` (uint8 HxWx3) with the ``hole`` pixels (HxW, nonzero = unknown) rebuilt
    from the pixels around them by Telea inpainting at most ``side`` pixels across.
    Pixels outside the hole keep their exact values."""
    hole = np.asarray(hole) > 0
    if not hole.any():
        return image.copy()
    if hole.all():
        return np.broadcast_to(image.reshape(-1, 3).mean(0).astype(np.uint8), image.shape).copy()
    h, w = hole.shape
    s = min(1.0, side / max(h, w))
    sw, sh = max(1, round(w * s)), max(1, round(h * s))
    if s < 1.0:
        small = cv2.resize(image, (sw, sh), interpolation=cv2.INTER_AREA)
        # any small pixel that mixes in a hole pixel is unknown too
        small_hole = cv2.resize(hole.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA) > 0
        small_hole = cv2.dilate(small_hole.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    else:
        small, small_hole = image, hole
    if small_hole.all():
        small_hole = hole if s == 1.0 else small_hole
        known = ~hole
        fill = image[known].reshape(-1, 3).mean(0) if known.any() else np.zeros(3)
        out = image.copy()
        out[hole] = np.round(fill).astype(np.uint8)
        return out
    radius = max(3, round(max(sh, sw) / 40))
    filled = cv2.inpaint(np.ascontiguousarray(small), small_hole.astype(np.uint8), radius, cv2.INPAINT_TELEA)
    if s < 1.0:
        filled = cv2.resize(filled, (w, h), interpolation=cv2.INTER_LINEAR)
    out = image.copy()
    out[hole] = filled[hole]
    return out


def fill_from_surroundings(image: np.ndarray, todo: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """``image`` with the ``todo`` pixels inpainted from the ``donors`` pixels only (e.g. a
    torso uncovered by an arm, from the torso around it): everything neither todo nor
    donor is treated as unknown while filling, then left as it was."""
    todo = np.asarray(todo) > 0
    if not todo.any():
        return image
    donors = (np.asarray(donors) > 0) & ~todo
    if not donors.any():
        return image
    ys, xs = np.nonzero(todo)
    h, w = todo.shape
    g = max(4, round(0.1 * max(np.ptp(ys), np.ptp(xs), 8)))
    y0, y1, x0, x1 = (
        max(0, ys.min() - g),
        min(h, ys.max() + 1 + g),
        max(0, xs.min() - g),
        min(w, xs.max() + 1 + g),
    )
    sub, t, d = image[y0:y1, x0:x1], todo[y0:y1, x0:x1], donors[y0:y1, x0:x1]
    if not d.any():
        return image
    # Telea reads the nearest known pixels: make every non-donor pixel unknown so the
    # fill comes from the body, then keep only the todo part of the answer.
    filled = inpaint(sub, ~d, side=FILL_SIDE)
    out = image.copy()
    out[y0:y1, x0:x1][t] = filled[t]
    return out
