"""Whole-body detection from bundled models: people -> COCO-18 body, hands, face, matte.

MediaPipe's models (BlazePose, face mesh, iris, hands; :mod:`.models` installs them)
run in LiteRT; the pre- and post-processing is ours (:mod:`.geometry`). BlazePose's
33 landmarks map to COCO-18 (the neck is the shoulders' midpoint, as OpenPose's
COCO model defines it); hands are 21 OpenPose hand points each; the face is the
68 iBUG points (:func:`posestudio.core.face_edges.mediapipe_to_ibug68`) plus the
two pupils. ``detect_people`` is the entry point; it never touches Qt and runs in
the engine's worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from posestudio.core.face_edges import draw_face_edges, mediapipe_to_ibug68
from posestudio.core.pose import Pose
from posestudio.engine.detect.image import as_rgb8
from posestudio.engine.detect.models import INSTALL_HINT, install_models, installed, models_dir

__all__ = [
    "COCO18_FROM_BLAZEPOSE", "INSTALL_HINT", "Person", "as_rgb8", "blazepose_to_coco18", "detect_people",
    "face_edges", "install_models", "installed", "models_dir", "people_matte", "whole_body_pose",
]

WORK_SIDE = 1536  # longest side the detectors work at (hands and face are cropped from it too)

# COCO-18 joint -> BlazePose landmark index (None: the neck, the shoulders' midpoint).
COCO18_FROM_BLAZEPOSE: tuple[int | None, ...] = (
    0, None,      # nose, neck
    12, 14, 16,   # right shoulder, elbow, wrist
    11, 13, 15,   # left shoulder, elbow, wrist
    24, 26, 28,   # right hip, knee, ankle
    23, 25, 27,   # left hip, knee, ankle
    5, 2, 8, 7,   # right eye, left eye, right ear, left ear
)  # fmt: skip


@dataclass
class Person:
    """One detected person. Points are image pixels; confidences in [0, 1]; hands (2, 21, 2)
    (right, left) and face (70, 2) are None where not found."""

    pose: Pose
    confidence: np.ndarray  # (18,)
    matte: np.ndarray  # (H, W) float32 in [0, 1]
    score: float
    hands: list = field(default_factory=lambda: [None, None])  # right, left: (21, 2) or None
    hand_confidence: list = field(default_factory=lambda: [0.0, 0.0])
    face: np.ndarray | None = None  # (70, 2): 68 iBUG + right pupil + left pupil
    face_confidence: float = 0.0
    mesh: np.ndarray | None = None  # (468, 2) face mesh, for the face edge map


def blazepose_to_coco18(
    pts: np.ndarray, visibility: np.ndarray, width: int, height: int, min_visibility: float = 0.5
) -> tuple[Pose, np.ndarray]:
    """(33, 2) BlazePose landmarks in pixels and their visibility -> (COCO-18 Pose, (18,)
    confidence). A joint is visible when its visibility reaches ``min_visibility`` and it lies
    inside the image; the neck when both shoulders are."""
    pts = np.asarray(pts, np.float64)
    visibility = np.asarray(visibility, np.float64)
    if pts.shape[0] < 33 or visibility.shape[0] < 33:
        raise ValueError(f"expected 33 BlazePose landmarks, got {pts.shape}")
    inside = (pts[:, 0] >= 0) & (pts[:, 0] < width) & (pts[:, 1] >= 0) & (pts[:, 1] < height)
    conf = np.where(inside, visibility, 0.0)
    xy, c = np.zeros((18, 2)), np.zeros(18)
    for j, k in enumerate(COCO18_FROM_BLAZEPOSE):
        if k is None:
            xy[j], c[j] = (pts[11] + pts[12]) / 2, min(conf[11], conf[12])
        else:
            xy[j], c[j] = pts[k], conf[k]
    return Pose(xy, c >= min_visibility), c


def face_edges(points: np.ndarray, height: int, width: int, line_width: int | None = None) -> np.ndarray:
    """uint8 HxW face edge map of MediaPipe face mesh landmarks ``points`` (468 or 478, pixels):
    mapped to the 68 iBUG points and drawn with the synthetic faces' rule."""
    return draw_face_edges(mediapipe_to_ibug68(points), height, width, line_width)


def detect_people(image, hands: bool = True, face: bool = True, max_people: int = 8) -> list[Person]:
    """Everyone in ``image`` (any PIL/numpy image: gray, 16-bit, alpha are converted), the
    most prominent first. Empty when nobody is found."""
    from posestudio.engine.detect.body import detect_bodies

    full = as_rgb8(image)
    h, w = full.shape[:2]
    # the models see 128-256 px crops: a huge picture is first shrunk with area averaging
    # (no aliasing, and the crops and mattes stay cheap); points are scaled back after
    scale = min(1.0, WORK_SIDE / max(h, w))
    rgb = full if scale == 1.0 else cv2.resize(full, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    people = []
    for b in detect_bodies(rgb)[:max_people]:
        pose, conf = blazepose_to_coco18(b.landmarks, b.visibility, rgb.shape[1], rgb.shape[0])
        p = Person(pose, conf, b.matte, b.score)
        if hands:
            from posestudio.engine.detect.hands import detect_hands

            p.hands, p.hand_confidence = detect_hands(rgb, b.landmarks, b.visibility)
        if face:
            from posestudio.engine.detect.face import detect_face

            p.face, p.face_confidence, p.mesh = detect_face(rgb, b.landmarks, b.visibility)
        people.append(p if scale == 1.0 else _unscaled(p, scale, h, w))
    people.sort(key=lambda p: -float(p.matte.sum()))
    return people


def _unscaled(p: Person, scale: float, height: int, width: int) -> Person:
    """A person found in a picture shrunk by ``scale``, in the full picture's pixels."""

    def up(xy):
        return None if xy is None else (np.asarray(xy) + 0.5) / scale - 0.5

    p.pose = Pose(up(p.pose.xy), p.pose.visible)
    p.hands = [up(h) for h in p.hands]
    p.face, p.mesh = up(p.face), up(p.mesh)
    p.matte = cv2.resize(p.matte, (width, height), interpolation=cv2.INTER_LINEAR)
    return p


def people_matte(people: list[Person], height: int, width: int) -> np.ndarray:
    """(H, W) float32 soft matte of everyone (the brightest of their mattes)."""
    out = np.zeros((height, width), np.float32)
    for p in people:
        np.maximum(out, p.matte, out=out)
    return out


def whole_body_pose(person: Person) -> Pose:
    """The person's Pose with hands and face (confidence: the hand's / face's model score)."""
    hands = None
    if any(h is not None for h in person.hands):
        hands = np.zeros((2, 21, 3))
        for s, (h, c) in enumerate(zip(person.hands, person.hand_confidence, strict=True)):
            if h is not None:
                hands[s, :, :2], hands[s, :, 2] = h, round(float(c), 3)
    face = None
    if person.face is not None:
        face = np.hstack([person.face, np.full((70, 1), round(float(person.face_confidence), 3))])
    return Pose(person.pose.xy, person.pose.visible, hands, face)
