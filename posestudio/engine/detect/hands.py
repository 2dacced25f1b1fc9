"""Hands: 21 points each (OpenPose's hand order, which MediaPipe's hand model shares),
found in the region the body's wrist, index and pinky landmarks give, then once more in
the region the first answer gives (as MediaPipe's holistic tracking does)."""

from __future__ import annotations

import math

import numpy as np

from posestudio.engine.detect import geometry as g
from posestudio.engine.detect.runtime import run

LMK, SIDE = "hand_landmark_full.tflite", 224
# BlazePose (wrist, pinky, index) of the person's right and left hand
_FROM_POSE = ((16, 18, 20), (15, 17, 19))
_PARTIAL = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18]  # points that frame a hand, MediaPipe's choice


def roi_from_hand(pts: np.ndarray) -> g.Roi:
    """MediaPipe's hand-landmarks-to-region rule: upright along wrist -> middle knuckles, the box
    of the framing points in that frame, scaled 2x and moved 0.1 towards the fingers."""
    knuckles = ((pts[5] + pts[13]) / 2 + pts[9]) / 2
    angle = g.angle_between(pts[0], knuckles, math.pi / 2)
    c, s = math.cos(angle), math.sin(angle)
    p = pts[_PARTIAL]
    local = p @ np.array([[c, -s], [s, c]])  # rotate by -angle
    lo, hi = local.min(0), local.max(0)
    mid = (lo + hi) / 2 @ np.array([[c, s], [-s, c]])
    size = float(max(hi - lo))
    return g.Roi(float(mid[0]), float(mid[1]), size, angle).scaled(2.0, -0.1)


def hand_in(image: np.ndarray, roi: g.Roi) -> tuple[np.ndarray, float]:
    lm, flag, _, _ = run(LMK, g.crop(image, roi, SIDE, 0.0, 1.0))
    return roi.to_image(lm.reshape(21, 3)[:, :2], SIDE), float(flag.reshape(-1)[0])


def detect_hands(image: np.ndarray, pose_pts: np.ndarray, pose_vis: np.ndarray, min_score: float = 0.5):
    """([right (21, 2) or None, left ...], [right score, left score]) for one person."""
    hands, scores = [None, None], [0.0, 0.0]
    for side, (w, p, i) in enumerate(_FROM_POSE):
        if min(pose_vis[w], pose_vis[p], pose_vis[i]) < 0.3:
            continue
        mid = (2 * pose_pts[i] + pose_pts[p]) / 3
        if math.dist(mid, pose_pts[w]) < 1.0:
            continue
        roi = g.aligned_roi(mid, mid + (mid - pose_pts[w]), math.pi / 2, 2.7 / 2).scaled(1.0, -0.1)
        pts, score = hand_in(image, roi)
        if score >= min_score:
            pts, score = hand_in(image, roi_from_hand(pts))
        if score >= min_score:
            hands[side], scores[side] = pts, score
    return hands, scores
