"""The face: a face box found near the body's head landmarks, 468 face mesh points in it
(twice: the second region comes from the first mesh, as MediaPipe's tracking does), the 68
iBUG points mapped from the mesh, and the two pupils from the iris model."""

from __future__ import annotations

import math

import numpy as np

from posestudio.core.face_edges import mediapipe_to_ibug68
from posestudio.engine.detect import geometry as g
from posestudio.engine.detect.runtime import run

DET, DET_SIDE = "face_detection_short_range.tflite", 128
MESH, MESH_SIDE = "face_landmark.tflite", 192
IRIS, IRIS_SIDE = "iris_landmark.tflite", 64
_ANCHORS = g.ssd_anchors(DET_SIDE, (8, 16, 16, 16))
# eye corners in the mesh: the person's right eye (image left for a frontal face), then left
_EYES = ((33, 133), (362, 263))


def find_face(image: np.ndarray, head: g.Roi, threshold: float = 0.5) -> g.Roi | None:
    """The face region (MediaPipe's rule: detector box x1.5, upright along the eyes)."""
    boxes, scores = run(DET, g.crop(image, head, DET_SIDE, -1.0, 1.0))
    p, box, kps = g.decode_ssd(boxes[0], scores[0], _ANCHORS, DET_SIDE, threshold)
    found = g.weighted_nms(p, box, kps)
    if not found:
        return None
    _, b, k = found[0]
    c = head.to_image(b[None, :2] * DET_SIDE, DET_SIDE)[0]
    eyes = head.to_image(k[:2] * DET_SIDE, DET_SIDE)
    size = max(b[2], b[3]) * head.size * 1.5
    return g.Roi(float(c[0]), float(c[1]), float(size), g.angle_between(eyes[0], eyes[1], 0.0))


def mesh_in(image: np.ndarray, roi: g.Roi) -> tuple[np.ndarray, float]:
    lm, flag = run(MESH, g.crop(image, roi, MESH_SIDE, 0.0, 1.0))
    return roi.to_image(lm.reshape(468, 3)[:, :2], MESH_SIDE), float(g.sigmoid(flag.reshape(-1)[0]))


def roi_from_mesh(pts: np.ndarray) -> g.Roi:
    angle = g.angle_between(pts[33], pts[263], 0.0)
    c, s = math.cos(angle), math.sin(angle)
    local = pts @ np.array([[c, -s], [s, c]])
    lo, hi = local.min(0), local.max(0)
    mid = (lo + hi) / 2 @ np.array([[c, s], [-s, c]])
    return g.Roi(float(mid[0]), float(mid[1]), float(max(hi - lo)) * 1.5, angle)


def pupils(image: np.ndarray, mesh: np.ndarray) -> np.ndarray:
    """(2, 2) right and left pupil (the iris model's centre; it sees left eyes, so the right
    eye is mirrored in and out)."""
    out = np.zeros((2, 2))
    for k, (a, b) in enumerate(_EYES):
        roi = g.Roi(*((mesh[a] + mesh[b]) / 2), 2.3 * math.dist(mesh[a], mesh[b]),
                    g.angle_between(mesh[a], mesh[b], 0.0))
        x = g.crop(image, roi, IRIS_SIDE, 0.0, 1.0)
        flip = k == 1
        if flip:
            x = x[:, :, ::-1]
        _, iris = run(IRIS, x)
        c = iris.reshape(5, 3)[0, :2].copy()
        if flip:
            c[0] = IRIS_SIDE - c[0]
        out[k] = roi.to_image(c[None], IRIS_SIDE)[0]
    return out


def detect_face(image: np.ndarray, pose_pts: np.ndarray, pose_vis: np.ndarray, min_score: float = 0.5):
    """((70, 2) 68 iBUG points + right and left pupil, score, (468, 2) mesh) or (None, 0, None)."""
    head_pts = pose_pts[:11]
    if pose_vis[:11].max() < 0.5:
        return None, 0.0, None
    centre = head_pts.mean(0)
    span = max(np.ptp(head_pts[:, 0]), np.ptp(head_pts[:, 1]), 1.0)
    roi = find_face(image, g.Roi(float(centre[0]), float(centre[1]), 3.0 * span))
    if roi is None:
        return None, 0.0, None
    mesh, score = mesh_in(image, roi)
    if score < min_score:
        return None, 0.0, None
    mesh, score = mesh_in(image, roi_from_mesh(mesh))
    if score < min_score:
        return None, 0.0, None
    return np.vstack([mediapipe_to_ibug68(mesh), pupils(image, mesh)]), score, mesh
