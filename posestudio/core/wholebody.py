"""OpenPose's whole-body extras: 21 points per hand and 70 face points.

Hands are (2, 21, 3) arrays, right hand first, OpenPose's hand order (wrist, then four
points per finger from thumb to little finger); the face is (70, 3), the 68 iBUG
points then the right and left pupil. The third column is the confidence; a point
with confidence <= 0 is missing. Hands hang from their wrist joints and the face
from the nose: moving, mirroring or interpolating the body carries them along.
"""

from __future__ import annotations

import math

import numpy as np

from posestudio.errors import InputError

HAND_POINTS, FACE_POINTS = 21, 70
HAND_WRIST_JOINT = (4, 7)  # COCO-18 r_wrist, l_wrist
HAND_ELBOW_JOINT = (3, 6)  # the forearm's other end: a hand turns with its forearm
FACE_JOINT, FACE_PARENT_JOINT = 0, 1  # the face hangs from the nose and turns with the neck -> nose line
# hand bones: each finger is wrist -> 4 points, thumb first
HAND_BONES: tuple[tuple[int, int], ...] = tuple(
    (0 if k == 0 else 4 * f + k, 4 * f + k + 1) for f in range(5) for k in range(4)
)


def _face_flip() -> tuple[int, ...]:
    pairs = [(i, 16 - i) for i in range(8)]  # jaw
    pairs += [(17 + i, 26 - i) for i in range(5)]  # brows
    pairs += [(31, 35), (32, 34)]  # nostrils
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]  # eyes
    pairs += [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67), (68, 69)]
    perm = list(range(FACE_POINTS))
    for a, b in pairs:
        perm[a], perm[b] = b, a
    return tuple(perm)


# mirrored_face[i] = face[FACE_FLIP[i]]: the person's right eye becomes the left one
FACE_FLIP = _face_flip()


def check(hands, face) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Validated float64 copies (InputError with one line when a shape or number is wrong)."""
    out = []
    for name, arr, shape in (("hands", hands, (2, HAND_POINTS, 3)), ("face", face, (FACE_POINTS, 3))):
        if arr is None:
            out.append(None)
            continue
        a = np.array(arr, dtype=np.float64)
        if a.shape != shape:
            raise InputError(f"{name} points need shape {shape}, got {a.shape}")
        if not np.isfinite(a).all():
            raise InputError(f"{name} points are not finite numbers (NaN or inf)")
        out.append(a)
    return out[0], out[1]


def affine(points: np.ndarray | None, m: np.ndarray) -> np.ndarray | None:
    """Points (..., 3) moved by a 2x3 affine matrix; confidences unchanged."""
    if points is None:
        return None
    out = points.copy()
    out[..., :2] = points[..., :2] @ m[:, :2].T + m[:, 2]
    return out


def _carry(points: np.ndarray, a0, a1, b0, b1, turn: bool) -> np.ndarray:
    """Points hanging from anchor ``a``: moved with it from a0 to a1 and, when ``turn``,
    turned about it as the line b -> a turned (b0 -> a0 became b1 -> a1)."""
    a0, a1, b0, b1 = (np.asarray(v, np.float64) for v in (a0, a1, b0, b1))
    if np.array_equal(a0, a1) and (not turn or np.array_equal(b0, b1)):
        return points
    ang = 0.0
    if turn and np.hypot(*(a0 - b0)) > 1e-9 and np.hypot(*(a1 - b1)) > 1e-9:
        ang = math.atan2(*(a1 - b1)[::-1]) - math.atan2(*(a0 - b0)[::-1])
    c, s = math.cos(ang), math.sin(ang)
    out = points.copy()
    out[..., :2] = (points[..., :2] - a0) @ np.array([[c, s], [-s, c]]) + a1
    return out


def follow(old_xy: np.ndarray, new_xy: np.ndarray, visible: np.ndarray, hands, face):
    """(hands, face) carried along when the body's joints move from ``old_xy`` to ``new_xy``:
    each hand with its wrist, turning with its forearm; the face with the nose, turning
    with the neck -> nose line (only when those joints are shown)."""
    if hands is not None:
        hands = hands.copy()
        for s, (w, e) in enumerate(zip(HAND_WRIST_JOINT, HAND_ELBOW_JOINT, strict=True)):
            hands[s] = _carry(hands[s], old_xy[w], new_xy[w], old_xy[e], new_xy[e], bool(visible[e] and visible[w]))
    if face is not None:
        f, n = FACE_JOINT, FACE_PARENT_JOINT
        face = _carry(face, old_xy[f], new_xy[f], old_xy[n], new_xy[n], bool(visible[f] and visible[n]))
    return hands, face


def mirrored(hands, face, width: float):
    """Flipped in an image ``width`` wide: x -> width-1-x, the hands swap, the face's sides swap."""
    if hands is not None:
        hands = hands[::-1].copy()
        hands[..., 0] = (width - 1) - hands[..., 0]
    if face is not None:
        face = face[list(FACE_FLIP)].copy()
        face[:, 0] = (width - 1) - face[:, 0]
    return hands, face


