"""Legs the frame cut off: a close-up posed as a full figure.

The source shows the hips and the top of the trousers; the target shows knees and
ankles. Such a leg reads a straight strip running down from the source hip along the
torso axis (out of the frame, where the garment's last row continues), mapped bone by
bone onto the target leg, inside a leg-wide outline around the target bones, so the
garment follows the leg however it bends; the hips stop spreading below the trunk.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core.pose import Pose
from posestudio.engine.warp.rig import _body_scale, _segment_map
from posestudio.engine.warp.skinning import GROUPS, _polygon_distance, _segment_distance

_LEG_JOINTS = {"r_leg": (8, 9, 10), "l_leg": (11, 12, 13)}


def _continued_leg(group: str, src: Pose, dst: Pose, h: int, w: int):
    """For a leg the target shows further down than the source (knee or ankle cut off by
    the frame): ((x0, y0, w, h) target rectangle of the leg, its half-width); else None."""
    if group not in _LEG_JOINTS:
        return None
    hip, knee, ankle = _LEG_JOINTS[group]
    shown = [j for j in (knee, ankle) if dst.visible[j]]
    if not dst.visible[hip] or not shown or all(src.visible[j] for j in shown):
        return None
    if not (dst.visible[8] and dst.visible[11]):
        return None
    half = 0.4 * float(np.hypot(*(dst.xy[8] - dst.xy[11])))
    pts = dst.xy[[hip, *shown]]
    r = max(2.0, half)
    x0, y0 = np.floor(pts.min(0) - r).astype(int)
    x1, y1 = np.ceil(pts.max(0) + r).astype(int) + 1
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return None
    return (int(x0), int(y0), int(x1 - x0), int(y1 - y0)), r


def _trunk_or_inside(pose: Pose, mx, my, roi, w: int, h: int) -> np.ndarray:
    """float32 over ``roi``: 1 where the body layer reads inside the photo or lies within
    a little of the target's trunk (shoulders-hips quadrilateral); 0 elsewhere, so the hips
    cut by the frame do not spread below it where the legs take over."""
    inside = (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    quad = [j for j in (2, 5, 11, 8) if pose.visible[j]]
    if len(quad) < 3:
        return inside.astype(np.float32)
    x0, y0, rw, rh = roi
    px, py = np.meshgrid(np.arange(x0, x0 + rw, dtype=np.float64), np.arange(y0, y0 + rh, dtype=np.float64))
    span = float(np.hypot(*(pose.xy[8] - pose.xy[11]))) if pose.visible[[8, 11]].all() else 8.0
    near = _polygon_distance(px, py, pose.xy[quad]) <= 0.25 * span
    return (inside | near).astype(np.float32)


def _leg_maps(group: str, src: Pose, dst: Pose) -> dict[str, np.ndarray]:
    """Backward maps for a leg the frame cut off: its target bones read a straight strip
    running down from the source hip along the torso axis (out of the frame, where the
    garment's last row continues), so the texture follows the leg however it bends."""
    hip, knee, ankle = _LEG_JOINTS[group]
    thigh, shin = GROUPS[group]
    mids = [j for j in (8, 11) if src.visible[j]]
    if not (src.visible[1] and mids and src.visible[hip]):
        return {}
    down = src.xy[mids].mean(0) - src.xy[1]
    down /= max(float(np.hypot(*down)), 1e-6)
    g = _body_scale(src, dst)
    out, s0, t0 = {}, src.xy[hip], dst.xy[hip]
    for part, j in ((thigh, knee), (shin, ankle)):
        if not dst.visible[j]:
            break
        s1 = s0 + down * g * float(np.hypot(*(dst.xy[j] - t0)))
        m = _segment_map(t0, dst.xy[j], s0, s1, g)
        if m is None:
            break
        out[part], s0, t0 = m, s1, dst.xy[j]
    return out


def _capsule_alpha(pose: Pose, joints, r: float, roi) -> np.ndarray:
    """float32 alpha over ``roi``: 1 within ``r`` of the bones through ``joints``, soft edge."""
    x0, y0, rw, rh = roi
    px, py = np.meshgrid(np.arange(x0, x0 + rw, dtype=np.float32), np.arange(y0, y0 + rh, dtype=np.float32))
    vis = [j for j in joints if pose.visible[j]]
    d = np.full((rh, rw), np.inf, np.float32)
    for a, b in zip(vis[:-1], vis[1:], strict=True):
        d = np.minimum(d, _segment_distance(px, py, pose.xy[a], pose.xy[b]).astype(np.float32))
    # a leg narrows towards the ankle
    return np.clip(r - d + 0.5, 0.0, 1.0).astype(np.float32)


# the quadrilaterals between the legs: thighs (hips to knees), shins (knees to ankles)
_BETWEEN = ((8, 11, 12, 9), (9, 12, 13, 10))


def between_legs(src: Pose, dst: Pose, matte: np.ndarray, h: int, w: int) -> np.ndarray:
    """bool HxW: target pixels between the legs that the source shows as body (a dress or
    skirt spans the gap between the thighs; trousers leave backdrop there). Each quadrilateral
    between the legs (hips-knees, knees-ankles) shown by both poses maps the source matte
    onto the target's by the homography of its four joints, so a hem keeps its height. Legs
    the source shows together say nothing about what lies between them: such a quadrilateral
    is skipped (see :func:`_skirt_between`)."""
    out = np.zeros((h, w), bool)
    for quad in _BETWEEN:
        if not (src.visible[list(quad)].all() and dst.visible[list(quad)].all()):
            continue
        s, t = src.xy[list(quad)].astype(np.float32), dst.xy[list(quad)].astype(np.float32)
        if not all(cv2.isContourConvex(q.reshape(-1, 1, 2)) and cv2.contourArea(q) > 16 for q in (s, t)):
            continue
        if not _skirt_between(src, quad, matte):
            continue
        x0, y0 = np.maximum(np.floor(t.min(0)).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(t.max(0)).astype(int) + 1, [w, h])
        if x1 <= x0 or y1 <= y0:
            continue
        inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(inside, np.round(t - [x0, y0]).astype(np.int32), 1)
        hm = cv2.getPerspectiveTransform(t - np.float32([x0, y0]), s)
        body = cv2.warpPerspective(matte.astype(np.float32), hm, (x1 - x0, y1 - y0),
                                   flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=0.0)  # fmt: skip
        out[y0:y1, x0:x1] |= (inside > 0) & (body > 0.5)
    return out


def _skirt_between(src: Pose, quad, matte: np.ndarray) -> bool:
    """Does the source show body between the legs in ``quad``? Measured away from the legs
    (further than 0.3 hip widths from both bones); legs shown together (too little left to
    measure) or a quadrilateral mostly past the frame: no."""
    h, w = matte.shape
    q = src.xy[list(quad)]
    x0, y0 = np.maximum(np.floor(q.min(0)).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(q.max(0)).astype(int) + 1, [w, h])
    if x1 <= x0 or y1 <= y0:
        return False
    px, py = np.meshgrid(np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64))
    r = 0.3 * float(np.hypot(*(src.xy[8] - src.xy[11])))
    a, b, c, d = quad  # right top, left top, left bottom, right bottom
    away = (_segment_distance(px, py, src.xy[a], src.xy[d]) > r) & (
        _segment_distance(px, py, src.xy[b], src.xy[c]) > r
    )
    inside = np.zeros(px.shape, np.uint8)
    cv2.fillConvexPoly(inside, np.round(q - [x0, y0]).astype(np.int32), 1)
    inner = away & (inside > 0)
    if inner.sum() < max(16, 0.15 * cv2.contourArea(q.astype(np.float32))):
        return False
    return float(matte[y0:y1, x0:x1][inner].mean()) > 0.5
