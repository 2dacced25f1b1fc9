"""Smooth skinning: one continuous backward map per limb chain.

The rig (:mod:`.rig`) gives one 2x3 backward affine per rigid part. Rendering
each part with its own affine cuts the body at every joint. Here the parts are
grouped into chains that bend -- the body (hips, torso), the head (hanging from
the torso at the neck), each arm (its
upper arm and forearm, hanging from the torso at the shoulder) and each leg
(thigh and shin, hanging from the hips) -- and each chain gets one backward map
that blends its parts' affines with smooth weights: linear blend skinning, with
inverse-distance weights to the parts' bones in the target pose. On a bone its
part's affine rules; around a joint the two affines mix, so an elbow or a knee
bends instead of tearing, and the upper arm meets the torso without a seam.
The weights are computed on a coarse grid and their blended coefficients
upsampled, so the map is exact wherever all weights agree (identity stays identity).
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core import skeleton
from posestudio.core.pose import Pose
from posestudio.engine.warp.rig import _SEGMENTS

# The chains, each rendered as one layer; a limb chain hangs from its root part at a joint.
GROUPS: dict[str, tuple[str, ...]] = {
    "body": ("hips", "torso"),
    "head": ("head",),
    "r_arm": ("r_upper_arm", "r_forearm"),
    "l_arm": ("l_upper_arm", "l_forearm"),
    "r_leg": ("r_thigh", "r_shin"),
    "l_leg": ("l_thigh", "l_shin"),
}
ROOTS: dict[str, tuple[str, int]] = {
    "r_arm": ("torso", 2),
    "l_arm": ("torso", 5),
    "r_leg": ("hips", 8),
    "l_leg": ("hips", 11),
}
GROUP_OF = {part: g for g, parts in GROUPS.items() for part in parts}
# Weight falloff: w = exp(-(d - d_nearest) / tau), tau a fraction of the image's longer
# side: the nearest bone rules, two bones mix only where they are about as near (joints).
TAU = 1 / 50
# The coarse grid has at most this many points along its longer side.
GRID = 96


def _segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    den = float(ab @ ab)
    if den < 1e-9:
        return np.hypot(px - a[0], py - a[1])
    t = np.clip(((px - a[0]) * ab[0] + (py - a[1]) * ab[1]) / den, 0.0, 1.0)
    return np.hypot(px - (a[0] + t * ab[0]), py - (a[1] + t * ab[1]))


def _polygon_distance(px: np.ndarray, py: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Distance to a convex-ish polygon's edges, 0 inside it."""
    d = np.min([_segment_distance(px, py, poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly))], 0)
    # inside test by rasterising the polygon on the grid (the grid is regular)
    x0, y0 = float(px[0, 0]), float(py[0, 0])
    sx = float(px[0, 1] - px[0, 0]) if px.shape[1] > 1 else 1.0
    sy = float(py[1, 0] - py[0, 0]) if py.shape[0] > 1 else 1.0
    img = np.zeros(px.shape, np.uint8)
    grid_poly = np.clip((poly - [x0, y0]) / [max(sx, 1e-6), max(sy, 1e-6)], -1e6, 1e6)
    cv2.fillPoly(img, [np.round(grid_poly).astype(np.int32)], 1)
    inside = img > 0
    return np.where(inside, 0.0, d)


def part_distance(pose: Pose, part: str, px: np.ndarray, py: np.ndarray) -> np.ndarray | None:
    """Distance from each grid point to ``part``'s bone in ``pose``; None when the pose lacks it."""
    v, xy = pose.visible, pose.xy
    if part in _SEGMENTS:
        a, b, _ = _SEGMENTS[part]
        if v[a] and v[b]:
            return _segment_distance(px, py, xy[a], xy[b])
        return np.hypot(px - xy[a, 0], py - xy[a, 1]) if v[a] else None
    if part == "hips":
        hips = [j for j in (8, 11) if v[j]]
        if not hips:
            return None
        return _segment_distance(px, py, xy[hips[0]], xy[hips[-1]])
    if part == "torso":
        quad = [j for j in (2, 5, 11, 8) if v[j]]
        if len(quad) >= 3:
            return _polygon_distance(px, py, xy[quad])
        pts = [j for j in (1, 2, 5, 8, 11) if v[j]]
        if not pts:
            return None
        return np.min([_segment_distance(px, py, xy[pts[0]], xy[j]) for j in pts], 0)
    if part == "head":
        head = [j for j in skeleton.HEAD_JOINTS if v[j]]
        if not head:
            return None
        c = xy[head].mean(0)
        return _segment_distance(px, py, xy[1] if v[1] else c, c)
    return None


def chain_map(
    group: str,
    mats: dict[str, np.ndarray],
    target: Pose,
    roi: tuple[int, int, int, int],
    size: int,
    hard: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(map_x, map_y) float32 over ``roi`` = (x0, y0, w, h) of the target canvas: where
    each target pixel of chain ``group`` reads the source. ``hard``: each pixel takes
    its nearest bone's affine alone (for chains that read from different places)."""
    x0, y0, rw, rh = roi
    names = list(GROUPS[group])
    step = max(1.0, max(rw, rh) / GRID)
    gw, gh = max(2, int(np.ceil(rw / step)) + 1), max(2, int(np.ceil(rh / step)) + 1)
    gx = x0 + np.linspace(0, rw - 1, gw)
    gy = y0 + np.linspace(0, rh - 1, gh)
    px, py = np.meshgrid(gx, gy)
    dists, coefs = [], []
    for n in names:
        d = part_distance(target, n, px, py)
        if d is not None:
            dists.append(d)
            coefs.append(mats[n].reshape(-1))
    if group in ROOTS:
        parent, joint = ROOTS[group]
        if target.visible[joint]:
            dists.append(np.hypot(px - target.xy[joint, 0], py - target.xy[joint, 1]))
            coefs.append(mats[parent].reshape(-1))
    xx = np.arange(x0, x0 + rw, dtype=np.float32)[None, :]
    yy = np.arange(y0, y0 + rh, dtype=np.float32)[:, None]
    if not dists:
        m = np.asarray(mats[names[0]], np.float32)
        return (m[0, 0] * xx + m[0, 1] * yy + m[0, 2]).astype(np.float32), (
            m[1, 0] * xx + m[1, 1] * yy + m[1, 2]
        ).astype(np.float32)
    D = np.stack(dists)
    C = np.asarray(coefs, np.float64)  # K x 6
    # a mirrored affine (a back view turned to the front) and an unmirrored one do not blend
    dets = C[:, 0] * C[:, 4] - C[:, 1] * C[:, 3]
    hard = hard or bool((dets > 0).any() and (dets < 0).any())
    if hard:
        W = (D == D.min(0, keepdims=True)).astype(np.float64)
    else:
        W = np.exp(-(D - D.min(0, keepdims=True)) / max(1.0, TAU * size))
    W /= W.sum(0, keepdims=True)
    A = np.tensordot(C.T, W, axes=1).astype(np.float32)  # 6 x gh x gw
    # identical affines give identical coefficients wherever they are resampled
    same = np.ptp(C, axis=0) == 0
    up = []
    for i in range(6):
        if same[i]:
            up.append(np.float32(C[0, i]))
        else:
            up.append(cv2.resize(A[i], (rw, rh), interpolation=cv2.INTER_LINEAR))
    map_x = up[0] * xx + up[1] * yy + up[2]
    map_y = up[3] * xx + up[4] * yy + up[5]
    return np.broadcast_to(map_x, (rh, rw)).astype(np.float32), np.broadcast_to(map_y, (rh, rw)).astype(
        np.float32
    )
