"""A first parsing map for any photo, from the person matte and the skeleton.

No weights: the person is cut out by :func:`person_matte` (the engine's one person
matte: the detector's, else GrabCut seeded by the skeleton), each person pixel goes to the nearest body part of the skeleton
(head, torso, an arm, a leg), skin is told from cloth by its colour (sampled
on the face, between the eyes and the nose), the head splits into face and
hair, bare arms and legs from sleeves and trousers, and the clothes into upper
and lower by which of the two colours (torso, thighs) a pixel is nearer to.
A starting point for the artist's brush, not a finished map.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core import labels
from posestudio.core.pose import Pose

# COCO-18 chains of each part (the person's own left / right)
_ARMS = {"right arm": (2, 3, 4), "left arm": (5, 6, 7)}
_LEGS = {"right leg": (8, 9, 10), "left leg": (11, 12, 13)}
_HEAD = (0, 14, 15, 16, 17)


def person_matte(image: np.ndarray, pose: Pose) -> np.ndarray:
    """bool HxW: the person, as the engine finds it (:func:`posestudio.engine.warp.matte.person_matte`:
    the bundled detector's matte of the person under the skeleton, else GrabCut seeded by it)."""
    from posestudio.engine.warp.matte import person_matte as engine_matte

    if not pose.visible.any():
        return np.zeros(image.shape[:2], bool)
    return engine_matte(np.ascontiguousarray(image), pose) > 0.5


def _segment_distance(h: int, w: int, pose: Pose, chain) -> np.ndarray:
    """Distance of every pixel to the polyline through the visible joints of ``chain``."""
    pts = [j for j in chain if pose.visible[j]]
    line = np.zeros((h, w), np.uint8)
    if not pts:
        return np.full((h, w), np.inf, np.float32)
    if len(pts) == 1:
        x, y = np.round(pose.xy[pts[0]]).astype(int)
        cv2.circle(line, (int(x), int(y)), 1, 1, -1)
    for a, b in zip(pts, pts[1:], strict=False):
        cv2.line(line, tuple(map(int, np.round(pose.xy[a]))), tuple(map(int, np.round(pose.xy[b]))), 1, 1)
    return cv2.distanceTransform(1 - line, cv2.DIST_L2, 5)


def _skin_distance(lab: np.ndarray, image_lab: np.ndarray, pose: Pose) -> np.ndarray | None:
    """CIELAB-ish distance of every pixel to the skin colour sampled on the face."""
    face = [j for j in (0, 14, 15) if pose.visible[j]]
    if not face:
        return None
    h, w = lab.shape
    c = pose.xy[face].mean(0)
    r = max(2, round(min(h, w) / 128))
    y0, y1 = int(max(0, c[1] - r)), int(min(h, c[1] + r + 1))
    x0, x1 = int(max(0, c[0] - r)), int(min(w, c[0] + r + 1))
    if y1 <= y0 or x1 <= x0:
        return None
    skin = np.median(image_lab[y0:y1, x0:x1].reshape(-1, 3), 0)
    d = image_lab - skin
    d[..., 0] *= 0.5  # shading changes lightness more than hue
    return np.sqrt((d**2).sum(-1))


def skin_colour(image: np.ndarray) -> np.ndarray:
    """bool HxW: pixels in the usual skin range of YCrCb (Cr 133..173, Cb 77..127)."""
    ycc = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    return (cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127) & (ycc[..., 0] > 40)


def estimate(image: np.ndarray, pose: Pose | None, label_set: str = "spt10",
             matte: np.ndarray | None = None) -> np.ndarray:
    """uint8 HxW parsing map in ``label_set`` of the person in ``image`` (in ``pose``).
    ``matte`` (bool HxW) replaces the GrabCut cut-out when given."""
    h, w = image.shape[:2]
    if pose is None or not pose.visible.any():
        return np.zeros((h, w), np.uint8)
    spt = labels.get("spt10")
    person = person_matte(image, pose) if matte is None else np.asarray(matte, bool)
    image_lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    parts = {"head": _HEAD, "torso": (2, 5, 11, 8, 2), **_ARMS, **_LEGS}
    dist = np.stack([_segment_distance(h, w, pose, c) for c in parts.values()])
    torso = np.zeros((h, w), np.uint8)
    tj = [j for j in (2, 5, 11, 8) if pose.visible[j]]
    if len(tj) >= 3:
        cv2.fillPoly(torso, [np.round(pose.xy[tj]).astype(np.int32)], 1)
    dist[1][torso > 0] = 0
    names = list(parts)
    part = np.argmin(dist, 0)
    out = np.zeros((h, w), np.uint8)
    skin = skin_colour(image)
    skin_d = _skin_distance(out, image_lab, pose)
    if skin_d is not None and (skin & (skin_d < 10)).any():  # the face shows skin: keep near its colour
        skin &= skin_d < 30
    for i, name in enumerate(names):
        m = person & (part == i)
        if name == "head":
            out[m] = spt.index("face")
            out[m & ~skin] = spt.index("hair")
        elif name == "torso":
            out[m] = spt.index("upper clothes")
        elif name in _ARMS:
            out[m] = spt.index(name)
            out[m & ~skin] = spt.index("upper clothes")
        else:
            out[m] = spt.index(name)
            out[m & ~skin] = spt.index("pants")
    # upper vs lower clothes by colour: each cloth pixel goes to the nearer of the two means
    cloth = np.isin(out, (spt.index("upper clothes"), spt.index("pants")))
    up, low = cloth & (out == spt.index("upper clothes")), cloth & (out == spt.index("pants"))
    if up.sum() > 20 and low.sum() > 20:
        mu, ml = image_lab[up].mean(0), image_lab[low].mean(0)
        du = np.linalg.norm(image_lab - mu, axis=-1)
        dl = np.linalg.norm(image_lab - ml, axis=-1)
        hips = [j for j in (8, 11) if pose.visible[j]]
        band = np.zeros((h, w), bool)
        if hips:  # only near the waist may colour move the boundary
            hy = float(pose.xy[hips, 1].mean())
            band[max(0, int(hy - h / 10)):min(h, int(hy + h / 10))] = True
        out[cloth & band & (du < dl)] = spt.index("upper clothes")
        out[cloth & band & (dl <= du)] = spt.index("pants")
    return out if labels.get(label_set).name == "spt10" else labels.convert(out, "spt10", label_set)
