"""People's bodies: BlazePose detection (SSD) -> 33 landmarks and a soft matte per person."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posestudio.engine.detect import geometry as g
from posestudio.engine.detect.runtime import run

DET, LMK = "pose_detection.tflite", "pose_landmark_full.tflite"
DET_SIDE, LMK_SIDE = 224, 256
DETECT_THRESHOLD = 0.3  # the detector's score a candidate needs; the landmark score decides
STRONG = 0.5  # MediaPipe's own detection threshold
_ANCHORS = g.ssd_anchors(DET_SIDE, (8, 16, 32, 32, 32))


@dataclass
class Body:
    landmarks: np.ndarray  # (33, 2) image pixels
    visibility: np.ndarray  # (33,) in [0, 1]: seen (not hidden, inside the picture)
    score: float  # the landmark model's "a person is here"
    matte: np.ndarray  # (H, W) float32 in [0, 1]
    roi: g.Roi


def find_people(image: np.ndarray, threshold: float = 0.5, max_people: int = 8) -> list[g.Roi]:
    """Regions (rotated squares) around each person, MediaPipe's detection-to-ROI rule:
    centred on the hips, side 2.5x the hips-to-head-top distance, upright along that line.
    The whole picture is looked at first; a long strip (a panorama), where people shrink
    to a few pixels in it, is then looked at in overlapping squares."""
    h, w = image.shape[:2]
    rois = _find_in(image, g.Roi(w / 2, h / 2, max(w, h)), threshold)
    side = min(w, h)
    if not rois and max(w, h) >= 2 * side:
        n = math.ceil(2 * max(w, h) / side) - 1
        for i in range(n):
            c = side / 2 + i * (max(w, h) - side) / max(n - 1, 1)
            frame = g.Roi(c, h / 2, side) if w > h else g.Roi(w / 2, c, side)
            found = _find_in(image, frame, threshold)
            rois += [r for r in found if all(math.dist((r.cx, r.cy), (o.cx, o.cy)) > r.size / 4 for o in rois)]
    return rois[:max_people]


def _find_in(image: np.ndarray, frame: g.Roi, threshold: float) -> list[g.Roi]:
    boxes, scores = run(DET, g.crop(image, frame, DET_SIDE, -1.0, 1.0))
    p, box, kps = g.decode_ssd(boxes[0], scores[0], _ANCHORS, DET_SIDE, min(threshold, STRONG))
    # MediaPipe's clusters from the candidates >= 0.5 (weak ones would drag their means), then
    # clusters of the weaker candidates where no strong one is
    strong = p >= STRONG
    found = g.weighted_nms(p[strong], box[strong], kps[strong])
    weak = (p >= threshold) & ~strong
    for c in g.weighted_nms(p[weak], box[weak], kps[weak]):
        if all(g.box_iou(c[1], f[1]) <= 0.3 for f in found):
            found.append(c)
    rois = []
    for _, _, k in found:
        pts = frame.to_image(k * DET_SIDE, DET_SIDE)
        rois.append(g.aligned_roi(pts[0], pts[1], math.pi / 2, 1.25))
    return rois


def landmarks(image: np.ndarray, roi: g.Roi) -> Body:
    """The 33 BlazePose landmarks and the matte of the person in ``roi``."""
    h, w = image.shape[:2]
    lm, flag, seg, _, _ = run(LMK, g.crop(image, roi, LMK_SIDE, 0.0, 1.0))
    lm = lm.reshape(-1, 5)
    pts = roi.to_image(lm[:, :2], LMK_SIDE)
    vis = g.sigmoid(np.minimum(lm[:, 3], lm[:, 4]))
    matte = g.paste(g.sigmoid(seg[0, :, :, 0]), roi, h, w)
    return Body(pts[:33], vis[:33], float(flag.reshape(-1)[0]), matte, _roi_from_landmarks(pts))


def _roi_from_landmarks(pts: np.ndarray) -> g.Roi:
    # landmarks 33 (hip centre) and 34 (above the head) are the model's own alignment points
    return g.aligned_roi(pts[33], pts[34], math.pi / 2, 1.25)


def detect_bodies(image: np.ndarray, min_score: float = 0.5, refine: bool = True) -> list[Body]:
    """Every person found: landmarks in the detector's region, then once more in the region
    the landmarks themselves give (as MediaPipe's tracking does), which centres the crop."""
    out: list[Body] = []
    # the detector's candidates down to 0.3 (side and back views, people beside others score
    # lower); the landmark model's own score (min_score) decides who is a person, and two
    # candidates that settle on the same person after the second pass count once
    for roi in find_people(image, threshold=DETECT_THRESHOLD):
        b = landmarks(image, roi)
        if refine and b.score >= min_score:
            b = landmarks(image, b.roi)
        if b.score >= min_score and not any(_same_person(b.roi, o.roi) for o in out):
            out.append(b)
    return out


def _same_person(a: g.Roi, b: g.Roi) -> bool:
    return math.dist((a.cx, a.cy), (b.cx, b.cy)) < 0.25 * min(a.size, b.size)
