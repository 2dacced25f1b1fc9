"""The ControlNet-compatible OpenPose skeleton image: OpenPose colours on black.

Limbs are ellipses of a fixed width in output pixels and joints are discs, at
60% opacity for limbs as the OpenPose renderer draws them, so the picture reads
the same at any canvas zoom (the width depends only on the output size). Hands and
face, where a pose has them, are drawn in ControlNet's openpose_full style: hand
bones in a rainbow that gives each finger its own hues, blue hand points, the face
as white dots.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from posestudio.core import skeleton, wholebody
from posestudio.core.pose import Pose


def render(poses, width: int, height: int, stick_width: int = 4, joint_radius: int = 4,
           scale: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """(H, W, 3) uint8 RGB skeleton image of one or several poses.

    ``scale`` maps pose pixels to output pixels (e.g. when rendering a 256x176
    pose into a 512x352 image); line width stays ``stick_width`` output pixels.
    """
    if isinstance(poses, Pose):
        poses = [poses]
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    sx, sy = scale
    for pose in poses:
        xy = pose.xy * np.array([sx, sy])
        for k, (a, b) in enumerate(skeleton.LIMBS):
            if not (pose.visible[a] and pose.visible[b]):
                continue
            (x0, y0), (x1, y1) = xy[a], xy[b]
            length = math.hypot(x1 - x0, y1 - y0)
            angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
            poly = cv2.ellipse2Poly(
                (int(round((x0 + x1) / 2)), int(round((y0 + y1) / 2))),
                (int(round(length / 2)), stick_width), int(round(angle)), 0, 360, 1,
            )
            layer = canvas.copy()
            cv2.fillConvexPoly(layer, poly, skeleton.COLORS[k])
            canvas = cv2.addWeighted(canvas, 0.4, layer, 0.6, 0)
        for j in np.flatnonzero(pose.visible):
            cv2.circle(canvas, (int(round(xy[j, 0])), int(round(xy[j, 1]))), joint_radius,
                       skeleton.COLORS[j], thickness=-1, lineType=cv2.LINE_AA)
        draw_hands_face(canvas, pose, (sx, sy))
    return canvas


def hand_bone_colors() -> list[tuple[int, int, int]]:
    """RGB of the 20 hand bones: hue i/20 (ControlNet's hand colours: thumb red to little
    finger magenta, each finger a band of hues)."""
    n = len(wholebody.HAND_BONES)
    hsv = np.array([[[round(180 * i / n), 255, 255] for i in range(n)]], np.uint8)
    return [tuple(int(v) for v in c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0]]


def draw_hands_face(canvas: np.ndarray, pose: Pose, scale=(1.0, 1.0), width: int = 2, dot: int = 3) -> None:
    """Hands (coloured bones, blue points) and face (white dots) of ``pose`` onto ``canvas``."""
    s = np.array(scale, np.float64)

    def pt(p):
        return int(round(p[0] * s[0])), int(round(p[1] * s[1]))

    if pose.hands is not None:
        colors = hand_bone_colors()
        for hand in pose.hands:
            for k, (a, b) in enumerate(wholebody.HAND_BONES):
                if hand[a, 2] > 0 and hand[b, 2] > 0:
                    cv2.line(canvas, pt(hand[a]), pt(hand[b]), colors[k], width, cv2.LINE_AA)
            for p in hand[hand[:, 2] > 0]:
                cv2.circle(canvas, pt(p), dot, (0, 0, 255), -1, cv2.LINE_AA)
    if pose.face is not None:
        for p in pose.face[pose.face[:, 2] > 0]:
            cv2.circle(canvas, pt(p), dot, (255, 255, 255), -1, cv2.LINE_AA)