def swapped_sides(hands, face):
    """Left and right labels swapped, no point moved."""
    return (None if hands is None else hands[::-1].copy(),
            None if face is None else face[list(FACE_FLIP)].copy())  # fmt: skip


def _moved(p: np.ndarray, anchor, anchor_t) -> np.ndarray:
    out = p.copy()
    if anchor is not None and anchor_t is not None:
        out[..., :2] += anchor_t - anchor
    return out


def _follow(pa, pb, anchor_a, anchor_b, anchor_t, t: float):
    """Points hanging from an anchor, interpolated: each keyframe's points are carried to the
    anchor's interpolated place, then blended. A point (or a whole set) shown in one keyframe
    only is shown for the nearer half, as body joints are."""
    if pa is None and pb is None:
        return None
    if pa is None or pb is None:
        if (pa is None) == (t < 0.5):
            return None
        return _moved(pa, anchor_a, anchor_t) if pb is None else _moved(pb, anchor_b, anchor_t)
    ma, mb = _moved(pa, anchor_a, anchor_t), _moved(pb, anchor_b, anchor_t)
    out = (1 - t) * ma + t * mb
    va, vb = pa[..., 2] > 0, pb[..., 2] > 0
    for only, src, shown in ((va & ~vb, ma, t < 0.5), (vb & ~va, mb, t >= 0.5), (~va & ~vb, ma, False)):
        out[only] = src[only]
        if not shown:
            out[only, 2] = 0.0
    return out


def interpolated(a, b, body_xy: np.ndarray, t: float):
    """(hands, face) of the pose ``t`` of the way from Pose ``a`` to Pose ``b`` whose body
    joints are ``body_xy``: each hand follows its wrist, the face its nose."""
    def anchor(p, j):
        return p.xy[j] if p.visible[j] else None

    hands = None
    if a.hands is not None or b.hands is not None:
        hands = np.zeros((2, HAND_POINTS, 3))
        for s, j in enumerate(HAND_WRIST_JOINT):
            h = _follow(None if a.hands is None else a.hands[s], None if b.hands is None else b.hands[s],
                        anchor(a, j), anchor(b, j), body_xy[j], t)  # fmt: skip
            if h is not None:
                hands[s] = h
        if not (hands[..., 2] > 0).any():
            hands = None
    face = _follow(a.face, b.face, anchor(a, FACE_JOINT), anchor(b, FACE_JOINT), body_xy[FACE_JOINT], t)
    return hands, face


def to_json(hands, face) -> dict:
    """The extras for a project/keyframe file (full precision; absent ones left out)."""
    out = {}
    if hands is not None:
        out["hands"] = [[[float(v) for v in p] for p in h] for h in hands]
    if face is not None:
        out["face"] = [[float(v) for v in p] for p in face]
    return out


def from_json(obj: dict):
    return check(obj.get("hands"), obj.get("face"))
